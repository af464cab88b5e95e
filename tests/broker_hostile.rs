//! Hostile peers against the embedded broker: what a client can send to make the broker
//! crash, hang or keep resources. After each case the broker still serves a normal client.
//! (Topic depth is in `broker_depth.rs`, peers before CONNECT in `broker_preauth.rs`.)

mod common;

use common::{connect_v311, connect_v5, frame, read_to_close, send, Raw, TestBroker};
use mqtk::codec::{Ack, Packet, Publish, QoS, Will};
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
