//! Idle clients give their tasks up (`broker::parking`) and lose nothing by it: what is
//! published reaches them, their pings are answered, a takeover, a lost socket, keepalive
//! and shutdown still end them. The broker's task count says when they are parked: a client
//! idle since it connected within a second, one that has done something 2.5 to 3 s after.

mod common;

use common::{Raw, TestBroker};
use mqtk::codec::{Ack, Packet, Publish, QoS, Will};
use std::time::{Duration, Instant};

/// The broker's task count once it is at most `count` (waiting up to 10 s), else at 10 s.
/// A client that has done something is parked 2.5 to 3 s after (`signal::PARK`).
fn settle(broker: &TestBroker, count: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    while broker.tasks() > count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    broker.tasks()
}

fn publish(topic: &str, payload: &str, pkid: u16) -> Packet {
    Packet::Publish(Publish {
        topic: topic.into(),
        qos: QoS::AtLeastOnce,
        pkid,
        payload: payload.to_string().into_bytes().into(),
        ..Publish::default()
    })
}

/// The next packet is `payload` published on `topic`, which is acknowledged.
fn receive(raw: &mut Raw, topic: &str, payload: &str) {
    match raw.recv() {
        Some(Packet::Publish(p)) if p.topic == topic && &p.payload[..] == payload.as_bytes() => {
            raw.send(Packet::PubAck(Ack::new(p.pkid)));
        }
        other => panic!("expected {payload:?} on {topic:?}, got {other:?}"),
    }
}

#[test]
fn parked_clients_are_served_as_before() {
    let broker = TestBroker::start();
    let (mut publisher, _) = Raw::connect(&broker, Raw::v311("publisher"));
    publisher.send(Packet::PingReq);
    assert_eq!(publisher.recv(), Some(Packet::PingResp));
    let busy = broker.tasks();
    let idle = settle(&broker, busy - 1);
    assert!(
        idle < busy,
        "an idle client kept its task: {busy} tasks, still {idle} after 10 s"
    );
    let mut subscribers: Vec<Raw> = (0..10)
        .map(|i| {
            let (mut raw, _) = Raw::connect(&broker, Raw::v311(&format!("sub{i}")));
            assert_eq!(raw.subscribe("news", QoS::AtLeastOnce), [1]);
            raw
        })
        .collect();
    assert_eq!(
        settle(&broker, idle),
        idle,
        "10 idle subscribers not all parked"
    );

    publisher.send(publish("news", "hello", 1));
    assert_eq!(publisher.recv(), Some(Packet::PubAck(Ack::new(1))));
    for subscriber in &mut subscribers {
        receive(subscriber, "news", "hello");
    }
    assert_eq!(
        settle(&broker, idle),
        idle,
        "not parked again after a message"
    );

    subscribers[1].send(Packet::PingReq);
    assert_eq!(subscribers[1].recv(), Some(Packet::PingResp));
    let (mut again, ack) = Raw::connect(&broker, Raw::v311("sub0"));
    assert_eq!(ack.code, 0);
    assert_eq!(subscribers[0].recv(), None, "a parked client's takeover");
    assert_eq!(again.subscribe("news", QoS::AtLeastOnce), [1]);
    assert_eq!(
        settle(&broker, idle),
        idle,
        "not parked again after a takeover"
    );

    // Shutdown waits for every connection: parked ones must close too.
    drop(broker);
    for mut subscriber in subscribers.into_iter().skip(1).chain([again, publisher]) {
        assert_eq!(subscriber.recv(), None, "still open after shutdown");
    }
}

/// Clients that connect faster than 400 a second are parked as soon as they are idle after
/// their CONNACK (`Connections::storming`): they too get their subscriptions' messages.
#[test]
fn a_crowd_that_connects_at_once_is_parked_and_served() {
    let broker = TestBroker::start();
    let (mut publisher, _) = Raw::connect(&broker, Raw::v311("publisher"));
    let busy = broker.tasks();
    let idle = settle(&broker, busy - 1);
    assert!(idle < busy, "the idle publisher kept its task");
    let mut crowd: Vec<Raw> = (0..300)
        .map(|i| Raw::connect(&broker, Raw::v311(&format!("crowd{i}"))).0)
        .collect();
    for raw in &mut crowd {
        assert_eq!(raw.subscribe("news", QoS::AtLeastOnce), [1]);
    }
    assert_eq!(settle(&broker, idle), idle, "the crowd not all parked");
    publisher.send(publish("news", "hello", 1));
    assert_eq!(publisher.recv(), Some(Packet::PubAck(Ack::new(1))));
    for raw in &mut crowd {
        receive(raw, "news", "hello");
    }
}

#[test]
fn a_parked_client_that_goes_away_leaves_its_will_and_a_silent_one_is_closed() {
    let broker = TestBroker::start();
    let (mut watcher, _) = Raw::connect(&broker, Raw::v311("watcher"));
    assert_eq!(watcher.subscribe("gone/#", QoS::AtLeastOnce), [1]);
    let busy = broker.tasks();
    let idle = settle(&broker, busy - 1);
    assert!(idle < busy, "the idle watcher kept its task");
    let will = |id: &str| Will {
        topic: format!("gone/{id}"),
        payload: id.to_string().into_bytes().into(),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
    };
    let mut leaving = Raw::v311("leaving");
    leaving.will = Some(will("leaving"));
    let (leaving, _) = Raw::connect(&broker, leaving);
    let mut silent = Raw::v311("silent");
    silent.will = Some(will("silent"));
    silent.keep_alive = 2;
    let (mut silent, _) = Raw::connect(&broker, silent);
    // Idle from the start, they are parked within a second.
    assert_eq!(settle(&broker, idle), idle, "two new clients not parked");

    drop(leaving);
    receive(&mut watcher, "gone/leaving", "leaving");
    // 1.5 times the keepalive of 2 s, then the next sweep: the watcher stays within its 5 s.
    receive(&mut watcher, "gone/silent", "silent");
    assert_eq!(silent.recv(), None, "closed for its keepalive");
}
