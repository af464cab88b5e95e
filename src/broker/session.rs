//! Per-client session state that outlives a connection: subscriptions, the queue of messages
//! waiting to be sent, QoS 1/2 messages in flight both ways and the packet-id counter.
//!
//! A session is shared (`Arc<Session>`) between the router, which queues messages into it
//! from any publisher's task, and the connection that currently owns it. Every connection
//! checks that it still owns the session each time it takes the lock, so a takeover needs no
//! handshake with the old connection: it just stops finding itself the owner.

use super::message::{Message, Origin};
use super::tree::ClientId;
use crate::codec::{PacketIds, QoS, Will};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

/// An online session's queue may grow to this many times its limits with QoS 1/2 messages
/// while publishers are held back; past it even those are dropped (and counted).
const HARD_LIMIT_FACTOR: usize = 10;

/// A session's queue and in-flight bounds (`max_queued_messages`, `max_queued_bytes`,
/// `max_inflight_bytes`); 0 is no limit. Bytes are payload bytes, as in mosquitto.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionLimits {
    pub queued_messages: usize,
    pub queued_bytes: usize,
    pub inflight_bytes: usize,
    /// `queue_qos0_messages`: keep QoS 0 messages while offline too.
    pub queue_qos0: bool,
}

impl SessionLimits {
    /// The limits `config` gives every session.
    pub fn of(config: &super::config::Config) -> SessionLimits {
        SessionLimits {
            queued_messages: config.max_queued_messages,
            queued_bytes: config.limits.max_queued_bytes,
            inflight_bytes: config.limits.max_inflight_bytes,
            queue_qos0: config.limits.queue_qos0_messages,
        }
    }

    /// True when a queue of `len` messages and `bytes` bytes has reached `factor` times a
    /// queue limit.
    fn reached(&self, len: usize, bytes: usize, factor: usize) -> bool {
        let over = |n: usize, limit: usize| limit > 0 && n >= limit.saturating_mul(factor);
        over(len, self.queued_messages) || over(bytes, self.queued_bytes)
    }

    /// True while more than half of a queue limit is used.
    fn half_full(&self, len: usize, bytes: usize) -> bool {
        let over = |n: usize, limit: usize| limit > 0 && n.saturating_mul(2) > limit;
        over(len, self.queued_messages) || over(bytes, self.queued_bytes)
    }
}

/// What [`Session::enqueue`] did with a message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Enqueued {
    /// Dropped because the queue was full.
    pub dropped: bool,
    /// The first drop since the queue last had room: worth a log line.
    pub started_dropping: bool,
    /// The online session's queue is more than half full: the publisher should give its
    /// consumer time to drain it.
    pub congested: bool,
    /// Queued in a session persistence saves (expiry not 0).
    pub saved: bool,
}
/// A connection that took nothing from its queue for this long counts as stalled.
const STALL: std::time::Duration = std::time::Duration::from_millis(500);

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

/// What of a session outlives the broker process (see `persist`): everything but its
/// connection and a will waiting for its delay.
#[derive(Clone, Debug, Default)]
pub struct SessionImage {
    /// Filters as the client sent them, with their options.
    pub subscriptions: Vec<(String, SubOptions)>,
    /// Messages waiting to be sent, oldest first.
    pub queue: Vec<Delivery>,
    /// Messages sent and not yet acknowledged, oldest first.
    pub inflight: Vec<Inflight>,
    /// Inbound QoS 2 packet ids waiting for PUBREL.
    pub incoming: Vec<u16>,
    /// The last packet id given out, so ids keep rotating.
    pub next_pkid: u16,
    /// Seconds the session outlives its connection; `u32::MAX` is forever.
    pub expiry: u32,
    /// When the client left, so its expiry keeps counting; `None` while it was connected.
    pub left: Option<SystemTime>,
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

    /// A session restored from `image`, offline, as if its client had not come back since
    /// the broker stopped (its last owner is connection 0, which no connection is).
    pub fn restored(client_id: ClientId, limits: SessionLimits, image: SessionImage) -> Session {
        let session = Session::new(client_id, limits, image.expiry);
        {
            let mut st = session.lock();
            st.subscriptions = image.subscriptions.into_iter().collect();
            st.queue = image.queue.into();
            st.inflight = image.inflight.into();
            // The byte counts the limits check, as if each message had been queued again.
            st.queued_bytes = st.queue.iter().map(|d| d.msg.payload.len()).sum();
            st.inflight_bytes = st
                .inflight
                .iter()
                .map(|i| i.delivery.msg.payload.len())
                .sum();
            st.incoming = image.incoming.into_iter().collect();
            st.pkids = PacketIds::after(image.next_pkid);
            st.left = image.left;
        }
        session
    }

    /// A copy of what persistence saves; `None` for a session that ends with its
    /// connection (expiry 0) or has ended. Payloads are shared, not copied.
    pub fn image(&self) -> Option<SessionImage> {
        let st = self.lock();
        if st.ended || st.expiry == 0 {
            return None;
        }
        Some(SessionImage {
            subscriptions: st
                .subscriptions
                .iter()
                .map(|(f, o)| (f.clone(), *o))
                .collect(),
            queue: st.queue.iter().cloned().collect(),
            inflight: st.inflight.iter().cloned().collect(),
            incoming: st.incoming.iter().copied().collect(),
            next_pkid: st.pkids.last(),
            expiry: st.expiry,
            left: st.left.filter(|_| st.owner.is_none()),
        })
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

    /// Queues `delivery`. Offline sessions keep only QoS 1/2 (and QoS 0 with
    /// `queue_qos0_messages`), up to the queue limits. A full
    /// online session drops QoS 0 first: its QoS 1/2 messages are queued on, and publishers
    /// are slowed down instead (see [`Session::congested`]), up to `HARD_LIMIT_FACTOR` times
    /// the limits, where a subscriber that does not read loses them too.
    pub fn enqueue(&self, delivery: Delivery) -> Enqueued {
        let mut st = self.lock();
        let online = st.owner.is_some();
        let qos0 = delivery.qos == QoS::AtMostOnce;
        if st.ended || (!online && qos0 && !st.limits.queue_qos0) {
            return Enqueued::default();
        }
        let (len, bytes, limits) = (st.queue.len(), st.queued_bytes, st.limits);
        let full = limits.reached(len, bytes, 1);
        let overflowing = limits.reached(len, bytes, HARD_LIMIT_FACTOR);
        let dropped = (full && (!online || qos0)) || overflowing;
        let started_dropping = dropped && !st.dropping;
        if dropped {
            st.dropping = true;
            // mosquitto numbers messages as it queues them: a dropped one uses up its id.
            if !qos0 {
                st.pkids.skip();
            }
        } else {
            st.queued_bytes += delivery.msg.payload.len();
            st.queue.push_back(delivery);
        }
        if let Some(owner) = &st.owner {
            owner.waker.notify_one();
        }
        let congested = st.congested();
        Enqueued {
            dropped,
            started_dropping,
            congested,
            saved: !dropped && st.expiry != 0,
        }
    }
}

impl Session {
    /// Queues the retained messages a SUBSCRIBE asked for, one delivery per matching filter
    /// as mosquitto sends them. The first copy of each message goes past the queue limit:
    /// the snapshot is bounded (the retained store), and the subscriber asked for all of it
    /// at once, so dropping its tail (even at QoS 0) would make `#` miss topics. Further
    /// copies (filters that overlap, `#` repeated K times) obey the limit like any message,
    /// and a queue already at its hard limit (a client that subscribes again and again
    /// without reading) takes none. Returns how many were dropped.
    pub fn enqueue_retained(&self, deliveries: Vec<Delivery>) -> usize {
        let mut st = self.lock();
        if st.ended || deliveries.is_empty() {
            return 0;
        }
        let limits = st.limits;
        let mut dropped = 0;
        if limits.reached(st.queue.len(), st.queued_bytes, HARD_LIMIT_FACTOR) {
            dropped = deliveries.len();
        } else {
            let mut first = HashSet::with_capacity(deliveries.len());
            for delivery in deliveries {
                let again = !first.insert(Arc::as_ptr(&delivery.msg));
                if again && limits.reached(st.queue.len(), st.queued_bytes, 1) {
                    dropped += 1;
                    continue;
                }
                st.queued_bytes += delivery.msg.payload.len();
                st.queue.push_back(delivery);
            }
        }
        st.dropping |= dropped > 0;
        if let Some(owner) = &st.owner {
            owner.waker.notify_one();
        }
        dropped
    }

    /// True while an online session's queue is more than half full and its connection is
    /// still taking messages: publishers feeding it wait for it to drain. A subscriber that
    /// stopped reading is not waited for; its queue grows to the hard limit, and its write
    /// timeout disconnects it.
    pub fn congested(&self) -> bool {
        self.lock().congested()
    }
}

impl SessionState {
    /// See [`Session::congested`].
    fn congested(&self) -> bool {
        // The clock is read last: every enqueue asks, and most queues are not half full.
        self.owner.is_some()
            && !self.ended
            && self.limits.half_full(self.queue.len(), self.queued_bytes)
            && self.last_drain.elapsed() < STALL
    }

    /// True while connection `id` serves this session.
    pub fn owned_by(&self, id: u64) -> bool {
        self.owner.as_ref().is_some_and(|o| o.id == id)
    }

    /// True when the connection that left as `id` has not been followed by another.
    pub fn abandoned_by(&self, id: u64) -> bool {
        self.owner.is_none() && self.last_owner == id && !self.ended
    }

    /// Everything in flight, to send again after a reconnect: PUBLISH with DUP, or PUBREL.
    pub fn resend(&mut self, out: &mut Vec<Outbound>) {
        for m in &self.inflight {
            out.push(match m.released {
                true => Outbound::PubRel(m.pkid),
                false => Outbound::Publish {
                    pkid: m.pkid,
                    dup: true,
                    delivery: m.delivery.clone(),
                },
            });
        }
    }

    /// Moves up to `max` queued messages to `out`, giving QoS 1/2 ones a packet id while
    /// fewer than `window` are in flight and their bytes are under `max_inflight_bytes`;
    /// expired messages are dropped.
    pub fn next_batch(&mut self, window: usize, max: usize, now: Instant, out: &mut Vec<Outbound>) {
        let before = self.queue.len();
        while out.len() < max {
            let Some(front) = self.queue.front() else {
                break;
            };
            if front.qos != QoS::AtMostOnce && !self.window_open(window) {
                break;
            }
            let Some(delivery) = self.queue.pop_front() else {
                break;
            };
            self.queued_bytes -= delivery.msg.payload.len();
            // mosquitto numbers messages as it queues them: an expired one uses up its id.
            if delivery.msg.expired(now) {
                if delivery.qos != QoS::AtMostOnce {
                    self.pkids.skip();
                }
                continue;
            }
            let pkid = match delivery.qos {
                QoS::AtMostOnce => 0,
                _ => self.track(delivery.clone()),
            };
            out.push(Outbound::Publish {
                pkid,
                dup: false,
                delivery,
            });
        }
        // Only taking messages counts: a client whose window stays full takes none.
        if self.queue.len() < before {
            self.last_drain = now;
            self.dropping &= self.limits.half_full(self.queue.len(), self.queued_bytes);
        }
    }

    /// True while another QoS 1/2 message may go in flight; one always may, however large.
    fn window_open(&self, window: usize) -> bool {
        let limit = self.limits.inflight_bytes;
        self.inflight.len() < window && (limit == 0 || self.inflight_bytes < limit)
    }

    fn track(&mut self, delivery: Delivery) -> u16 {
        let pkid = self.free_pkid();
        self.inflight_bytes += delivery.msg.payload.len();
        self.inflight.push_back(Inflight {
            pkid,
            delivery,
            released: false,
        });
        pkid
    }

    /// The next packet id not in flight. The window keeps fewer than 65,535 in flight.
    fn free_pkid(&mut self) -> u16 {
        let inflight = &self.inflight;
        let free = self
            .pkids
            .next_free(inflight.len(), |id| inflight.iter().any(|m| m.pkid == id));
        free.expect("the in-flight window is at most 65,535")
    }

    fn position(&self, pkid: u16) -> Option<usize> {
        self.inflight.iter().position(|m| m.pkid == pkid)
    }

    /// PUBACK, PUBCOMP, a failed PUBREC or an undeliverable message: forget `pkid`.
    pub fn complete(&mut self, pkid: u16) -> bool {
        let Some(done) = self.position(pkid).and_then(|i| self.inflight.remove(i)) else {
            return false;
        };
        self.inflight_bytes -= done.delivery.msg.payload.len();
        true
    }

    /// PUBREC: the message arrived; true if `pkid` was waiting for it (send PUBREL).
    pub fn received(&mut self, pkid: u16) -> bool {
        match self.position(pkid) {
            Some(i) => {
                self.inflight[i].released = true;
                true
            }
            None => false,
        }
    }

    /// Inbound QoS 2 PUBLISH: records `pkid`; false if it is a duplicate already routed.
    pub fn incoming_new(&mut self, pkid: u16) -> bool {
        self.incoming.insert(pkid)
    }

    /// Inbound QoS 2 messages waiting for PUBREL, for the receive maximum.
    pub fn incoming_len(&self) -> usize {
        self.incoming.len()
    }

    /// PUBREL: forgets inbound `pkid`; false if it was unknown.
    pub fn release(&mut self, pkid: u16) -> bool {
        self.incoming.remove(&pkid)
    }
}

#[cfg(test)]
mod tests {
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
