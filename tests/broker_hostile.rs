//! Hostile peers against the embedded broker: what a client can send to make the broker
//! crash, hang or keep resources. After each case the broker still serves a normal client.
//! A client that stops reading is tried against a broker process, which a SIGTERM must end.
//! (Topic depth is in `broker_depth.rs`, peers before CONNECT in `broker_preauth.rs`.)

mod common;

use common::{connect_v311, connect_v5, frame, read_to_close, send, Raw, TestBroker};
use mqtk::codec::{Ack, Packet, Publish, QoS, Subscribe, Subscription, Will};
use std::time::{Duration, Instant};

/// A normal client still gets through: subscribe, publish at QoS 1, receive it.
fn still_serves(broker: &TestBroker) {
    let (mut raw, connack) = Raw::connect(broker, Raw::v311("normal"));
    assert_eq!(connack.code, 0);
    assert_eq!(raw.subscribe("ok", QoS::AtLeastOnce), [1]);
    raw.send(Packet::Publish(Publish {
        topic: "ok".into(),
        qos: QoS::AtLeastOnce,
        pkid: 7,
        payload: "fine".into(),
        ..Publish::default()
    }));
    let mut got = (false, false);
    while got != (true, true) {
        match raw.recv() {
            Some(Packet::PubAck(a)) if a.pkid == 7 => got.0 = true,
            Some(Packet::Publish(p)) if &p.payload[..] == b"fine" => {
                raw.send(Packet::PubAck(Ack::new(p.pkid)));
                got.1 = true;
            }
            other => panic!("the broker no longer serves a normal client: {other:?}"),
        }
    }
}

/// What the broker sent before it closed `stream`, which it must do well before the 5 s read
/// timeout of [`TestBroker::raw`]: a connection left hanging fails the test.
fn closed(stream: &mut std::net::TcpStream, case: &str) -> Vec<u8> {
    let started = Instant::now();
    let answer = read_to_close(stream);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{case}: the broker left the connection open"
    );
    answer
}

/// Each packet type as the first packet, instead of CONNECT: the connection is closed
/// without an answer, as MQTT-3.1.0-1 wants.
#[test]
fn every_packet_type_before_connect_is_closed_unanswered() {
    let broker = TestBroker::start();
    for kind in 2u8..=15 {
        let mut stream = broker.raw();
        let flags = if matches!(kind, 6 | 8 | 10) { 2 } else { 0 };
        send(
            &mut stream,
            &frame(kind << 4 | flags, &[0, 1, 0, 1, b'a', 0]),
        );
        let case = format!("packet type {kind}");
        assert_eq!(closed(&mut stream, &case), b"", "{case}");
    }
    still_serves(&broker);
}

/// Bytes from a fixed-seed xorshift: the same "random" cases in every run.
fn noise(seed: &mut u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            *seed as u8
        })
        .collect()
}

/// After a valid CONNECT: garbage, a remaining length of five bytes, a truncated frame, a
/// second CONNECT. Each connection is closed; none takes the broker down or hangs it.
#[test]
fn malformed_streams_after_connect_are_closed() {
    let broker = TestBroker::start();
    let mut seed = 13;
    let mut cases: Vec<Vec<u8>> = (1..=50).map(|n| noise(&mut seed, n * 7)).collect();
    cases.push(vec![0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    cases.push(vec![0x82, 0xff, 0xff, 0xff, 0x7f]);
    cases.push(frame(0x82, &[0, 1, 0, 9, b'a']));
    cases.push(connect_v311("again"));
    for (n, case) in cases.iter().enumerate() {
        let mut stream = broker.raw();
        let connect = match n % 2 {
            0 => connect_v311(&format!("hostile{n}")),
            _ => connect_v5(&format!("hostile{n}")),
        };
        send(&mut stream, &connect);
        send(&mut stream, case);
        // A truncated packet is waited for until the keepalive (60 s): end our side, the
        // broker must then close too.
        let _ = stream.shutdown(std::net::Shutdown::Write);
        closed(&mut stream, &format!("case {n}: {case:02x?}"));
    }
    still_serves(&broker);
}

/// A client with a long session expiry and a long will delay that reconnects in a loop
/// (cut off each time) leaves no sleeping timer tasks behind: each return cancels them.
#[test]
fn a_reconnect_loop_leaves_no_timers_behind() {
    let broker = TestBroker::start();
    let connect = || {
        let mut connect = Raw::v5("looper");
        connect.clean_start = false;
        connect.properties.session_expiry_interval = Some(3600);
        let mut will = Will {
            topic: "gone".into(),
            payload: "looper".into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Default::default(),
        };
        will.properties.will_delay_interval = Some(3600);
        connect.will = Some(will);
        connect
    };
    // The count once closing connections have finished (with a bound): at most `expected`.
    let settle = |expected: usize| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while broker.tasks() > expected && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        broker.tasks()
    };
    drop(Raw::connect(&broker, connect()));
    // The accept loop, $SYS and, once the looper's connection has ended, its two timers.
    let baseline = settle(4);
    for _ in 0..200 {
        let (raw, _) = Raw::connect(&broker, connect());
        drop(raw);
    }
    // The last looper's timers may not have been counted in the baseline.
    let after = settle(baseline + 2);
    assert!(
        after <= baseline + 2,
        "{baseline} tasks before, {after} after 200 reconnects"
    );
    still_serves(&broker);
}

/// A client holding `count` retained messages `r/0`, `r/1`...
fn retain(broker: &TestBroker, count: usize) {
    let (mut publisher, _) = Raw::connect(broker, Raw::v311("retainer"));
    for n in 0..count {
        publisher.send(Packet::Publish(Publish {
            topic: format!("r/{n}"),
            qos: QoS::AtLeastOnce,
            retain: true,
            pkid: 1,
            payload: "kept".into(),
            ..Publish::default()
        }));
        assert!(matches!(publisher.recv(), Some(Packet::PubAck(_))));
    }
}

/// Acknowledges and counts what `raw` receives until `marker` arrives, which was published
/// after everything counted.
fn count_until(raw: &mut Raw, marker: &str) -> usize {
    let mut n = 0;
    loop {
        match raw.recv() {
            Some(Packet::Publish(p)) => {
                if p.pkid != 0 {
                    raw.send(Packet::PubAck(Ack::new(p.pkid)));
                }
                if p.topic == marker {
                    return n;
                }
                n += 1;
            }
            other => panic!("expected messages up to {marker}, got {other:?}"),
        }
    }
}

/// A SUBSCRIBE repeating `#` (and other filters matching everything) gets a copy per filter,
/// as from mosquitto, but only the first copy of each goes past the queue limit.
#[test]
fn one_subscribe_queues_extra_retained_copies_only_up_to_the_limit() {
    let broker = TestBroker::with(|c| c.max_queued_messages = 100);
    retain(&broker, 20);
    let (mut raw, _) = Raw::connect(&broker, Raw::v5("greedy"));
    let mut filters = vec!["#"; 50];
    filters.extend(["r/#", "+/+", "r/+"]);
    raw.send(Packet::Subscribe(Subscribe {
        pkid: 1,
        filters: filters
            .iter()
            .map(|f| Subscription {
                filter: (*f).into(),
                qos: QoS::AtLeastOnce,
                ..Default::default()
            })
            .collect(),
        properties: Default::default(),
    }));
    assert!(matches!(raw.recv(), Some(Packet::SubAck(a)) if a.codes.len() == 53));
    // Published after the SUBACK, so queued after the retained copies.
    let (mut marker, _) = Raw::connect(&broker, Raw::v5("marker"));
    marker.send(Packet::Publish(Publish {
        topic: "marker".into(),
        qos: QoS::AtLeastOnce,
        pkid: 1,
        payload: "end".into(),
        ..Publish::default()
    }));
    assert!(matches!(marker.recv(), Some(Packet::PubAck(_))));
    assert_eq!(
        count_until(&mut raw, "marker"),
        100,
        "20 first copies, 80 more up to the limit"
    );
    still_serves(&broker);
}

/// A message larger than one subscriber's Maximum Packet Size is not sent to it
/// (MQTT-3.1.2-25), while its publisher's flow completes and other subscribers get it; the
/// small subscriber stays connected and gets the next message that fits.
#[test]
fn a_message_too_big_for_one_subscriber_reaches_the_others() {
    let broker = TestBroker::start();
    let mut small = Raw::v5("small");
    small.properties.maximum_packet_size = Some(64);
    let (mut small, _) = Raw::connect(&broker, small);
    let (mut big, _) = Raw::connect(&broker, Raw::v5("big"));
    assert_eq!(small.subscribe("p", QoS::AtLeastOnce), [1]);
    assert_eq!(big.subscribe("p", QoS::AtLeastOnce), [1]);
    let (mut publisher, _) = Raw::connect(&broker, Raw::v5("publisher"));
    let publish = |pkid, payload: &[u8]| {
        Packet::Publish(Publish {
            topic: "p".into(),
            qos: QoS::AtLeastOnce,
            pkid,
            payload: payload.to_vec().into(),
            ..Publish::default()
        })
    };
    publisher.send(publish(1, &[b'x'; 500]));
    assert!(matches!(publisher.recv(), Some(Packet::PubAck(a)) if a.reason == 0));
    match big.recv() {
        Some(Packet::Publish(p)) => assert_eq!(p.payload.len(), 500),
        other => panic!("big: {other:?}"),
    }
    publisher.send(publish(2, b"fits"));
    assert!(matches!(publisher.recv(), Some(Packet::PubAck(_))));
    match small.recv() {
        Some(Packet::Publish(p)) => assert_eq!(&p.payload[..], b"fits"),
        other => panic!("small: {other:?}"),
    }
}

/// `max_subscriptions`: new filters beyond it are refused (0x97 in MQTT 5, 0x80 in 3.1.1);
/// replacing a subscription the session holds still works.
#[test]
fn subscriptions_beyond_the_limit_are_refused() {
    let broker = TestBroker::with(|c| c.limits.max_subscriptions = 3);
    let codes = |raw: &mut Raw, filters: &[&str]| {
        raw.send(Packet::Subscribe(Subscribe {
            pkid: 1,
            filters: filters
                .iter()
                .map(|f| Subscription {
                    filter: (*f).into(),
                    ..Default::default()
                })
                .collect(),
            properties: Default::default(),
        }));
        match raw.recv() {
            Some(Packet::SubAck(a)) => a.codes,
            other => panic!("expected SUBACK, got {other:?}"),
        }
    };
    let (mut v5, _) = Raw::connect(&broker, Raw::v5("many5"));
    assert_eq!(
        codes(&mut v5, &["a", "b", "c", "d", "e"]),
        [0, 0, 0, 0x97, 0x97]
    );
    assert_eq!(codes(&mut v5, &["a", "f"]), [0, 0x97]);
    let (mut v3, _) = Raw::connect(&broker, Raw::v311("many3"));
    assert_eq!(codes(&mut v3, &["a", "b", "c", "d"]), [0, 0, 0, 0x80]);
    still_serves(&broker);
}

/// A subscriber that stops reading leaves the broker's write to it waiting (up to 30 s) with
/// its socket full; SIGTERM still ends the broker at once, and an idle MQTT 5 client is told
/// the server is shutting down (DISCONNECT 0x8B).
#[test]
fn shutdown_does_not_wait_for_a_client_that_does_not_read() {
    let mut broker = common::Broker::mqtk_serve();
    let (mut stuck, _) = Raw::connect(&broker, Raw::v5("stuck"));
    assert_eq!(stuck.subscribe("flood/#", QoS::AtMostOnce), [0]);
    let (mut idle, _) = Raw::connect(&broker, Raw::v5("idle"));
    // 24 MB at QoS 1, acknowledged: routed to the subscriber, more than its socket takes.
    let flood = broker.mqtk("pub", &["-t", "flood/x", "-q", "1", "-s", "--repeat", "24"]);
    let sent = common::run_with_input(flood, &vec![b'x'; 1 << 20]);
    assert!(sent.status.success(), "{}", common::text(&sent.stderr));
    let start = Instant::now();
    assert!(broker.stop("TERM").success());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    match idle.recv() {
        Some(Packet::Disconnect(d)) => assert_eq!(d.code, 0x8B),
        other => panic!("expected DISCONNECT 0x8B, got {other:?}"),
    }
    drop(stuck);
}
