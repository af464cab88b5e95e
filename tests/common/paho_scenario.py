# What tests/paho_client.rs has paho-mqtt do against mqtk serve, with MQTT 5 when V5=1 and over
# TRANSPORT (tcp or websockets): connect, subscribe, QoS 0, 1 and 2, a retained message, a will
# and, with MQTT 5, properties that must come back as sent. Prints "ok CHECK" per check passed.
import uuid

v5 = os.environ["V5"] == "1"
transport = os.environ["TRANSPORT"]
base = f"paho/{int(v5)}/{uuid.uuid4().hex[:8]}"

sub = Client(f"sub-{base}", v5=v5, transport=transport)
_, _, rc, p = sub.connect()
check(rc == 0, f"CONNACK {rc}")
if v5:
    check(p.TopicAliasMaximum == 10, f"Topic Alias Maximum {p}")
will_props = props(PacketTypes.WILLMESSAGE, ContentType="text/plain",
                   UserProperty=[("why", "lost")]) if v5 else None
pub = Client(f"pub-{base}", v5=v5, transport=transport,
             will=(f"{base}/will", b"gone", 1, False, will_props))
pub.connect()
print("ok connect")

sub_props = props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=7) if v5 else None
_, _, granted, _ = sub.subscribe(f"{base}/#", qos=2, properties=sub_props)
check([r.value for r in granted] == [2], f"granted {granted}")
print("ok subscribe")

for qos in (0, 1, 2):
    pub.c.publish(f"{base}/q{qos}", f"at {qos}", qos=qos).wait_for_publish(5)
    m = sub.message()
    check((m.topic, m.qos, m.payload) == (f"{base}/q{qos}", qos, f"at {qos}".encode()),
          f"QoS {qos}: {m.topic} {m.qos} {m.payload!r}")
    print(f"ok qos{qos}")

pub.c.publish(f"{base}/kept", b"kept", qos=1, retain=True).wait_for_publish(5)
sub.message()
late = Client(f"late-{base}", v5=v5, transport=transport)
late.connect()
late.subscribe(f"{base}/kept", qos=1)
m = late.message()
check((m.payload, m.retain) == (b"kept", True), f"retained {m.payload!r} {m.retain}")
pub.c.publish(f"{base}/kept", b"", qos=1, retain=True).wait_for_publish(5)
sub.message()
late.close()
print("ok retained")

if v5:
    sent = dict(PayloadFormatIndicator=1, ContentType="application/json",
                ResponseTopic=f"{base}/reply", CorrelationData=b"req-42",
                UserProperty=[("a", "1"), ("b", "2")])
    p = props(PacketTypes.PUBLISH, MessageExpiryInterval=60, **sent)
    pub.c.publish(f"{base}/props", b"{}", qos=1, properties=p).wait_for_publish(5)
    got = sub.message().properties
    back = {k: getattr(got, k, None) for k in sent}
    check(back == sent, f"properties {got}")
    check(got.MessageExpiryInterval in (59, 60), f"expiry {got}")
    check(got.SubscriptionIdentifier == [7], f"subscription identifier {got}")
    print("ok properties")

pub.c.loop_stop()
pub.c.socket().close()  # no DISCONNECT: the will goes out
m = sub.message()
check((m.topic, m.payload) == (f"{base}/will", b"gone"), f"will {m.topic} {m.payload!r}")
if v5:
    p = m.properties
    check((p.ContentType, p.UserProperty) == ("text/plain", [("why", "lost")]), f"will {p}")
print("ok will")
sub.close()
print("OK")
