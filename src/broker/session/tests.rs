//! The session's queue, in-flight window, packet ids and ownership, without a connection.

use super::queue::Enqueued;
use super::*;
use crate::codec::Props;
use std::time::Instant;

fn delivery(qos: QoS) -> Delivery {
    sized(qos, 0)
}

fn sized(qos: QoS, bytes: usize) -> Delivery {
    let msg = Message {
        topic: "t".into(),
        payload: vec![b'x'; bytes].into(),
        qos,
        retain: false,
        properties: Props::default(),
        expires: None,
        origin: None,
    };
    Delivery {
        msg: Arc::new(msg),
        qos,
        retain: false,
        sub_ids: Vec::new(),
    }
}

fn limits(queued_messages: usize, queued_bytes: usize) -> SessionLimits {
    SessionLimits {
        queued_messages,
        queued_bytes,
        inflight_bytes: 0,
        queue_qos0: false,
    }
}

fn online(limit: usize) -> Session {
    with_limits(limits(limit, 0))
}

fn with_limits(limits: SessionLimits) -> Session {
    let s = Session::new("c".into(), limits, 0);
    s.attach(claim(1));
    s
}

fn pkids(out: &[Outbound]) -> Vec<(u16, bool)> {
    out.iter()
        .map(|o| match o {
            Outbound::Publish { pkid, dup, .. } => (*pkid, *dup),
            Outbound::PubRel(pkid) => (*pkid, true),
        })
        .collect()
}

/// A will held after the session ended (its end raced the connection's close) comes back,
/// to be published now instead of after its delay.
#[test]
fn a_session_that_ended_holds_no_will() {
    let origin = Arc::new(Origin {
        client_id: "c".into(),
        username: None,
        listener: 0,
    });
    let will = || {
        let will = Will {
            topic: "w".into(),
            payload: "gone".into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: Default::default(),
        };
        (will, origin.clone())
    };
    let s = online(10);
    s.detach(1);
    assert!(s.hold_will(will()).is_none());
    assert!(s.end().1.is_some(), "the end releases the held will");
    assert!(s.hold_will(will()).is_some());
    assert!(s.end().1.is_none());
}

/// Overlapping filters of one SUBSCRIBE match the same retained messages: the first
/// copy of each goes past the queue limit, the others only up to it.
#[test]
fn retained_copies_beyond_the_first_obey_the_queue_limit() {
    let s = online(5);
    let retained: Vec<Delivery> = (0..3).map(|_| delivery(QoS::AtLeastOnce)).collect();
    let snapshot = || retained.iter().cloned();
    let small: Vec<Delivery> = snapshot().chain(snapshot()).collect();
    assert_eq!(
        s.enqueue_retained(small),
        1,
        "the second copies fill the queue to 5"
    );
    assert_eq!(s.lock().queue.len(), 5);
    let repeated: Vec<Delivery> = (0..10).flat_map(|_| snapshot()).collect();
    assert_eq!(
        s.enqueue_retained(repeated),
        27,
        "only the first copies go past 5"
    );
    assert_eq!(s.lock().queue.len(), 8);
}

/// Retained snapshots go past the queue limit, but not past its hard limit: a client that
/// subscribes to `#` again and again without reading cannot grow its queue for ever.
#[test]
fn retained_snapshots_stop_at_the_hard_limit() {
    let s = online(2);
    let snapshot = || (0..15).map(|_| delivery(QoS::AtLeastOnce)).collect();
    assert_eq!(s.enqueue_retained(snapshot()), 0, "past the limit of 2");
    assert_eq!(
        s.enqueue_retained(snapshot()),
        0,
        "15 queued, below the hard limit of 20"
    );
    assert_eq!(s.enqueue_retained(snapshot()), 15, "at 30 it takes none");
    assert_eq!(s.lock().queue.len(), 30);
}

#[test]
fn flow_control_holds_qos1_beyond_the_window() {
    let s = online(10);
    for qos in [
        QoS::AtLeastOnce,
        QoS::AtLeastOnce,
        QoS::AtMostOnce,
        QoS::ExactlyOnce,
    ] {
        s.enqueue(delivery(qos));
    }
    let mut st = s.lock();
    let mut out = Vec::new();
    st.next_batch(2, 10, Instant::now(), &mut out);
    assert_eq!(pkids(&out), [(1, false), (2, false), (0, false)]);
    out.clear();
    st.next_batch(2, 10, Instant::now(), &mut out);
    assert!(out.is_empty(), "window full");
    assert!(st.complete(1));
    assert!(!st.complete(1));
    st.next_batch(2, 10, Instant::now(), &mut out);
    assert_eq!(pkids(&out), [(3, false)]);
}

#[test]
fn reconnect_resends_publish_with_dup_and_pubrel() {
    let s = online(10);
    s.enqueue(delivery(QoS::ExactlyOnce));
    s.enqueue(delivery(QoS::AtLeastOnce));
    let mut out = Vec::new();
    s.lock().next_batch(10, 10, Instant::now(), &mut out);
    assert!(s.lock().received(1));
    assert!(s.detach(1));
    assert!(!s.detach(1));
    assert!(s.lock().abandoned_by(1));
    s.attach(claim(2));
    out.clear();
    s.lock().resend(&mut out);
    assert!(matches!(out[0], Outbound::PubRel(1)));
    assert_eq!(pkids(&out[1..]), [(2, true)]);
}

#[test]
fn offline_queue_keeps_qos1_and_is_bounded() {
    let s = Session::new("c".into(), limits(2, 0), u32::MAX);
    let dropped: Vec<bool> = [
        QoS::AtMostOnce,
        QoS::AtLeastOnce,
        QoS::AtLeastOnce,
        QoS::ExactlyOnce,
    ]
    .map(|qos| s.enqueue(delivery(qos)).dropped)
    .into();
    assert_eq!(s.lock().queue.len(), 2);
    assert_eq!(dropped, [false, false, false, true]);
}

#[test]
fn queue_qos0_messages_keeps_qos0_offline_within_the_limits() {
    let limits = SessionLimits {
        queue_qos0: true,
        ..limits(2, 0)
    };
    let s = Session::new("c".into(), limits, u32::MAX);
    let dropped = [QoS::AtMostOnce, QoS::AtMostOnce, QoS::AtLeastOnce]
        .map(|qos| s.enqueue(delivery(qos)).dropped);
    assert_eq!(dropped, [false, false, true]);
    assert_eq!(s.lock().queue.len(), 2);
}

#[test]
fn a_full_online_queue_drops_qos0_first_and_qos1_at_ten_times() {
    let s = online(4);
    let outcomes: Vec<Enqueued> = (0..5)
        .map(|_| s.enqueue(delivery(QoS::AtLeastOnce)))
        .collect();
    assert!(!outcomes[1].congested && outcomes[2].congested);
    assert!(outcomes.iter().all(|e| !e.dropped));
    assert!(s.enqueue(delivery(QoS::AtMostOnce)).dropped);
    let kept = (0..50)
        .filter(|_| !s.enqueue(delivery(QoS::ExactlyOnce)).dropped)
        .count();
    assert_eq!(kept, 35, "QoS 1/2 are queued up to 10 x 4");
    assert!(!s.enqueue(delivery(QoS::AtMostOnce)).started_dropping);
    let mut out = Vec::new();
    s.lock().next_batch(100, 100, Instant::now(), &mut out);
    (0..4).for_each(|_| assert!(!s.enqueue(delivery(QoS::AtLeastOnce)).dropped));
    let again: Vec<Enqueued> = (0..5)
        .map(|_| s.enqueue(delivery(QoS::AtMostOnce)))
        .collect();
    assert!(again.iter().all(|e| e.dropped));
    assert_eq!(again.iter().filter(|e| e.started_dropping).count(), 1);
}

#[test]
fn queued_bytes_bound_the_queue_and_zero_is_unlimited() {
    let s = with_limits(limits(0, 1000));
    let first = s.enqueue(sized(QoS::AtMostOnce, 600));
    assert!(!first.dropped && first.congested);
    assert!(!s.enqueue(sized(QoS::AtMostOnce, 600)).dropped);
    assert!(s.enqueue(sized(QoS::AtMostOnce, 1)).dropped);
    let mut out = Vec::new();
    s.lock().next_batch(10, 10, Instant::now(), &mut out);
    assert_eq!(s.lock().queued_bytes, 0);
    assert!(!s.enqueue(sized(QoS::AtMostOnce, 1)).dropped);
    let unlimited = with_limits(limits(0, 0));
    let dropped = (0..10_000)
        .filter(|_| unlimited.enqueue(delivery(QoS::AtMostOnce)).dropped)
        .count();
    assert_eq!(dropped, 0);
}

#[test]
fn inflight_bytes_let_one_large_message_through_at_a_time() {
    let s = with_limits(SessionLimits {
        inflight_bytes: 100,
        ..limits(10, 0)
    });
    for bytes in [150, 10, 10] {
        s.enqueue(sized(QoS::AtLeastOnce, bytes));
    }
    let mut st = s.lock();
    let mut out = Vec::new();
    st.next_batch(10, 10, Instant::now(), &mut out);
    assert_eq!(pkids(&out), [(1, false)]);
    assert!(st.complete(1));
    out.clear();
    st.next_batch(10, 10, Instant::now(), &mut out);
    assert_eq!(pkids(&out), [(2, false), (3, false)]);
    assert_eq!(st.inflight_bytes, 20);
}

#[test]
fn a_restored_session_resumes_where_it_was_saved() {
    let s = online(10);
    s.lock()
        .subscriptions
        .insert("t".into(), SubOptions::default());
    for qos in [QoS::ExactlyOnce, QoS::AtLeastOnce, QoS::AtLeastOnce] {
        s.enqueue(delivery(qos));
    }
    let mut out = Vec::new();
    s.lock().next_batch(2, 10, Instant::now(), &mut out);
    assert!(s.lock().received(1));
    assert!(s.lock().incoming_new(9));
    assert!(s.image().is_none(), "expiry 0 ends with the connection");
    s.lock().expiry = 60;
    let image = s.image().expect("an image");
    assert_eq!(image.left, None, "online");
    let r = Session::restored("c".into(), limits(10, 0), image);
    assert!(!r.is_online());
    assert!(r.lock().abandoned_by(0));
    r.attach(claim(5));
    let mut st = r.lock();
    assert_eq!(st.expiry, 60);
    assert_eq!(st.subscriptions.len(), 1);
    assert!(
        !st.incoming_new(9),
        "a duplicate of an unreleased QoS 2 message"
    );
    out.clear();
    st.resend(&mut out);
    st.next_batch(10, 10, Instant::now(), &mut out);
    assert!(matches!(out[0], Outbound::PubRel(1)));
    assert_eq!(pkids(&out[1..]), [(2, true), (3, false)]);
}

#[test]
fn takeover_moves_ownership() {
    let s = online(10);
    assert!(s.attach(claim(2)).is_some());
    assert!(!s.lock().owned_by(1));
    assert!(!s.detach(1));
    assert!(s.lock().owned_by(2));
}

#[test]
fn inbound_qos2_is_routed_once() {
    let s = online(10);
    let mut st = s.lock();
    assert!(st.incoming_new(5));
    assert!(!st.incoming_new(5));
    assert_eq!(st.incoming_len(), 1);
    assert!(st.release(5));
    assert!(!st.release(5));
}

#[test]
fn packet_ids_skip_those_in_flight_and_wrap() {
    let s = online(10);
    let mut st = s.lock();
    st.pkids = PacketIds::after(u16::MAX - 1);
    st.track(delivery(QoS::AtLeastOnce));
    assert_eq!(st.track(delivery(QoS::AtLeastOnce)), 1);
    st.pkids = PacketIds::default();
    assert_eq!(st.track(delivery(QoS::AtLeastOnce)), 2);
}

/// Connection `id` taking a session, with no ACL to check.
fn claim(id: u64) -> Claim {
    Claim {
        id,
        waker: Arc::new(Signal::new()),
        reader: None,
    }
}

/// After a burst is sent, giving back spare room leaves the queue and the in-flight list
/// holding no more than what is still in them.
#[test]
fn spare_room_is_given_back_after_a_burst() {
    let s = online(1000);
    for _ in 0..300 {
        s.enqueue(delivery(QoS::AtLeastOnce));
    }
    let mut st = s.lock();
    let mut out = Vec::new();
    st.next_batch(10, 1000, Instant::now(), &mut out);
    assert_eq!(out.len(), 10, "the window holds ten in flight");
    assert!(st.queue.capacity() >= 290);
    st.release_spare();
    assert!(st.queue.capacity() < 300 && st.queue.len() == 290);
    st.queue.clear();
    st.release_spare();
    assert_eq!((st.queue.capacity(), st.inflight.len()), (0, 10));
}
