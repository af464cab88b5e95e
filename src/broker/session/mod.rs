//! Per-client session state that outlives a connection: subscriptions, the queue of messages
//! waiting to be sent, QoS 1/2 messages in flight both ways and the packet-id counter.
//!
//! A session is shared (`Arc<Session>`) between the router, which queues messages into it
//! from any publisher's task, and the connection that currently owns it. Every connection
//! checks that it still owns the session each time it takes the lock, so a takeover needs no
//! handshake with the old connection: it just stops finding itself the owner.
//!
//! The queue and its bounds are in [`queue`], what is in flight both ways in [`inflight`],
//! what persistence keeps in [`image`]; ownership, timers and wills stay here.

mod image;
mod inflight;
mod queue;

pub use image::SessionImage;
pub use queue::SessionLimits;

use super::message::{Message, Origin};
use super::tree::ClientId;
use crate::codec::{PacketIds, QoS, Will};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// The options of one subscription, as the router applies them to each message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubOptions {
    pub qos: QoS,
    pub no_local: bool,
    pub retain_as_published: bool,
    /// MQTT 5 subscription identifier.
    pub id: Option<u32>,
}

/// A message on its way to one session, with that session's QoS and retain flag.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub msg: Arc<Message>,
    pub qos: QoS,
    pub retain: bool,
    pub sub_ids: Vec<u32>,
}

/// What a connection has to write for its session.
#[derive(Debug)]
pub enum Outbound {
    /// A PUBLISH; `pkid` is 0 for QoS 0.
    Publish {
        pkid: u16,
        dup: bool,
        delivery: Delivery,
    },
    /// A PUBREL resent after reconnecting.
    PubRel(u16),
}

/// A QoS 1/2 message sent to the client and not yet acknowledged.
#[derive(Clone, Debug)]
pub struct Inflight {
    pub pkid: u16,
    pub delivery: Delivery,
    /// PUBREC received and PUBREL sent: waiting for PUBCOMP.
    pub released: bool,
}

/// A will that waits for its delay, with the connection that set it (its publisher).
pub type PendingWill = (Will, Arc<Origin>);

/// The connection that currently serves a session.
struct Owner {
    id: u64,
    waker: Arc<Notify>,
}

/// A client's session.
pub struct Session {
    pub client_id: ClientId,
    /// Mirrors `owner.is_some()` so shared-subscription routing can read it without the lock.
    online: AtomicBool,
    state: Mutex<SessionState>,
}

/// The mutable part of a session, behind its lock.
pub struct SessionState {
    owner: Option<Owner>,
    /// Id of the last connection that owned the session, so timers started when it left can
    /// tell whether the client came back since.
    last_owner: u64,
    /// Subscriptions by the filter as the client sent it (including any `$share/group/`).
    pub subscriptions: HashMap<String, SubOptions>,
    queue: VecDeque<Delivery>,
    /// Payload bytes in `queue`.
    queued_bytes: usize,
    inflight: VecDeque<Inflight>,
    /// Payload bytes of the QoS 1/2 messages in `inflight`.
    inflight_bytes: usize,
    incoming: HashSet<u16>,
    pkids: PacketIds,
    limits: SessionLimits,
    /// Seconds the session outlives its connection; `u32::MAX` is forever.
    pub expiry: u32,
    /// Set once the session has been removed from the broker; nothing is queued after that.
    pub ended: bool,
    /// Dropping since the queue was last less than half full.
    dropping: bool,
    /// An MQTT 5 will waiting for its delay after the connection was lost, with the
    /// connection that set it.
    pub pending_will: Option<PendingWill>,
    /// When the connection last took messages from the queue: a subscriber that stopped
    /// taking them (not reading, or not acknowledging) no longer holds its publishers back.
    last_drain: Instant,
    /// Wall-clock time the last connection left, for persistence.
    left: Option<SystemTime>,
    /// The will-delay and expiry timers started when the last connection left: cancelled
    /// when a client comes back or the session ends, so a client that reconnects in a loop
    /// leaves no sleeping tasks behind.
    timers: Vec<AbortHandle>,
}

impl SessionState {
    fn cancel_timers(&mut self) {
        for timer in self.timers.drain(..) {
            timer.abort();
        }
    }
}

impl Session {
    /// A new, empty, unowned session.
    pub fn new(client_id: ClientId, limits: SessionLimits, expiry: u32) -> Session {
        Session {
            client_id,
            online: AtomicBool::new(false),
            state: Mutex::new(SessionState {
                owner: None,
                last_owner: 0,
                subscriptions: HashMap::new(),
                queue: VecDeque::new(),
                queued_bytes: 0,
                inflight: VecDeque::new(),
                inflight_bytes: 0,
                incoming: HashSet::new(),
                pkids: PacketIds::default(),
                limits,
                expiry,
                ended: false,
                dropping: false,
                pending_will: None,
                last_drain: Instant::now(),
                left: None,
                timers: Vec::new(),
            }),
        }
    }

    /// Locks the state. A poisoned lock is still used: every update leaves it consistent.
    pub fn lock(&self) -> MutexGuard<'_, SessionState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True while a connection serves the session.
    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Relaxed)
    }

    /// Makes connection `id` the owner; returns the previous owner's waker, to wake it so it
    /// notices the takeover and closes. A will still waiting for its delay is cancelled.
    pub fn attach(&self, id: u64, waker: Arc<Notify>) -> Option<Arc<Notify>> {
        let mut st = self.lock();
        let old = st.owner.replace(Owner { id, waker });
        st.last_owner = id;
        st.pending_will = None;
        st.cancel_timers();
        self.online.store(true, Ordering::Relaxed);
        old.map(|o| o.waker)
    }

    /// Releases the session if connection `id` still owns it; true if it did.
    pub fn detach(&self, id: u64) -> bool {
        let mut st = self.lock();
        if !st.owned_by(id) {
            return false;
        }
        st.owner = None;
        st.left = Some(SystemTime::now());
        self.online.store(false, Ordering::Relaxed);
        true
    }

    /// Keeps `timer` (a task that acts on the session once it has been away long enough)
    /// until a client comes back or the session ends; cancels it if either happened already.
    pub fn keep_timer(&self, timer: AbortHandle) {
        let mut st = self.lock();
        match st.ended || st.owner.is_some() {
            true => timer.abort(),
            false => st.timers.push(timer),
        }
    }

    /// Keeps `will` until its delay has passed (see [`Session::end`]); hands it back when the
    /// session ended since its connection left, as ending released the wills it held then.
    pub fn hold_will(&self, will: PendingWill) -> Option<PendingWill> {
        let mut st = self.lock();
        if st.ended {
            return Some(will);
        }
        st.pending_will = Some(will);
        None
    }

    /// Ends the session for good; returns the owner's waker (to make it close) and a will
    /// still waiting for its delay, which the end of the session releases (MQTT-3.1.3-9).
    pub fn end(&self) -> (Option<Arc<Notify>>, Option<PendingWill>) {
        let mut st = self.lock();
        st.ended = true;
        st.cancel_timers();
        st.queue.clear();
        st.queued_bytes = 0;
        self.online.store(false, Ordering::Relaxed);
        (st.owner.take().map(|o| o.waker), st.pending_will.take())
    }
}

impl SessionState {
    /// True while a connection other than `id` serves this session.
    pub fn owner_other_than(&self, id: u64) -> bool {
        self.owner.as_ref().is_some_and(|o| o.id != id)
    }

    /// True while connection `id` serves this session.
    pub fn owned_by(&self, id: u64) -> bool {
        self.owner.as_ref().is_some_and(|o| o.id == id)
    }

    /// True when the connection that left as `id` has not been followed by another.
    pub fn abandoned_by(&self, id: u64) -> bool {
        self.owner.is_none() && self.last_owner == id && !self.ended
    }
}

#[cfg(test)]
mod tests {
    use super::queue::Enqueued;
    use super::*;
    use crate::codec::Props;

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
        s.attach(1, Arc::new(Notify::new()));
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
        s.attach(2, Arc::new(Notify::new()));
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
        r.attach(5, Arc::new(Notify::new()));
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
        assert!(s.attach(2, Arc::new(Notify::new())).is_some());
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
}
