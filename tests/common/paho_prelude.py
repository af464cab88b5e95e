# Helpers shared by the paho-mqtt scripts that tests/common/paho.rs runs.
import os, queue, sys, time
import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.subscribeoptions import SubscribeOptions

PORT = int(os.environ["PORT"])


class Client:
    """A paho client whose events land in queues, so scripts read top to bottom."""

    def __init__(self, client_id="", v5=True, clean=True, props=None, will=None,
                 transport="tcp", **kw):
        proto = mqtt.MQTTv5 if v5 else mqtt.MQTTv311
        args = dict(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                    client_id=client_id, protocol=proto, transport=transport)
        if not v5:
            args["clean_session"] = clean
        self.c = mqtt.Client(**args)
        if transport == "websockets":
            self.c.ws_set_options(path="/mqtt")
        self.messages = queue.Queue()
        self.events = queue.Queue()
        self.c.on_connect = lambda c, u, f, rc, p: self.events.put(("connack", f, rc, p))
        self.c.on_subscribe = lambda c, u, mid, rcs, p: self.events.put(("suback", mid, rcs, p))
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.on_disconnect = lambda c, u, f, rc, p: self.events.put(("disconnect", f, rc, p))
        if will:
            self.c.will_set(*will)
        self.v5 = v5
        self.clean = clean
        self.props = props
        self.kw = kw

    def connect(self, keepalive=60):
        if self.v5:
            self.c.connect("127.0.0.1", PORT, keepalive, clean_start=self.clean, properties=self.props)
        else:
            self.c.connect("127.0.0.1", PORT, keepalive)
        self.c.loop_start()
        return self.event("connack")

    def event(self, kind, timeout=5):
        deadline = time.time() + timeout
        while True:
            ev = self.events.get(timeout=max(0.01, deadline - time.time()))
            if ev[0] == kind:
                return ev

    def subscribe(self, *args, **kw):
        self.c.subscribe(*args, **kw)
        return self.event("suback")

    def message(self, timeout=5):
        return self.messages.get(timeout=timeout)

    def no_message(self, wait=0.3):
        try:
            m = self.messages.get(timeout=wait)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected message {m.topic} {m.payload!r}")

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def props(kind, **values):
    p = Properties(kind)
    for k, v in values.items():
        setattr(p, k, v)
    return p


def check(cond, what):
    if not cond:
        raise AssertionError(what)
