//! Durability under chaos: clients with persistent sessions are cut off at random moments of
//! their QoS 1/2 flows (no DISCONNECT, as when their process is killed), 100 times, and come
//! back. Nothing the broker acknowledged may be lost, and QoS 2 arrives exactly once.
//!
//! The clients are codec-level ([`Raw`]) so the test keeps their protocol state across the
//! cuts, as a client library with its own persistence would: that is what lets MQTT promise
//! exactly once, and what the broker must honour.

mod common;

use common::{Broker, Raw, Target, TestBroker};
use mqtk::codec::{Ack, Connect, Packet, Publish, QoS};
use std::collections::{HashMap, HashSet};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const MESSAGES: u64 = 2000;
const CUTS_PER_SIDE: u32 = 50;

fn persistent(id: &str) -> Connect {
    Connect {
        clean_start: false,
        ..Raw::v311(id)
    }
}

fn ack(pkid: u16) -> Ack {
    Ack {
        pkid,
        ..Ack::default()
    }
}

/// Connects again after a cut; the broker must still hold the session.
fn reconnect(broker: &impl Target, id: &str) -> Raw {
    let (raw, connack) = Raw::connect(broker, persistent(id));
    assert!(
        connack.session_present,
        "{id}: the session survived the cut"
    );
    raw
}

/// Publishes `MESSAGES` messages, odd ones at QoS 2, one at a time, cutting its connection
/// at random points of the flows; returns the sequence numbers the broker acknowledged.
fn publisher(broker: &TestBroker, rng: &mut fastrand::Rng) -> Vec<u64> {
    let id = "chaos-pub";
    let (mut raw, _) = Raw::connect(broker, persistent(id));
    let mut cuts = 0;
    let mut cut = |raw: &mut Raw, rng: &mut fastrand::Rng| {
        if cuts < CUTS_PER_SIDE && rng.u32(..(MESSAGES as u32 / CUTS_PER_SIDE)) == 0 {
            cuts += 1;
            *raw = reconnect(broker, id);
            true
        } else {
            false
        }
    };
    let mut acked = Vec::new();
    for seq in 0..MESSAGES {
        let qos = if seq % 2 == 1 {
            QoS::ExactlyOnce
        } else {
            QoS::AtLeastOnce
        };
        let pkid = (seq % 60_000) as u16 + 1;
        let mut publish = Publish {
            topic: format!("chaos/{seq}"),
            qos,
            pkid,
            payload: seq.to_string().into(),
            ..Publish::default()
        };
        let mut released = false;
        loop {
            let packet = if released {
                Packet::PubRel(ack(pkid))
            } else {
                Packet::Publish(publish.clone())
            };
            raw.send(packet);
            if cut(&mut raw, rng) {
                publish.dup = true;
                continue;
            }
            match raw.recv() {
                Some(Packet::PubAck(a)) if a.pkid == pkid => break,
                Some(Packet::PubRec(a)) if a.pkid == pkid => {
                    acked.push(seq);
                    released = true;
                }
                Some(Packet::PubComp(a)) if a.pkid == pkid => break,
                other => panic!("publisher: unexpected {other:?} for {seq}"),
            }
        }
        if qos == QoS::AtLeastOnce {
            acked.push(seq);
        }
    }
    assert_eq!(
        cuts, CUTS_PER_SIDE,
        "the publisher was cut as often as planned"
    );
    acked
}

/// What the subscriber saw: deliveries per sequence number, split by QoS.
#[derive(Default)]
struct Seen {
    qos1: HashMap<u64, u32>,
    qos2: HashMap<u64, u32>,
}

/// Receives until every message came or nothing comes for a while, cutting its connection at
/// random points (before or after its acknowledgements), `CUTS_PER_SIDE` times.
/// `raw` is the first connection, already subscribed.
fn subscriber(
    broker: &TestBroker,
    mut raw: Raw,
    rng: &mut fastrand::Rng,
    done: &mpsc::Receiver<()>,
) -> Seen {
    let id = SUBSCRIBER;
    let mut seen = Seen::default();
    // QoS 2 ids delivered but not yet released: a resent PUBLISH with one is not new.
    let mut unreleased = HashSet::new();
    let mut cuts = 0;
    let mut publisher_done = false;
    loop {
        let packet = match raw.recv_within(Duration::from_secs(2)) {
            Some(packet) => packet,
            None if publisher_done => break,
            None => {
                publisher_done = finished(done);
                continue;
            }
        };
        if cuts < CUTS_PER_SIDE && rng.u32(..40) == 0 {
            cuts += 1;
            raw = reconnect(broker, id);
            continue;
        }
        let reply = match packet {
            Packet::Publish(p) => {
                let seq: u64 = std::str::from_utf8(&p.payload).unwrap().parse().unwrap();
                match p.qos {
                    QoS::AtLeastOnce => {
                        *seen.qos1.entry(seq).or_default() += 1;
                        Packet::PubAck(ack(p.pkid))
                    }
                    QoS::ExactlyOnce => {
                        if unreleased.insert(p.pkid) {
                            *seen.qos2.entry(seq).or_default() += 1;
                        }
                        Packet::PubRec(ack(p.pkid))
                    }
                    QoS::AtMostOnce => panic!("QoS 0 delivery of {seq}"),
                }
            }
            Packet::PubRel(a) => {
                unreleased.remove(&a.pkid);
                Packet::PubComp(ack(a.pkid))
            }
            other => panic!("subscriber: unexpected {other:?}"),
        };
        raw.send(reply);
        if seen.qos1.len() + seen.qos2.len() == MESSAGES as usize && publisher_done {
            break;
        }
        publisher_done = publisher_done || finished(done);
    }
    assert_eq!(
        cuts, CUTS_PER_SIDE,
        "the subscriber was cut as often as planned"
    );
    seen
}

/// True once the publisher is done (or gone).
fn finished(done: &mpsc::Receiver<()>) -> bool {
    !matches!(done.try_recv(), Err(mpsc::TryRecvError::Empty))
}

const SUBSCRIBER: &str = "chaos-sub";

/// The first connection subscribes, before the publisher starts (else its first messages
/// have no subscriber); the session keeps the subscription from then on.
fn first_connection(broker: &TestBroker, id: &str) -> Raw {
    let (mut raw, _) = Raw::connect(broker, persistent(id));
    assert_eq!(raw.subscribe("chaos/#", QoS::ExactlyOnce), [2]);
    raw
}

#[test]
fn nothing_acknowledged_is_lost_when_clients_are_cut_off_at_random() {
    let broker = TestBroker::with(|c| c.max_queued_messages = 0);
    let seed = fastrand::u64(..);
    eprintln!("chaos seed {seed}");
    let (done_tx, done_rx) = mpsc::channel();
    let seen = std::thread::scope(|s| {
        let broker = &broker;
        let first = first_connection(broker, SUBSCRIBER);
        let mut rng = fastrand::Rng::with_seed(seed);
        let sub = s.spawn(move || subscriber(broker, first, &mut rng, &done_rx));
        let acked = publisher(broker, &mut fastrand::Rng::with_seed(seed ^ 1));
        done_tx.send(()).expect("subscriber listens");
        let started = Instant::now();
        let seen = sub.join().expect("subscriber");
        assert!(started.elapsed() < Duration::from_secs(60));
        (acked, seen)
    });
    let (acked, seen) = seen;
    assert_eq!(
        acked.len() as u64,
        MESSAGES,
        "every message was acknowledged in the end"
    );
    for seq in acked {
        let count = match seq % 2 {
            1 => seen.qos2.get(&seq).copied(),
            _ => seen.qos1.get(&seq).copied(),
        };
        match (seq % 2, count) {
            (_, None) => panic!("seed {seed}: acknowledged message {seq} was lost"),
            (1, Some(n)) => assert_eq!(n, 1, "seed {seed}: QoS 2 message {seq} arrived {n} times"),
            _ => {}
        }
    }
}

/// The README's loss window for `kill -9`: what changed in the last autosave interval (1 s),
/// plus the time a save takes; a generous margin for a loaded machine.
const LOSS_WINDOW: Duration = Duration::from_millis(2500);

/// `kill -9` of `serve --persist` while a publisher streams QoS 1 messages to an absent
/// persistent session: after the restart the session is there and holds every message
/// acknowledged more than the loss window before the kill.
#[test]
fn kill_9_under_load_loses_at_most_the_documented_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("mosquitto.conf");
    let text = format!(
        "allow_anonymous true\npersistence true\npersistence_location {}/\nmax_queued_messages 0\n",
        dir.path().display()
    );
    std::fs::write(&conf, text).expect("config");
    let args = ["-c", conf.to_str().expect("utf-8")];
    let mut broker = Broker::mqtk_serve_with(&args, None);
    let (mut away, _) = Raw::connect(&broker, persistent("away"));
    assert_eq!(away.subscribe("load/#", QoS::AtLeastOnce), [1]);
    drop(away);
    broker.wait_for_log("Saved the state");
    let (mut publisher, _) = Raw::connect(&broker, Raw::v311("loader"));
    let started = Instant::now();
    let mut acked = Vec::new();
    for seq in 0u64.. {
        if started.elapsed() > Duration::from_secs(4) {
            break;
        }
        publisher.send(Packet::Publish(Publish {
            topic: "load/x".into(),
            qos: QoS::AtLeastOnce,
            pkid: (seq % 60_000) as u16 + 1,
            payload: seq.to_string().into(),
            ..Publish::default()
        }));
        assert!(matches!(publisher.recv(), Some(Packet::PubAck(_))));
        acked.push((seq, Instant::now()));
        std::thread::sleep(Duration::from_micros(500));
    }
    assert!(!broker.stop("KILL").success());
    let killed = Instant::now();
    let broker = Broker::mqtk_serve_with(&args, None);
    let mut back = reconnect(&broker, "away");
    let mut restored = HashSet::new();
    while let Some(Packet::Publish(p)) = back.recv_within(Duration::from_secs(2)) {
        let seq: u64 = std::str::from_utf8(&p.payload).unwrap().parse().unwrap();
        restored.insert(seq);
        back.send(Packet::PubAck(ack(p.pkid)));
    }
    let must_survive: Vec<u64> = acked
        .iter()
        .filter(|(_, at)| killed.duration_since(*at) > LOSS_WINDOW)
        .map(|(seq, _)| *seq)
        .collect();
    assert!(must_survive.len() > 100, "the run streamed long enough");
    let lost: Vec<&u64> = must_survive
        .iter()
        .filter(|s| !restored.contains(s))
        .collect();
    assert!(
        lost.is_empty(),
        "{} lost before the window, first {:?}",
        lost.len(),
        lost.first()
    );
}
