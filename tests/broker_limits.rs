//! `mqtk serve -c FILE` limit keys, seen from raw clients: a stalled subscriber under load
//! (bounded memory, publisher not held, drops counted in `$SYS`), and what a client sees at
//! each limit, broker-wide or per listener, asserted against Debian's mosquitto 2.0 with the
//! same configuration.

mod common;

use common::{Broker, Raw};
use mqtk::codec::{self, Connect, Packet, Publish, QoS, Reason, Version};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs `check` against mosquitto and `mqtk serve`, both configured with `conf`.
fn both(conf: &str, check: impl Fn(u16)) {
    for broker in [Broker::mosquitto_with(conf), Broker::mqtk_serve_conf(conf)] {
        check(broker.port);
    }
}

/// Runs `check` against mosquitto and `mqtk serve`, each configured with the harness's
/// listener (the first port) and, for each entry of `keys`, one more listener on 127.0.0.1
/// followed by those keys (the other ports).
fn both_listeners<const N: usize>(keys: [&str; N], check: impl Fn(u16, [u16; N])) {
    let starts = [
        mosquitto_running as fn(&str) -> Broker,
        Broker::mqtk_serve_conf,
    ];
    for start in starts {
        // Bound together, so they are distinct.
        let held: [_; N] = std::array::from_fn(|_| TcpListener::bind("127.0.0.1:0").expect("bind"));
        let ports = held
            .each_ref()
            .map(|l| l.local_addr().expect("addr").port());
        drop(held);
        let each = ports.iter().zip(keys);
        let conf: String = each
            .map(|(port, keys)| format!("listener {port} 127.0.0.1\n{keys}\n"))
            .collect();
        check(start(&conf).port, ports);
    }
}

/// mosquitto with `conf`, once it opened all its listeners (one after the other, then it
/// says it runs); `mqtk serve` binds them all before it prints the first.
fn mosquitto_running(conf: &str) -> Broker {
    let broker = Broker::mosquitto_with(conf);
    broker.wait_for_log(" running");
    broker
}

fn publish(topic: &str, qos: QoS, retain: bool, payload: Vec<u8>) -> Packet {
    Packet::Publish(Publish {
        topic: topic.into(),
        qos,
        retain,
        pkid: u16::from(qos != QoS::AtMostOnce),
        payload: payload.into(),
        ..Publish::default()
    })
}

/// The packets the broker sends until it closes the connection (or 5 s pass).
fn until_closed(raw: &mut Raw) -> Vec<Packet> {
    std::iter::from_fn(|| raw.recv()).collect()
}

fn disconnect(code: u8) -> Packet {
    Packet::Disconnect(Reason {
        code,
        ..Reason::default()
    })
}

/// Sends the first of `offences` on the MQTT 5 connection `v5`, which the broker must close
/// with DISCONNECT `code`, and the second on a new 3.1.1 connection, closed without a word.
fn closes(port: u16, mut v5: Raw, code: u8, [offence, offence_v3]: [Packet; 2]) {
    v5.send(offence);
    assert_eq!(until_closed(&mut v5), [disconnect(code)]);
    let (mut v3, _) = Raw::try_connect(port, Raw::v311("v3"));
    v3.send(offence_v3);
    assert_eq!(until_closed(&mut v3), []);
}

/// Peak VmRSS of process `pid` in KiB, sampled every 20 ms until `stop`.
fn watch_rss(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let rss = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap_or(0);
            peak = peak.max(rss);
            std::thread::sleep(Duration::from_millis(20));
        }
        peak
    })
}

const MESSAGES: usize = 200_000;
const SIZE: usize = 1024;

/// Sends `MESSAGES` PUBLISH of `SIZE` bytes, alternately QoS 0 to `load/0` and QoS 1 to
/// `load/1`, and waits for every PUBACK; returns how long that took.
fn publish_load(port: u16) -> Duration {
    let (raw, ack) = Raw::try_connect(port, Raw::v311("loader"));
    assert_eq!(ack.map(|a| a.code), Some(0));
    let mut writer = raw.stream.try_clone().expect("clone");
    let mut reader = raw.stream;
    reader.set_read_timeout(None).expect("timeout");
    let acked = Arc::new(AtomicU64::new(0));
    let count = acked.clone();
    // PUBACK is 4 bytes: count them from the byte stream.
    let acks = std::thread::spawn(move || {
        let mut buf = [0u8; 64 * 1024];
        let mut bytes = 0u64;
        while bytes / 4 < (MESSAGES / 2) as u64 {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes += n as u64,
            }
            count.store(bytes / 4, Ordering::Relaxed);
        }
    });
    let started = Instant::now();
    let payload = vec![b'x'; SIZE];
    let mut batch = bytes::BytesMut::new();
    for i in 0..MESSAGES {
        let (topic, qos) = match i % 2 {
            0 => ("load/0", QoS::AtMostOnce),
            _ => ("load/1", QoS::AtLeastOnce),
        };
        let packet = publish(topic, qos, false, payload.clone());
        codec::encode(&packet, Version::V311, &mut batch).expect("encode");
        if batch.len() >= 64 * 1024 || i + 1 == MESSAGES {
            writer
                .write_all(&batch)
                .expect("the broker reads the publisher");
            batch.clear();
        }
    }
    acks.join().expect("ack reader");
    assert_eq!(acked.load(Ordering::Relaxed), (MESSAGES / 2) as u64);
    started.elapsed()
}

/// The latest value of `$SYS/broker/publish/messages/dropped` once it reaches `at_least`,
/// or the last one seen after 5 s.
fn dropped_counter(port: u16, at_least: u64) -> u64 {
    let (mut raw, _) = Raw::try_connect(port, Raw::v311("sys-reader"));
    raw.subscribe("$SYS/broker/publish/messages/dropped", QoS::AtMostOnce);
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut value = 0;
    while value < at_least && Instant::now() < deadline {
        if let Some(Packet::Publish(p)) = raw.recv_within(Duration::from_secs(2)) {
            value = String::from_utf8_lossy(&p.payload).parse().unwrap_or(0);
        }
    }
    value
}

/// A subscriber that never reads, fed 200,000 messages of 1 KiB (200 MiB): the broker's
/// memory stays bounded, the publisher is never held for long, and the drops are counted.
///
/// Bound: the stalled session may hold 10 x 1,000 QoS 1 messages (10 MiB of payload) plus
/// 1,000 QoS 0 (1 MiB) and a 256 KiB write buffer; with allocation overhead and the
/// publisher's read buffer that stays well under 64 MiB, a third of what queueing everything
/// would take.
#[test]
fn stalled_subscriber_keeps_memory_bounded_and_drops_are_counted() {
    let broker = Broker::mqtk_serve_conf("sys_interval 1");
    let (mut stalled, _) = Raw::try_connect(broker.port, Raw::v311("stalled"));
    stalled.subscribe("load/0", QoS::AtMostOnce);
    stalled.subscribe("load/1", QoS::AtLeastOnce);
    let stop = Arc::new(AtomicBool::new(false));
    let rss = watch_rss(broker.pid(), stop.clone());
    let took = publish_load(broker.port);
    let dropped = dropped_counter(broker.port, 150_000);
    stop.store(true, Ordering::Relaxed);
    let peak_kib = rss.join().expect("rss");
    eprintln!("published in {took:?}, peak VmRSS {peak_kib} KiB, {dropped} dropped");
    assert!(took < Duration::from_secs(25), "publisher held: {took:?}");
    assert!(
        peak_kib > 0 && peak_kib < 64 * 1024,
        "peak VmRSS {peak_kib} KiB"
    );
    assert!(dropped >= 150_000, "only {dropped} drops counted");
    // QoS 0 went first: the queue, capped at 10 x 1,000 entries, is then nearly all QoS 1.
    let (mut qos0, mut qos1) = (0, 0);
    while let Some(Packet::Publish(p)) = stalled.recv_within(Duration::from_secs(2)) {
        match p.qos {
            QoS::AtMostOnce => qos0 += 1,
            _ => {
                qos1 += 1;
                stalled.send(Packet::PubAck(codec::Ack::new(p.pkid)));
            }
        }
    }
    eprintln!("stalled subscriber then read {qos0} QoS 0 and {qos1} QoS 1 messages");
    assert!(
        qos1 >= 9_000 && qos1 > 5 * qos0,
        "{qos0} QoS 0, {qos1} QoS 1"
    );
}

/// A connection over `max_connections` is closed at once, without a CONNACK. (mosquitto
/// 2.0.11 lets one more in after a connection closed before its CONNECT, like the fixture's
/// readiness probe: it miscounts.)
#[test]
fn max_connections_closes_the_extra_client() {
    let conf = "max_connections 1";
    for (broker, allowed) in [
        (Broker::mosquitto_with(conf), 2),
        (Broker::mqtk_serve_conf(conf), 1),
    ] {
        if allowed == 2 {
            // The miscount comes once mosquitto has seen the probe go.
            broker.wait_for_log("Client <unknown> closed its connection");
        }
        let kept: Vec<Raw> = (0..allowed)
            .map(|i| {
                let (raw, ack) = Raw::try_connect(broker.port, Raw::v311(&format!("c{i}")));
                assert_eq!(ack.map(|a| a.code), Some(0));
                raw
            })
            .collect();
        let started = Instant::now();
        let (_extra, ack) = Raw::try_connect(broker.port, Raw::v311("extra"));
        assert_eq!(ack, None);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "not closed at once"
        );
        drop(kept);
    }
}

/// mosquitto 2.0 counts connections per listener, against the `max_connections` of the
/// listener they came through: with 1 on one listener and 2 on another, each closes the
/// connection over its own limit at once, and the first listener (no limit) still takes more.
#[test]
fn max_connections_is_counted_per_listener() {
    let keys = ["max_connections 1", "max_connections 2"];
    both_listeners(keys, |first, [one, two]| {
        let mut kept = Vec::new();
        for (port, allowed) in [(one, 1), (two, 2)] {
            for i in 0..allowed {
                let (raw, ack) = Raw::try_connect(port, Raw::v311(&format!("c{port}-{i}")));
                assert_eq!(ack.map(|a| a.code), Some(0), "max_connections {allowed}");
                kept.push(raw);
            }
            let started = Instant::now();
            let (_extra, ack) = Raw::try_connect(port, Raw::v311("extra"));
            assert_eq!(ack, None, "max_connections {allowed}: one more got in");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "not closed at once"
            );
        }
        let (_free, ack) = Raw::try_connect(first, Raw::v311("free"));
        assert_eq!(ack.map(|a| a.code), Some(0));
    });
}

/// A listener's connection slot is given back on every way out: after a refused CONNECT
/// (CONNACK 0x02) and after a takeover through another listener, its one slot takes the
/// next client.
#[test]
fn a_closed_connection_frees_its_listener_slot() {
    both_listeners(["max_connections 1"], |first, [one]| {
        let refused = Connect {
            clean_start: false,
            ..Raw::v311("")
        };
        let (mut raw, ack) = Raw::try_connect(one, refused);
        assert_eq!(ack.map(|a| a.code), Some(2));
        assert_eq!(until_closed(&mut raw), []);
        let mut old = admitted(one, "x");
        let _new = admitted(first, "x");
        assert_eq!(until_closed(&mut old), [], "taken over");
        let _next = admitted(one, "y");
    });
}

/// Connects `client_id` through `port`, retrying for a while: a closed connection's slot
/// may come back a moment after the close.
fn admitted(port: u16, client_id: &str) -> Raw {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        match Raw::try_connect(port, Raw::v311(client_id)) {
            (raw, Some(ack)) if ack.code == 0 => return raw,
            other => assert!(Instant::now() < deadline, "{client_id}: {:?}", other.1),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `max_qos` applies to the clients of the listener it follows: a QoS 2 subscription is
/// granted 2, 1 and 0 on listeners without it, with `max_qos 1` and with `max_qos 0`, each
/// announced in the MQTT 5 CONNACK; a QoS 1 PUBLISH closes a connection only where it is
/// above the listener's limit.
#[test]
fn maximum_qos_is_per_listener() {
    both_listeners(["max_qos 1", "max_qos 0"], |first, [one, zero]| {
        for (port, max) in [(first, 2), (one, 1), (zero, 0)] {
            let (mut v5, ack) = Raw::try_connect(port, Raw::v5("q"));
            let announced = ack.expect("CONNACK").properties.maximum_qos;
            assert_eq!(announced, Some(max).filter(|&q| q < 2), "max_qos {max}");
            let granted = v5.subscribe("t", QoS::ExactlyOnce);
            assert_eq!(granted, [max], "max_qos {max}");
            v5.send(publish("u", QoS::AtLeastOnce, false, b"x".into()));
            let answer = match v5.recv() {
                Some(Packet::PubAck(_)) => "PUBACK".to_string(),
                Some(Packet::Disconnect(d)) => format!("DISCONNECT {:#x}", d.code),
                other => format!("{other:?}"),
            };
            let expected = if max == 0 {
                "DISCONNECT 0x9b"
            } else {
                "PUBACK"
            };
            assert_eq!(answer, expected, "max_qos {max}");
        }
    });
}

/// `max_topic_alias` applies to the clients of the listener it follows: announced in the
/// MQTT 5 CONNACK (10 without it, nothing for 0); an alias up to it is taken, one above it
/// closes the connection with DISCONNECT 0x94.
#[test]
fn max_topic_alias_is_per_listener() {
    both_listeners(
        ["max_topic_alias 2", "max_topic_alias 0"],
        |first, [two, zero]| {
            for (port, max) in [(first, 10), (two, 2), (zero, 0)] {
                let (mut v5, ack) = Raw::try_connect(port, Raw::v5("a"));
                let announced = ack.expect("CONNACK").properties.topic_alias_maximum;
                assert_eq!(
                    announced,
                    Some(max).filter(|&n| n > 0),
                    "max_topic_alias {max}"
                );
                let aliased = |alias| {
                    let mut packet = publish("t", QoS::AtLeastOnce, false, b"x".into());
                    if let Packet::Publish(p) = &mut packet {
                        p.properties.topic_alias = Some(alias);
                    }
                    packet
                };
                if max > 0 {
                    v5.send(aliased(max));
                    let answer = v5.recv();
                    assert!(matches!(answer, Some(Packet::PubAck(_))), "{answer:?}");
                }
                v5.send(aliased(max + 1));
                assert_eq!(
                    until_closed(&mut v5),
                    [disconnect(0x94)],
                    "max_topic_alias {max}"
                );
            }
        },
    );
}

/// `message_size_limit` drops a large payload but completes its QoS flow; `max_packet_size`
/// is announced in the MQTT 5 CONNACK and closes the connection of a client that sends more
/// (MQTT 5: DISCONNECT 0x95 first).
#[test]
fn oversize_payloads_are_dropped_and_oversize_packets_disconnect() {
    let conf = "message_size_limit 10\nmax_packet_size 100";
    both(conf, |port| {
        let (mut v3, _) = Raw::try_connect(port, Raw::v311("big3"));
        v3.send(publish("t", QoS::AtLeastOnce, false, vec![b'x'; 11]));
        assert!(matches!(v3.recv(), Some(Packet::PubAck(a)) if a.reason == 0));
        v3.send(publish("t", QoS::AtLeastOnce, false, vec![b'x'; 150]));
        assert_eq!(until_closed(&mut v3), []);
        let (mut v5, ack) = Raw::try_connect(port, Raw::v5("big5"));
        let max = ack.expect("CONNACK").properties.maximum_packet_size;
        assert_eq!(max, Some(100));
        v5.send(publish("t", QoS::AtLeastOnce, false, vec![b'x'; 150]));
        assert_eq!(until_closed(&mut v5), [disconnect(0x95)]);
    });
    // MQTT 5: "implementation specific error" (mosquitto 2.0.11 sends 0x95, which a
    // PUBACK may not carry and our codec refuses).
    let broker = Broker::mqtk_serve_conf(conf);
    let (mut v5, _) = Raw::try_connect(broker.port, Raw::v5("big5"));
    v5.send(publish("t", QoS::AtLeastOnce, false, vec![b'x'; 11]));
    assert!(matches!(v5.recv(), Some(Packet::PubAck(a)) if a.reason == 0x83));
}

/// `retain_available false`: announced in the MQTT 5 CONNACK; a retained PUBLISH closes the
/// connection (MQTT 5: DISCONNECT 0x9A first).
#[test]
fn retain_unavailable_closes_a_retained_publish() {
    both("retain_available false", |port| {
        let (v5, ack) = Raw::try_connect(port, Raw::v5("r5"));
        assert_eq!(ack.expect("CONNACK").properties.retain_available, Some(0));
        let offences =
            [QoS::AtMostOnce, QoS::AtLeastOnce].map(|q| publish("t", q, true, b"x".into()));
        closes(port, v5, 0x9A, offences);
    });
}

/// `max_qos 1`: announced in the MQTT 5 CONNACK, a QoS 2 subscription is granted QoS 1, and
/// a QoS 2 PUBLISH closes the connection (MQTT 5: DISCONNECT 0x9B first).
#[test]
fn maximum_qos_caps_subscriptions_and_refuses_publishes() {
    both("max_qos 1", |port| {
        let (mut v5, ack) = Raw::try_connect(port, Raw::v5("q5"));
        assert_eq!(ack.expect("CONNACK").properties.maximum_qos, Some(1));
        assert_eq!(v5.subscribe("t", QoS::ExactlyOnce), [1]);
        let offence = publish("t", QoS::ExactlyOnce, false, b"x".into());
        closes(port, v5, 0x9B, [offence.clone(), offence]);
    });
}

/// `allow_zero_length_clientid false`: 3.1.1 "identifier rejected" (2), MQTT 5 0x80
/// (mosquitto's "unspecified error").
#[test]
fn empty_client_ids_can_be_refused() {
    both("allow_zero_length_clientid false", |port| {
        let (_, ack) = Raw::try_connect(port, Raw::v311(""));
        assert_eq!(ack.map(|a| a.code), Some(2));
        let (_, ack) = Raw::try_connect(port, Raw::v5(""));
        assert_eq!(ack.map(|a| a.code), Some(0x80));
    });
}

/// What a persistent 3.1.1 session, away while a QoS 0 and then a QoS 1 message were
/// published, gets when it comes back (payloads, up to the QoS 1 one).
fn kept_while_away(port: u16) -> Vec<String> {
    let away = || Connect {
        clean_start: false,
        ..Raw::v311("away")
    };
    let (mut raw, _) = Raw::try_connect(port, away());
    assert_eq!(raw.subscribe("q/#", QoS::AtLeastOnce), [1]);
    // Closed by the broker once the session is offline.
    raw.send(disconnect(0));
    assert!(until_closed(&mut raw).is_empty());
    let (mut publisher, _) = Raw::try_connect(port, Raw::v311("publisher"));
    for (qos, payload) in [(QoS::AtMostOnce, "qos0"), (QoS::AtLeastOnce, "qos1")] {
        publisher.send(publish("q/t", qos, false, payload.into()));
    }
    assert!(matches!(publisher.recv(), Some(Packet::PubAck(_))));
    let (mut raw, ack) = Raw::try_connect(port, away());
    assert!(ack.is_some_and(|a| a.session_present));
    let mut payloads = Vec::new();
    while let Some(Packet::Publish(p)) = raw.recv() {
        payloads.push(String::from_utf8_lossy(&p.payload).into_owned());
        if p.qos == QoS::AtLeastOnce {
            break;
        }
    }
    payloads
}

/// `queue_qos0_messages true` keeps QoS 0 messages for persistent sessions while they are
/// away; by default only QoS 1/2 wait.
#[test]
fn queue_qos0_messages_keeps_qos0_for_the_absent() {
    both("", |port| assert_eq!(kept_while_away(port), ["qos1"]));
    both("queue_qos0_messages true", |port| {
        assert_eq!(kept_while_away(port), ["qos0", "qos1"])
    });
}

/// `auto_id_prefix` starts the client ids the broker assigns (UUID-shaped after it, told to
/// MQTT 5 clients); `clientid_prefixes` lets in only ids with its prefix, an assigned one
/// included, and answers the others "not authorized".
#[test]
fn client_id_prefixes() {
    both("auto_id_prefix pre-", |port| {
        let (_, ack) = Raw::try_connect(port, Raw::v5(""));
        let assigned = ack.and_then(|a| a.properties.assigned_client_identifier.clone());
        let id = assigned.expect("an assigned client id");
        let shape = id.split('-').map(str::len).collect::<Vec<_>>();
        assert_eq!((&id[..4], shape), ("pre-", vec![3, 8, 4, 4, 4, 12]), "{id}");
    });
    both("clientid_prefixes x-", |port| {
        let clients = [
            Raw::v5("x-1"),
            Raw::v5("y-1"),
            Raw::v5(""),
            Raw::v311("x-2"),
            Raw::v311("y-2"),
        ];
        let codes = clients.map(|c| Raw::try_connect(port, c).1.map(|a| a.code));
        assert_eq!(codes, [Some(0), Some(0x87), Some(0x87), Some(0), Some(5)]);
    });
}

/// `memory_limit`: once the broker's heap is over it, the client whose PUBLISH would add to
/// it is disconnected (MQTT 5: DISCONNECT 0x97) and the message dropped, as mosquitto does
/// when its allocation is denied; once below it again, the broker serves clients as before.
#[test]
fn memory_limit_disconnects_the_publisher_that_reaches_it() {
    let broker = Broker::mqtk_serve_conf("memory_limit 3000000");
    let (mut raw, _) = Raw::connect(&broker, Raw::v5("hog"));
    let mut accepted = 0;
    let answer = loop {
        assert!(
            accepted < 100,
            "10 MB of retained messages under a 3 MB limit"
        );
        raw.send(publish(
            &format!("hog/{accepted}"),
            QoS::AtLeastOnce,
            true,
            vec![b'x'; 100_000],
        ));
        match raw.recv() {
            Some(Packet::PubAck(_)) => accepted += 1,
            other => break other,
        }
    };
    assert_eq!(answer, Some(disconnect(0x97)));
    assert!(
        (10..=30).contains(&accepted),
        "{accepted} messages of 100 kB accepted"
    );
    broker.wait_for_log("Out of memory (memory_limit 3000000 bytes): disconnecting hog.");
    // Once the hog's connection is closed its buffers are gone, and the heap below the limit.
    assert!(raw.recv().is_none(), "the hog's connection is closed");
    let (mut reader, connack) = Raw::connect(&broker, Raw::v311("reader"));
    assert_eq!(connack.code, 0, "the reader is let in");
    reader.send(Packet::Unsubscribe(mqtk::codec::Unsubscribe {
        pkid: 1,
        filters: vec!["x".into()],
        properties: Default::default(),
    }));
    assert!(
        matches!(reader.recv(), Some(Packet::UnsubAck(_))),
        "still serves"
    );
}
