//! Byte-level parity with Debian's mosquitto 2.0.11 where MQTT leaves a choice (issue 18):
//! each case sends the same raw packets to both brokers and compares every byte that comes
//! back. The expected hex is spelled out too, so a case cannot pass by both brokers going
//! silent.

mod common;

use common::wire::*;

/// mosquitto's CONNACK for a plain MQTT 5 CONNECT: Topic Alias Maximum 10, Receive Maximum 20.
const CONNACK5: &str = "200900000622000a210014";

#[test]
fn connack_v5_without_properties() {
    assert_eq!(same_bytes(&[connect5(b"w", b"")]), CONNACK5);
}

#[test]
fn connack_v5_ignores_the_client_limits() {
    // Session expiry 100, receive maximum 5, maximum packet size 1000, topic alias maximum 3.
    let props = b"\x11\x00\x00\x00\x64\x21\x00\x05\x27\x00\x00\x03\xe8\x22\x00\x03";
    assert_eq!(same_bytes(&[connect5(b"w", props)]), CONNACK5);
}

#[test]
fn connack_v5_keep_alive_0_gets_server_keep_alive() {
    let connect = connect(b"MQTT", 5, 0x02, 0, b"", b"w");
    assert_eq!(same_bytes(&[connect]), "200c00000922000a13ffff210014");
}

#[test]
fn connack_v311_and_v31() {
    assert_eq!(
        same_bytes(&[connect(b"MQTT", 4, 0x02, 60, b"", b"w")]),
        "20020000"
    );
    assert_eq!(
        same_bytes(&[connect(b"MQIsdp", 3, 0x02, 60, b"", b"w")]),
        "20020000"
    );
}

#[test]
fn puback_v5_is_short() {
    let packets = [connect5(b"w", b""), publish5(b"t/1", 1, b"", b"x")];
    // Reason 0x10, no matching subscribers, without a property length.
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}4003000110"));
}

#[test]
fn suback_and_unsuback_v5() {
    let packets = [
        connect5(b"w", b""),
        subscribe5(3, b"a/b", 1, b""),
        unsubscribe5(4, b"a/b"),
        unsubscribe5(5, b"zz"),
    ];
    let acks = "900400030001b00400040000b00400050011";
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}{acks}"));
}

/// A malformed SUBSCRIBE gets DISCONNECT 0x81 with one byte of remaining length.
#[test]
fn disconnect_v5_reason_alone_is_one_byte() {
    for filter in [&b"a/#/b"[..], b"a/b#"] {
        let packets = [connect5(b"w", b""), subscribe5(3, filter, 1, b"")];
        assert_eq!(same_bytes(&packets), format!("{CONNACK5}e00181|EOF"));
    }
    let packets = [connect5(b"w", b""), subscribe5(3, b"a", 3, b"")];
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}e00181|EOF"));
}

#[test]
fn topic_alias_above_the_maximum_is_0x94() {
    let packets = [
        connect5(b"w", b""),
        publish5(b"t", 0, b"\x23\x00\x0b", b"x"),
    ];
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}e00194|EOF"));
}

#[test]
fn v311_puback() {
    let connect = connect(b"MQTT", 4, 0x02, 60, b"", b"w");
    let publish = common::raw::frame(0x32, b"\x00\x01t\x00\x01x");
    assert_eq!(same_bytes(&[connect, publish]), "2002000040020001");
}

/// QoS 2 in MQTT 5 with nobody subscribed: PUBREC and PUBCOMP in 2 bytes (mosquitto says
/// success at PUBREC: it routes at PUBREL).
#[test]
fn qos2_acks_v5_are_short() {
    let pubrel = common::raw::frame(0x62, b"\x00\x01");
    let packets = [connect5(b"w", b""), publish5(b"t", 2, b"", b"x"), pubrel];
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}5002000170020001"));
}

/// MQTT 3.1.1 QoS 2: PUBREC and PUBCOMP of 2 bytes, as the version requires.
#[test]
fn qos2_acks_v311() {
    let connect = connect(b"MQTT", 4, 0x02, 60, b"", b"w");
    let publish = common::raw::frame(0x34, b"\x00\x01t\x00\x01x");
    let pubrel = common::raw::frame(0x62, b"\x00\x01");
    assert_eq!(
        same_bytes(&[connect, publish, pubrel]),
        "200200005002000170020001"
    );
}

/// A client subscribed to what it publishes gets the message before the acknowledgement
/// that follows (mosquitto writes a message as it queues it); at QoS 2 at PUBREL, before the
/// PUBCOMP; and the retained messages a SUBSCRIBE asks for right after its SUBACK.
#[test]
fn own_messages_come_before_the_packets_that_follow() {
    let pair = Pair::start();
    let hello = |id: &[u8]| connect(b"MQTT", 4, 0x02, 60, b"", id);
    let f = common::raw::frame;
    let cases = [
        (
            "retained at SUBSCRIBE",
            vec![
                hello(b"a"),
                f(0x33, b"\x00\x01r\x00\x01x"),
                f(0x82, b"\x00\x02\x00\x01r\x01"),
            ],
            "200200004002000190030002013306000172000178",
        ),
        (
            "QoS 0 to itself",
            vec![
                hello(b"b"),
                f(0x82, b"\x00\x01\x00\x01s\x00"),
                f(0x30, b"\x00\x01sy"),
            ],
            "200200009003000100300400017379",
        ),
        (
            "QoS 1 to itself",
            vec![
                hello(b"c"),
                f(0x82, b"\x00\x01\x00\x01u\x01"),
                f(0x32, b"\x00\x01u\x00\x05y"),
            ],
            "200200009003000101320600017500017940020005",
        ),
        (
            "QoS 2 to itself",
            vec![
                hello(b"d"),
                f(0x82, b"\x00\x01\x00\x01v\x02"),
                f(0x34, b"\x00\x01v\x00\x05y"),
                f(0x62, b"\x00\x05"),
            ],
            "20020000900300010250020005340600017600017970020005",
        ),
    ];
    for (case, packets, expected) in cases {
        assert_eq!(pair.same_bytes(&packets, case), expected, "{case}");
    }
}

/// A PUBLISH into `$SYS` is not authorized (0x87), but a bridge's connection state is.
#[test]
fn publish_to_sys_is_refused() {
    for (topic, qos, ack) in [
        (&b"$SYS/x"[..], 1, "4003000187"),
        (b"$SYS/x", 2, "5003000187"),
        (b"$SYS/broker/connection/w/state", 1, "4003000110"),
    ] {
        let packets = [connect5(b"w", b""), publish5(topic, qos, b"", b"x")];
        assert_eq!(
            same_bytes(&packets),
            format!("{CONNACK5}{ack}"),
            "{topic:?}"
        );
    }
}

/// The edges of issue 18, each checked side by side: malformed CONNECTs are closed without
/// CONNACK, MQTT 3.1 refuses an empty client id, and each malformed or forbidden MQTT 5 form
/// gets mosquitto's DISCONNECT reason (or none).
#[test]
fn edge_cases_answer_as_mosquitto_does() {
    let pair = Pair::start();
    let c5 = connect5(b"w", b"");
    let after = |packet: Vec<u8>| vec![c5.clone(), packet];
    let publish = |first: u8, body: &[u8]| common::raw::frame(first, body);
    let cases: Vec<(&str, Vec<Vec<u8>>, String)> = vec![
        (
            "3.1 empty client id",
            vec![connect_with(3, 0x02, b"", &[b""])],
            "20020002|EOF".into(),
        ),
        (
            "3.1.1 reserved flag",
            vec![connect_with(4, 0x03, b"", &[b"w"])],
            "|EOF".into(),
        ),
        (
            "5 reserved flag",
            vec![connect_with(5, 0x03, b"", &[b"w"])],
            "|EOF".into(),
        ),
        (
            "3.1.1 password without user name",
            vec![connect_with(4, 0x42, b"", &[b"w", b"pw"])],
            "|EOF".into(),
        ),
        (
            "5 password without user name",
            vec![connect_with(5, 0x42, b"", &[b"w", b"pw"])],
            CONNACK5.into(),
        ),
        (
            "3.1.1 client id not UTF-8",
            vec![connect_with(4, 0x02, b"", &[b"\xff\xfe"])],
            "|EOF".into(),
        ),
        (
            "3.1.1 user name not UTF-8",
            vec![connect_with(4, 0x82, b"", &[b"w", b"\xff"])],
            "|EOF".into(),
        ),
        (
            "5 maximum packet size 0",
            vec![connect_with(5, 0x02, b"\x27\0\0\0\0", &[b"w"])],
            "|EOF".into(),
        ),
        (
            "5 receive maximum 0",
            vec![connect_with(5, 0x02, b"\x21\0\0", &[b"w"])],
            "|EOF".into(),
        ),
        (
            "5 PUBLISH to a wildcard",
            after(publish5(b"a/+", 0, b"", b"x")),
            format!("{CONNACK5}e00182|EOF"),
        ),
        (
            "5 PUBLISH to an empty topic",
            after(publish5(b"", 0, b"", b"x")),
            format!("{CONNACK5}e00182|EOF"),
        ),
        (
            "5 PUBLISH QoS 1 packet id 0",
            after(publish(0x32, b"\0\x01t\0\0\0x")),
            format!("{CONNACK5}e00182|EOF"),
        ),
        (
            "5 second CONNECT",
            after(c5.clone()),
            format!("{CONNACK5}|EOF"),
        ),
        (
            "5 AUTH",
            after(publish(0xF0, &[0])),
            format!("{CONNACK5}|EOF"),
        ),
        (
            "5 SUBSCRIBE reserved option bits",
            after(subscribe5(1, b"a", 0xC0, b"")),
            format!("{CONNACK5}e00181|EOF"),
        ),
        (
            "5 SUBSCRIBE without filters",
            after(publish(0x82, &[0, 1, 0])),
            format!("{CONNACK5}e00181|EOF"),
        ),
        (
            "5 UNSUBSCRIBE reserved flags",
            after(publish(0xA0, &[0, 1, 0, 0, 1, b'a'])),
            format!("{CONNACK5}e00181|EOF"),
        ),
        (
            "5 PUBREC without subscribers",
            after(publish5(b"nobody", 2, b"", b"x")),
            format!("{CONNACK5}50020001"),
        ),
        (
            "5 PUBREL of an unknown id",
            after(publish(0x62, &[0, 9])),
            format!("{CONNACK5}70020009"),
        ),
        (
            "3.1.1 PUBREL of an unknown id",
            vec![connect_with(4, 0x02, b"", &[b"w"]), publish(0x62, &[0, 9])],
            "2002000070020009".into(),
        ),
    ];
    // Where mosquitto breaks the spec, mqtk follows it (README): mqtk's answer, then mosquitto's.
    let spec: Vec<(&str, Vec<Vec<u8>>, String, String)> = vec![
        (
            "5 PUBLISH QoS 0 with DUP (MQTT-3.3.1-2)",
            after(publish(0x38, b"\0\x01t\0x")),
            format!("{CONNACK5}e00181|EOF"),
            CONNACK5.into(),
        ),
        (
            "5 topic alias 0 (3.3.2.3.4: 0x94)",
            after(publish5(b"t", 0, b"\x23\0\0", b"x")),
            format!("{CONNACK5}e00194|EOF"),
            format!("{CONNACK5}e00181|EOF"),
        ),
        (
            "5 SUBSCRIBE identifier 0 (3.8.2.1.2: protocol error)",
            after(subscribe5(1, b"a", 0, b"\x0b\x00")),
            format!("{CONNACK5}e00182|EOF"),
            format!("{CONNACK5}e00181|EOF"),
        ),
    ];
    let same = cases.into_iter().map(|(case, packets, expected)| {
        let theirs = expected.clone();
        (case, packets, expected, theirs)
    });
    let failures: Vec<String> = same
        .chain(spec)
        .filter_map(|(case, packets, expected, expected_theirs)| {
            let (ours, theirs) = pair.answers(&packets);
            let wrong = ours != expected || theirs != expected_theirs;
            wrong.then(|| format!("{case}: mqtk {ours}, mosquitto {theirs}, expected {expected} and {expected_theirs}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Session present at the edges, side by side: a 3.1.1 clean session taken over by a
/// persistent connect ends with its connection (flag 0, its subscription gone), the persistent
/// session then resumes (flag 1), and MQTT 3.1's CONNACK never says session present.
#[test]
fn session_present_after_a_clean_session_is_taken_over() {
    let pair = Pair::start();
    let [ours, theirs] = [pair.mqtk.port, pair.mosquitto.port].map(session_edges);
    assert_eq!(
        ours, theirs,
        "mqtk serve (left) and mosquitto (right) differ"
    );
    let expected = [
        "200200009003000100", // clean session x subscribes to a
        "200200009003000200", // persistent x: no session present, subscribes to b
        "",                   // a does not reach x; b does (the frame waited for)
        "20020100",           // x again: its persistent session
        "20020000",           // 3.1 persistent y
        "20020000",           // 3.1 y again: no flag in 3.1
    ];
    assert_eq!(ours, expected.map(String::from));
}

/// The exchanges of [`session_present_after_a_clean_session_is_taken_over`] on `port`.
fn session_edges(port: u16) -> [String; 6] {
    let subscribe = |pkid: u8, filter: &[u8]| {
        let body = [&[0, pkid][..], &string(filter), &[0]].concat();
        common::raw::frame(0x82, &body)
    };
    let publish = |topic: &[u8], payload: &[u8]| {
        common::raw::frame(0x30, &[&string(topic)[..], payload].concat())
    };
    let v311 = |clean: bool, id: &[u8]| connect(b"MQTT", 4, u8::from(clean) << 1, 60, b"", id);
    let v31 = |id: &[u8]| connect(b"MQIsdp", 3, 0, 60, b"", id);
    let mut clean = open(port);
    let first = talk(
        &mut clean,
        &[v311(true, b"x"), subscribe(1, b"a"), PINGREQ.to_vec()],
        PINGRESP,
    );
    let mut persistent = open(port);
    let taken = talk(
        &mut persistent,
        &[v311(false, b"x"), subscribe(2, b"b"), PINGREQ.to_vec()],
        PINGRESP,
    );
    // Published in order by x itself: once b arrives, a would have arrived before it.
    let to_b = publish(b"b", b"2");
    let delivered = talk(&mut persistent, &[publish(b"a", b"1"), to_b.clone()], &to_b);
    drop((clean, persistent));
    let again = exchange(port, &[v311(false, b"x")]);
    let old = [exchange(port, &[v31(b"y")]), exchange(port, &[v31(b"y")])];
    [
        first,
        taken,
        delivered,
        again,
        old[0].clone(),
        old[1].clone(),
    ]
}

/// Forwarded PUBLISHes and wills keep their properties in the order they came in, with the
/// subscription identifier first and the message expiry last, as mosquitto writes them.
#[test]
fn forwarded_properties_keep_mosquittos_order() {
    let pair = Pair::start();
    let string = |s: &[u8]| string(s);
    let user = |k: &[u8], v: &[u8]| [&[0x26][..], &string(k), &string(v)].concat();
    let props = [
        user(b"k", b"v"),
        b"\x02\x00\x00\x00\x3c".to_vec(),
        [&[0x08][..], &string(b"r")].concat(),
        b"\x01\x01".to_vec(),
        [&[0x09][..], &string(b"c")].concat(),
        [&[0x03][..], &string(b"ct")].concat(),
        user(b"k2", b"v2"),
    ]
    .concat();
    let will_props = [&props[..], b"\x18\x00\x00\x00\x00"].concat();
    let will = [
        &string(b"MQTT")[..],
        &[5, 0x06, 0, 60, 0],
        &string(b"w"),
        &varint(will_props.len()),
        &will_props,
        &string(b"t/will"),
        &string(b"gone"),
    ]
    .concat();
    let will = common::raw::frame(0x10, &will);
    let subscribe = [&b"\x00\x01\x02\x0b\x07"[..], &string(b"t/#"), &[0]].concat();
    let subscribe = common::raw::frame(0x82, &subscribe); // subscription identifier 7
    let [ours, theirs] = [pair.mqtk.port, pair.mosquitto.port].map(|port| {
        let mut sub = open(port);
        let setup = [connect5(b"s", b""), subscribe.clone(), PINGREQ.to_vec()];
        talk(&mut sub, &setup, PINGRESP);
        let publish = [
            connect5(b"p", b""),
            publish5(b"t/1", 0, &props, b"x"),
            PINGREQ.to_vec(),
        ];
        talk(&mut open(port), &publish, PINGRESP);
        let published = next_frame(&mut sub);
        // Closed without DISCONNECT: the will goes out.
        talk(&mut open(port), &[will.clone(), PINGREQ.to_vec()], PINGRESP);
        [published, next_frame(&mut sub)]
    });
    assert_eq!(
        ours, theirs,
        "mqtk serve (left) and mosquitto (right) differ"
    );
    let expected = "302b0003742f31240b072600016b0001760800017201010900016303000263742600026b3200027632020000003c78";
    assert_eq!(
        ours[0],
        expected.replace("302b0003742f3124", "302d0003742f3126")
    );
}

/// `pub -D publish ...` sends the properties in the order given, as mosquitto_pub does: the
/// same flags through each, forwarded by mosquitto (which keeps the order, the expiry last)
/// to a raw subscriber, give the same bytes.
#[test]
fn pub_sends_properties_in_the_order_given() {
    let mosquitto = common::Broker::mosquitto();
    let port = mosquitto.port;
    let mut sub = open(port);
    let subscribe = common::raw::frame(
        0x82,
        &[&b"\x00\x01\x00"[..], &string(b"d/#"), &[0]].concat(),
    );
    talk(
        &mut sub,
        &[connect5(b"s", b""), subscribe, PINGREQ.to_vec()],
        PINGRESP,
    );
    let flags = [
        ["user-property", "k", "v"],
        ["content-type", "t", ""],
        ["response-topic", "r", ""],
        ["user-property", "k2", "v2"],
        ["payload-format-indicator", "1", ""],
        ["correlation-data", "c", ""],
    ];
    let args: Vec<&str> = flags
        .iter()
        .flat_map(|[name, a, b]| {
            ["-D", "publish", name, a, b]
                .into_iter()
                .filter(|s| !s.is_empty())
        })
        .chain(["-V", "5", "-t", "d/1", "-m", "x"])
        .collect();
    common::succeeds(mosquitto.program("mosquitto_pub", &args));
    let theirs = next_frame(&mut sub);
    common::succeeds(mosquitto.mqtk("pub", &args));
    let ours = next_frame(&mut sub);
    assert_eq!(
        ours, theirs,
        "mqtk pub (left) and mosquitto_pub (right) differ"
    );
    assert!(ours.contains("2600016b000176030001740800017226"), "{ours}");
}

/// A queued QoS 1 message that expires before its session comes back uses up its packet id,
/// as in mosquitto (which numbers messages as it queues them): the next one goes out as 2.
#[test]
fn an_expired_message_uses_up_its_packet_id() {
    let pair = Pair::start();
    let ports = [pair.mqtk.port, pair.mosquitto.port];
    let persistent = connect(b"MQTT", 5, 0x00, 60, b"\x11\x00\x00\x00\x64", b"x");
    let subscribe = [&b"\x00\x01\x00"[..], &string(b"e/#"), &[1]].concat();
    let subscribe = common::raw::frame(0x82, &subscribe);
    for port in ports {
        let setup = [persistent.clone(), subscribe.clone(), PINGREQ.to_vec()];
        let mut subscriber = open(port);
        talk(&mut subscriber, &setup, PINGRESP);
        disconnect(subscriber);
        let expiring = publish5(b"e/1", 1, b"\x02\x00\x00\x00\x01", b"old");
        let mut second = publish5(b"e/2", 1, b"", b"new");
        second[8] = 2; // packet id 2
        let publisher = [connect5(b"p", b""), expiring, second, PINGREQ.to_vec()];
        talk(&mut open(port), &publisher, PINGRESP);
    }
    // Past the one-second expiry: what is tested is the passing of time, not a race.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let [ours, theirs] = ports.map(|port| {
        let mut back = open(port);
        common::raw::send(&mut back, &persistent);
        [next_frame(&mut back), next_frame(&mut back)]
    });
    assert_eq!(
        ours, theirs,
        "mqtk serve (left) and mosquitto (right) differ"
    );
    assert_eq!(ours[1], "320b0003652f320002006e6577");
}

/// One client id switched between persistent and clean sessions, back and forth, keeps
/// exactly the subscriptions its last persistent session made, as in mosquitto.
#[test]
fn switching_clean_and_persistent_keeps_the_last_persistent_subscriptions() {
    let pair = Pair::start();
    let session = |clean: bool| connect(b"MQTT", 4, u8::from(clean) << 1, 60, b"", b"z");
    let subscribe = |filter: &[u8]| {
        common::raw::frame(0x82, &[&b"\x00\x01"[..], &string(filter), &[0]].concat())
    };
    let publish = |topic: &[u8]| common::raw::frame(0x30, &[&string(topic)[..], b"x"].concat());
    let [ours, theirs] = [pair.mqtk.port, pair.mosquitto.port].map(|port| {
        let mut answers = Vec::new();
        for (clean, filter) in [
            (false, b"a"),
            (true, b"b"),
            (false, b"c"),
            (true, b"d"),
            (false, b"e"),
        ] {
            let mut client = open(port);
            let steps = [session(clean), subscribe(filter), PINGREQ.to_vec()];
            answers.push(talk(&mut client, &steps, PINGRESP));
            disconnect(client);
        }
        // Its own messages to every topic; e was subscribed last, so it comes last.
        let mut last = open(port);
        let to_e = publish(b"e");
        let topics = [b"a", b"b", b"c", b"d"].map(|t| publish(t));
        talk(&mut last, &[session(false)], &[0x20, 2, 1, 0]);
        answers.push(talk(
            &mut last,
            &[&topics[..], std::slice::from_ref(&to_e)].concat(),
            &to_e,
        ));
        answers
    });
    assert_eq!(
        ours, theirs,
        "mqtk serve (left) and mosquitto (right) differ"
    );
    assert_eq!(ours.last().map(String::as_str), Some(""), "only e is left");
}

/// The CONNECT pub, sub and rr send in MQTT 5 is mosquitto's, byte for byte: the `-D connect`
/// and `-D will` properties in the order given, then the receive maximum libmosquitto
/// announces (20; mosquitto_rr's 1).
#[test]
fn the_clients_connect_as_mosquittos_do() {
    let flags = [
        "-V",
        "5",
        "-i",
        "c",
        "-D",
        "connect",
        "user-property",
        "a",
        "b",
        "-D",
        "connect",
        "session-expiry-interval",
        "5",
        "-D",
        "connect",
        "user-property",
        "c",
        "d",
        "-D",
        "will",
        "user-property",
        "w",
        "v",
        "-D",
        "will",
        "content-type",
        "ct",
        "-D",
        "will",
        "will-delay-interval",
        "3",
        "--will-topic",
        "wt",
        "--will-payload",
        "wp",
        "-u",
        "user",
        "-P",
        "pass",
        "-t",
        "x",
    ];
    let tools: [(&str, &[&str]); 3] = [
        ("pub", &["-m", "y"]),
        ("sub", &["-E"]),
        ("rr", &["-e", "y", "-m", "z"]),
    ];
    for (tool, extra) in tools {
        let mut theirs = std::process::Command::new(common::tool(&format!("mosquitto_{tool}")));
        theirs.args(flags).args(extra);
        let mut ours = common::mqtk(&[tool]);
        ours.args(flags).args(extra);
        let [theirs, ours] = [theirs, ours].map(connect_sent_by);
        assert_eq!(
            ours, theirs,
            "mqtk {tool} (left) and mosquitto_{tool} (right) differ"
        );
    }
}

/// `-D subscribe`, `-D unsubscribe` and `-D disconnect` properties go out in the order given,
/// as mosquitto_sub sends them: the same flags through each, every frame after CONNECT
/// compared. `-U` runs apart: with it, mosquitto_sub `-E` now and then closes before its
/// DISCONNECT is written (an UNSUBACK races its disconnect). Each `-U` is an UNSUBSCRIBE of
/// its own, right behind the SUBSCRIBE.
#[test]
fn sub_sends_its_properties_in_the_order_given() {
    let d =
        |packet: &'static str, property: &[&'static str]| [&["-D", packet][..], property].concat();
    let subscribe = [
        d("subscribe", &["user-property", "a", "b"]),
        d("subscribe", &["subscription-identifier", "7"]),
        d("subscribe", &["user-property", "c", "d"]),
        d("disconnect", &["user-property", "e", "f"]),
        d("disconnect", &["session-expiry-interval", "9"]),
        d("disconnect", &["user-property", "g", "h"]),
        vec!["-t", "s/1", "-t", "s/2", "-E"],
    ];
    let unsubscribe = [
        d("unsubscribe", &["user-property", "u", "v"]),
        d("unsubscribe", &["user-property", "w", "x"]),
        vec!["-t", "s/1", "-U", "s/3", "-U", "s/4"],
    ];
    for (flags, kinds) in [
        (subscribe.concat(), ["82", "e0"].as_slice()),
        (unsubscribe.concat(), ["82", "a2", "a2"].as_slice()),
    ] {
        let mut theirs = std::process::Command::new(common::tool("mosquitto_sub"));
        theirs.args(["-V", "5"]).args(&flags);
        let mut ours = common::mqtk(&["sub"]);
        ours.args(["-V", "5"]).args(&flags);
        let [theirs, ours] = [theirs, ours].map(|client| frames_sent_by(client, kinds.len()));
        assert_eq!(
            ours, theirs,
            "mqtk sub (left) and mosquitto_sub (right) differ"
        );
        let sent: Vec<&str> = theirs.iter().map(|f| &f[..2]).collect();
        assert_eq!(sent, kinds);
    }
}

/// mosquitto_rr sends `-D subscribe` properties with its response-topic SUBSCRIBE, in the
/// order given; so does `mqtk rr`.
#[test]
fn rr_subscribes_with_the_properties_given() {
    let flags = [
        "-D",
        "subscribe",
        "user-property",
        "a",
        "b",
        "-D",
        "subscribe",
        "subscription-identifier",
        "7",
        "-D",
        "subscribe",
        "user-property",
        "c",
        "d",
        "-e",
        "r",
        "-t",
        "q",
        "-m",
        "z",
    ];
    let mut theirs = std::process::Command::new(common::tool("mosquitto_rr"));
    theirs.args(flags);
    let mut ours = common::mqtk(&["rr"]);
    ours.args(flags);
    let [theirs, ours] = [theirs, ours].map(|client| frames_sent_by(client, 2));
    assert_eq!(
        ours, theirs,
        "mqtk rr (left) and mosquitto_rr (right) differ"
    );
    assert!(theirs[0].starts_with("82"), "{theirs:?}");
}

/// `-x` without `-V 5` keeps MQTT 3.1.1, as in mosquitto_sub 2.0.11 (2.1's `-x` implies MQTT
/// 5): the same CONNECT byte for byte, protocol level 4.
#[test]
fn session_expiry_without_v5_stays_mqtt_3_1_1() {
    let flags = ["-x", "60", "-i", "expiring", "-t", "x", "-E"];
    let mut theirs = std::process::Command::new(common::tool("mosquitto_sub"));
    theirs.args(flags);
    let mut ours = common::mqtk(&["sub"]);
    ours.args(flags);
    let [theirs, ours] = [theirs, ours].map(connect_sent_by);
    assert_eq!(
        ours, theirs,
        "mqtk sub (left) and mosquitto_sub (right) differ"
    );
    assert_eq!(&ours[16..18], "04", "protocol level in {ours}");
}

/// `sub -R` asks an MQTT 5 broker for no retained messages (retain handling 2 in the
/// SUBSCRIBE options), as mosquitto_sub does, even with `--retain-handling`; MQTT 3.1.1 has
/// no such option.
#[test]
fn sub_no_retained_subscribes_with_retain_handling_never() {
    for flags in [
        &["-V", "5", "-t", "r/#", "-R"][..],
        &["-V", "5", "-t", "r/#", "-R", "-q", "1"],
        &["-V", "311", "-t", "r/#", "-R"],
    ] {
        let theirs = std::process::Command::new(common::tool("mosquitto_sub"));
        let [theirs, ours] = [theirs, common::mqtk(&["sub"])].map(|mut client| {
            client.args(flags);
            frames_sent_by(client, 1)
        });
        assert_eq!(
            ours, theirs,
            "{flags:?}: mqtk sub (left), mosquitto_sub (right)"
        );
    }
    let mut ours = common::mqtk(&["sub"]);
    ours.args(["-V", "5", "-t", "r", "-R", "--retain-handling", "new"]);
    let sent = frames_sent_by(ours, 1);
    assert!(sent[0].ends_with("017220"), "{sent:?}");
}

/// `pub -l` without `-M` keeps more than mosquitto_pub's 20 QoS 1 messages unacknowledged:
/// a broker that announced no receive maximum and has acknowledged nothing yet still gets
/// every line. (The window's other limits are unit tests of `client::Window`.)
#[test]
fn pub_lines_without_m_pipeline_past_twenty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("lines");
    let lines: String = (0..100).map(|i| format!("{i}\n")).collect();
    std::fs::write(&path, lines).expect("write");
    for version in ["311", "5"] {
        let mut ours = common::mqtk(&["pub", "-t", "w", "-q", "1", "-l", "-V", version]);
        ours.stdin(std::fs::File::open(&path).expect("open"));
        let sent = frames_sent_by(ours, 100);
        assert!(sent.iter().all(|f| f.starts_with("32")), "{sent:?}");
    }
}
