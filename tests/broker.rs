//! `mqtk serve` driven by real clients: mosquitto_pub/mosquitto_sub processes for 3.1.1 and
//! MQTT 5, paho-mqtt scripts for MQTT 5 features, and raw TCP for hostile input.

mod broker_common;

use broker_common::*;
use std::time::{Duration, Instant};

/// QoS 0/1/2 each way, downgraded to the subscription's maximum, in order.
#[test]
fn qos_levels_are_delivered_and_downgraded() {
    let broker = TestBroker::start();
    for version in ["311", "5"] {
        let sub = Sub::start(
            &broker,
            &["-V", version, "-t", "q/#", "-q", "1", "-C", "4", "-v"],
        );
        for (qos, topic) in [("0", "q/0"), ("1", "q/1"), ("2", "q/2"), ("2", "q/2")] {
            publish(&broker, &["-V", version, "-t", topic, "-q", qos, "-m", qos]);
        }
        let (publishes, messages) = sub.finish();
        assert_eq!(messages, ["q/0 0", "q/1 1", "q/2 2", "q/2 2"], "v{version}");
        let flags: Vec<&str> = publishes.iter().map(|l| flag(l, "q")).collect();
        assert_eq!(flags, ["q0", "q1", "q1", "q1"], "v{version}: {publishes:?}");
    }
}

/// Exactly-once end to end: a QoS 2 subscriber gets one copy of each QoS 2 message.
#[test]
fn qos2_end_to_end() {
    let broker = TestBroker::start();
    let sub = Sub::start(&broker, &["-V", "5", "-t", "x", "-q", "2", "-C", "3"]);
    for i in 0..3 {
        publish(
            &broker,
            &["-V", "311", "-t", "x", "-q", "2", "-m", &i.to_string()],
        );
    }
    let (publishes, messages) = sub.finish();
    assert_eq!(messages, ["0", "1", "2"]);
    assert!(
        publishes.iter().all(|l| flag(l, "q") == "q2"),
        "{publishes:?}"
    );
}

/// The `(d0, q1, r0, ...)` flag starting with `prefix` in a mosquitto_sub debug line.
fn flag<'a>(line: &'a str, prefix: &str) -> &'a str {
    let flags = line.split("PUBLISH (").nth(1).unwrap_or_default();
    flags
        .split([',', ' '])
        .find(|f| f.starts_with(prefix))
        .unwrap_or_default()
}

#[test]
fn retained_messages_are_stored_replaced_and_cleared() {
    let broker = TestBroker::start();
    publish(&broker, &["-t", "r/a", "-m", "old", "-r"]);
    publish(&broker, &["-t", "r/a", "-m", "new", "-r", "-q", "1"]);
    publish(&broker, &["-t", "r/b", "-m", "b", "-r"]);
    let sub = Sub::start(&broker, &["-t", "r/#", "-q", "1", "-C", "2", "-v"]);
    let (publishes, mut messages) = sub.finish();
    messages.sort();
    assert_eq!(messages, ["r/a new", "r/b b"]);
    assert!(
        publishes.iter().all(|l| flag(l, "r") == "r1"),
        "{publishes:?}"
    );
    // A live message to a subscriber is not flagged retained.
    let sub = Sub::start(&broker, &["-t", "live", "-C", "1"]);
    publish(&broker, &["-t", "live", "-m", "x", "-r"]);
    let (publishes, _) = sub.finish();
    assert_eq!(flag(&publishes[0], "r"), "r0");
    // An empty retained message clears the topic.
    publish(&broker, &["-t", "r/a", "-n", "-r"]);
    let out = run_tool("mosquitto_sub", &broker, &["-t", "r/#", "-v", "-W", "1"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "r/b b\n");
}

/// Wildcards never reach `$` topics; `$SYS` is published by the broker.
#[test]
fn sys_topics_and_the_dollar_rule() {
    let broker = TestBroker::with(|c| c.sys_interval = Some(Duration::from_millis(100)));
    let out = run_tool(
        "mosquitto_sub",
        &broker,
        &["-t", "$SYS/broker/#", "-v", "-C", "24", "-W", "3"],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for topic in [
        "$SYS/broker/version mqtk version",
        "$SYS/broker/uptime",
        "$SYS/broker/clients/connected 1",
        "$SYS/broker/messages/received",
        "$SYS/broker/bytes/sent",
        "$SYS/broker/subscriptions/count 1",
        "$SYS/broker/retained messages/count",
    ] {
        assert!(text.contains(topic), "{topic} missing from {text}");
    }
    let out = run_tool(
        "mosquitto_sub",
        &broker,
        &["-t", "#", "-t", "+/broker/#", "-W", "1"],
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn will_is_published_on_abnormal_loss_only() {
    let broker = TestBroker::start();
    for version in ["311", "5"] {
        let watcher = Sub::start(&broker, &["-V", version, "-t", "will/#", "-C", "1", "-v"]);
        // A clean DISCONNECT: no will.
        let mut quiet = Sub::start(
            &broker,
            &[
                "-V",
                version,
                "-t",
                "x",
                "-E",
                "--will-topic",
                "will/quiet",
                "--will-payload",
                "no",
            ],
        );
        quiet.wait_for("sending DISCONNECT");
        // Killed without DISCONNECT: the will goes out.
        let mut gone = Sub::start(
            &broker,
            &[
                "-V",
                version,
                "-t",
                "x",
                "--will-topic",
                "will/gone",
                "--will-payload",
                "bye",
            ],
        );
        gone.kill();
        let (_, messages) = watcher.finish();
        assert_eq!(messages, ["will/gone bye"], "v{version}");
    }
}

/// Clean session 0: subscriptions survive, QoS 1/2 messages queue while offline and are
/// delivered on reconnect; QoS 0 ones are not kept.
#[test]
fn persistent_session_queues_while_offline() {
    let broker = TestBroker::start();
    for version in ["311", "5"] {
        let id = format!("persist-{version}");
        let mut args = vec!["-V", version, "-i", &id, "-c", "-q", "2", "-t", "p/#", "-v"];
        if version == "5" {
            args.extend(["-x", "60"]);
        }
        let mut first = args.clone();
        first.push("-E");
        let _ = Sub::start(&broker, &first).finish();
        publish(&broker, &["-t", "p/1", "-q", "1", "-m", "one"]);
        publish(&broker, &["-t", "p/0", "-q", "0", "-m", "lost"]);
        publish(&broker, &["-t", "p/2", "-q", "2", "-m", "two"]);
        args.extend(["-C", "2"]);
        let (_, messages) = Sub::start(&broker, &args).finish();
        assert_eq!(messages, ["p/1 one", "p/2 two"], "v{version}");
    }
}

/// A second connection with the same client id takes over: MQTT 5 sees DISCONNECT 0x8E.
#[test]
fn takeover_disconnects_the_old_connection() {
    let broker = TestBroker::start();
    let mut old = Sub::start(&broker, &["-V", "5", "-i", "same", "-t", "t"]);
    let new = Sub::start(&broker, &["-V", "5", "-i", "same", "-t", "t", "-C", "1"]);
    old.wait_for("Received DISCONNECT (142)");
    publish(&broker, &["-t", "t", "-m", "to-new"]);
    assert_eq!(new.finish().1, ["to-new"]);
}

#[test]
fn keepalive_is_enforced_at_one_and_a_half_times() {
    let broker = TestBroker::start();
    let mut stream = broker.raw();
    let mut connect = connect_v311("ka");
    connect[11] = 1; // keepalive 1 s
    send(&mut stream, &connect);
    let start = Instant::now();
    let got = read_to_close(&mut stream);
    let took = start.elapsed();
    assert_eq!(got, [0x20, 2, 0, 0]);
    assert!(took >= Duration::from_millis(1400), "{took:?}");
    assert!(took < Duration::from_millis(3000), "{took:?}");
}

#[test]
fn connect_rules() {
    let broker = TestBroker::start();
    // 3.1.1: zero-length id needs clean session.
    let mut stream = broker.raw();
    let mut connect = connect_v311("");
    connect[9] = 0; // clean session 0
    send(&mut stream, &connect);
    assert_eq!(read_to_close(&mut stream), [0x20, 2, 0, 2]);
    // Unsupported levels: 3.1.1-style 0x01 below 5, MQTT 5-style 0x84 above.
    for (level, reply) in [(2u8, vec![0x20, 2, 0, 1]), (6, vec![0x20, 3, 0, 0x84, 0])] {
        let mut stream = broker.raw();
        let mut connect = connect_v311("x");
        connect[8] = level;
        send(&mut stream, &connect);
        assert_eq!(read_to_close(&mut stream), reply, "level {level}");
    }
    // MQTT 3.1 (MQIsdp) is accepted.
    let mut body = vec![0, 6];
    body.extend(b"MQIsdp\x03\x02\x00\x3c\x00\x02id");
    let mut stream = broker.raw();
    send(&mut stream, &frame(0x10, &body));
    send(&mut stream, &[0xE0, 0]);
    assert_eq!(read_to_close(&mut stream), [0x20, 2, 0, 0]);
}

#[test]
fn anonymous_access_can_be_refused_and_credentials_checked() {
    let broker = TestBroker::with(|c| {
        c.allow_anonymous = false;
        c.authenticator = Some(std::sync::Arc::new(
            |cred: &mqtk::broker::Credentials<'_>| {
                cred.username == Some("user") && cred.password == Some(&b"secret"[..])
            },
        ));
    });
    let out = run_tool("mosquitto_pub", &broker, &["-t", "t", "-m", "x"]);
    assert!(!out.status.success());
    let out = run_tool(
        "mosquitto_pub",
        &broker,
        &["-t", "t", "-m", "x", "-u", "user", "-P", "bad"],
    );
    assert!(!out.status.success());
    publish(
        &broker,
        &["-t", "t", "-m", "x", "-u", "user", "-P", "secret"],
    );
    publish(
        &broker,
        &[
            "-V", "5", "-t", "t", "-m", "x", "-u", "user", "-P", "secret",
        ],
    );
}
