//! Topic depth, the input that once overflowed the broker's stack: topics and filters up to
//! mosquitto's hierarchy limit (200 separators) work everywhere, deeper ones are refused as
//! mosquitto refuses them, each case run against Debian's mosquitto and `mqtk serve` alike.

mod common;

use common::{Broker, Raw, Target, TestBroker};
use mqtk::codec::{Packet, Publish, QoS, Subscribe, Subscription, Unsubscribe, Will};

/// A topic of `levels` levels.
fn deep(levels: usize) -> String {
    vec!["a"; levels].join("/")
}

/// The filter of the report that aborted `serve`: 65,535 `/` characters.
fn slashes() -> String {
    "/".repeat(65_535)
}

/// What the broker answers `packet` with: `SUBACK [0]`, `DISCONNECT 0x81`, `closed`...
fn answer(broker: &impl Target, v5: bool, packet: Packet) -> String {
    let connect = if v5 {
        Raw::v5("deep")
    } else {
        Raw::v311("deep")
    };
    let (mut raw, _) = Raw::connect(broker, connect);
    raw.send(packet);
    match raw.recv() {
        None => "closed".into(),
        Some(Packet::Disconnect(d)) => format!("DISCONNECT {:#04x}", d.code),
        Some(Packet::SubAck(a)) => format!("SUBACK {:?}", a.codes),
        Some(Packet::UnsubAck(_)) => "UNSUBACK".into(),
        Some(Packet::PubAck(_)) => "PUBACK".into(),
        Some(other) => format!("{other:?}"),
    }
}

fn subscribe(filter: &str) -> Packet {
    Packet::Subscribe(Subscribe {
        pkid: 1,
        filters: vec![Subscription {
            filter: filter.into(),
            ..Default::default()
        }],
        properties: Default::default(),
    })
}

fn unsubscribe(filter: &str) -> Packet {
    Packet::Unsubscribe(Unsubscribe {
        pkid: 1,
        filters: vec![filter.into()],
        properties: Default::default(),
    })
}

fn publish(topic: &str, retain: bool) -> Packet {
    Packet::Publish(Publish {
        topic: topic.into(),
        qos: QoS::AtLeastOnce,
        retain,
        pkid: 1,
        payload: "deep".into(),
        ..Publish::default()
    })
}

/// Runs `case` against mosquitto and `mqtk serve`; both must give the same answers.
fn side_by_side<T>(case: impl Fn(&dyn Target) -> T) -> T
where
    T: PartialEq + std::fmt::Debug,
{
    let mosquitto = case(&Broker::mosquitto());
    let mqtk = TestBroker::start();
    let ours = case(&mqtk);
    assert_eq!(ours, mosquitto, "mqtk serve answers as mosquitto does");
    serves_a_normal_client(&mqtk);
    ours
}

/// A normal client connects, subscribes, publishes at QoS 1 and receives its message: the
/// broker outlived what came before.
fn serves_a_normal_client(broker: &impl Target) {
    let (mut raw, _) = Raw::connect(broker, Raw::v5("after"));
    assert_eq!(raw.subscribe("after/#", QoS::AtLeastOnce), [1]);
    assert_eq!(first_after_marker(&mut raw), "after/marker");
}

/// Publishes `after/marker` at QoS 1 from `raw`, subscribed to it, and returns the topic of
/// the first message it then receives: anything queued before the marker comes first.
fn first_after_marker(raw: &mut Raw) -> String {
    raw.send(publish("after/marker", false));
    let mut topic = None;
    let mut acked = false;
    while topic.is_none() || !acked {
        match raw.recv() {
            Some(Packet::PubAck(_)) => acked = true,
            Some(Packet::Publish(p)) => {
                topic.get_or_insert(p.topic);
            }
            other => panic!("expected PUBACK and the marker, got {other:?}"),
        }
    }
    topic.expect("a message")
}

#[test]
fn filters_deeper_than_the_limit_close_the_connection() {
    let answers = side_by_side(|broker| {
        let mut out = Vec::new();
        for v5 in [false, true] {
            for filter in [deep(201), deep(202), slashes()] {
                out.push(answer(&broker, v5, subscribe(&filter)));
                out.push(answer(&broker, v5, unsubscribe(&filter)));
            }
        }
        out
    });
    assert_eq!(answers[2], "closed", "3.1.1: a deep SUBSCRIBE closes");
    assert_eq!(
        answers[8], "DISCONNECT 0x81",
        "MQTT 5: a deep SUBSCRIBE is malformed"
    );
    assert_eq!(
        answers[10], "DISCONNECT 0x81",
        "MQTT 5: so is the reported filter"
    );
    assert_eq!(answers[6], "SUBACK [0]", "201 levels are allowed");
}

#[test]
fn topics_deeper_than_the_limit_close_the_connection() {
    let answers = side_by_side(|broker| {
        [false, true]
            .into_iter()
            .flat_map(|v5| [201, 202].map(|n| answer(&broker, v5, publish(&deep(n), false))))
            .collect::<Vec<_>>()
    });
    assert_eq!(answers[1], "closed");
    assert_eq!(
        answers[3], "DISCONNECT 0x82",
        "a deep PUBLISH is a protocol error"
    );
    assert_eq!(answers[2], "PUBACK");
}

/// A retained PUBLISH of 30,000 levels closes its connection and stores nothing: a new `#`
/// subscriber's first message is its own.
#[test]
fn a_retained_topic_of_30_000_levels_is_refused_and_not_stored() {
    let answers = side_by_side(|broker| {
        let answers = [false, true].map(|v5| answer(&broker, v5, publish(&deep(30_000), true)));
        let (mut reader, _) = Raw::connect(&broker, Raw::v5("r"));
        reader.subscribe("#", QoS::AtLeastOnce);
        assert_eq!(first_after_marker(&mut reader), "after/marker");
        answers
    });
    assert_eq!(answers, ["closed", "DISCONNECT 0x82"]);
}

/// The deepest retained topic comes back whole to a `#` subscriber.
#[test]
fn the_deepest_retained_topic_reads_back_through_hash() {
    side_by_side(|broker| {
        let topic = deep(201);
        let (mut publisher, _) = Raw::connect(&broker, Raw::v5("p"));
        publisher.send(publish(&topic, true));
        assert!(matches!(publisher.recv(), Some(Packet::PubAck(_))));
        let (mut reader, _) = Raw::connect(&broker, Raw::v5("r"));
        reader.subscribe("#", QoS::AtMostOnce);
        let got = match reader.recv() {
            Some(Packet::Publish(p)) => p.topic,
            other => panic!("expected the retained message, got {other:?}"),
        };
        assert_eq!(got, topic);
        got.len()
    });
}

/// A will deeper than the limit gets no CONNACK; the deepest allowed one is published.
#[test]
fn a_will_deeper_than_the_limit_gets_no_connack() {
    side_by_side(|broker| {
        let with_will = |levels| {
            let mut connect = Raw::v5("willing");
            connect.will = Some(Will {
                topic: deep(levels),
                payload: "gone".into(),
                qos: QoS::AtMostOnce,
                retain: false,
                properties: Default::default(),
            });
            Raw::try_connect(broker.port(), connect)
        };
        assert!(with_will(202).1.is_none(), "no CONNACK for a deep will");
        let (mut watcher, _) = Raw::connect(&broker, Raw::v5("watcher"));
        watcher.subscribe("#", QoS::AtMostOnce);
        // Dropped without DISCONNECT: a will that had been taken would be published now.
        let (refused, ack) = with_will(30_000);
        assert!(ack.is_none(), "no CONNACK for a will of 30,000 levels");
        drop(refused);
        assert_eq!(first_after_marker(&mut watcher), "after/marker");
        let (willing, ack) = with_will(201);
        assert!(ack.is_some());
        drop(willing);
        match watcher.recv() {
            Some(Packet::Publish(p)) => assert_eq!(p.topic, deep(201), "the will's topic"),
            other => panic!("expected the will, got {other:?}"),
        }
    });
}

/// Deep retained messages, queues and subscriptions are saved and restored.
#[test]
fn deep_state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("mqtk.db");
    let args = ["--persist", db.to_str().expect("utf-8")];
    let topic = deep(201);
    let mut broker = Broker::mqtk_serve_with(&args, None);
    let publish = |broker: &Broker, message| {
        let args = ["-t", &topic, "-m", message, "-r", "-q", "1"];
        common::succeeds(broker.mqtk("pub", &args));
    };
    let away = ["-c", "-i", "away", "-q", "1", "-t", &topic, "-E"];
    common::succeeds(broker.mqtk("sub", &away));
    publish(&broker, "queued");
    assert!(broker.stop("TERM").success());
    let broker = Broker::mqtk_serve_with(&args, None);
    let retained = ["-t", "#", "-v", "-C", "1", "-W", "5"];
    let retained = common::succeeds(broker.mqtk("sub", &retained));
    assert_eq!(retained, format!("{topic} queued\n"));
    // Back on another filter: what arrives comes through the restored deep subscription.
    let back = [
        "-c", "-i", "away", "-q", "1", "-t", "other", "-C", "2", "-W", "5",
    ];
    let out = broker.receive(broker.mqtk("sub", &back), || publish(&broker, "live"));
    assert_eq!(common::text(&out.stdout), "queued\nlive\n");
}
