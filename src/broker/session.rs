//! Per-client session state that outlives a connection: subscriptions, the queue of messages
//! waiting to be sent, QoS 1/2 messages in flight both ways and the packet-id counter.
//!
//! A session is shared (`Arc<Session>`) between the router, which queues messages into it
//! from any publisher's task, and the connection that currently owns it. Every connection
//! checks that it still owns the session each time it takes the lock, so a takeover needs no
//! handshake with the old connection: it just stops finding itself the owner.

use super::message::Message;
use super::tree::ClientId;
use crate::codec::{QoS, Will};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime};
use tokio::sync::Notify;

/// An online session's queue may grow to this many times its limit with QoS 1/2 messages
/// while publishers are held back; past it even those are dropped (and counted).
const HARD_LIMIT_FACTOR: usize = 10;
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
/// connection, its dropped-message count and a will waiting for its delay.
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
    inflight: VecDeque<Inflight>,
    incoming: HashSet<u16>,
    next_pkid: u16,
    queue_limit: usize,
    /// Seconds the session outlives its connection; `u32::MAX` is forever.
    pub expiry: u32,
    /// Set once the session has been removed from the broker; nothing is queued after that.
    pub ended: bool,
    /// Messages dropped because the queue was full.
    pub dropped: u64,
    /// An MQTT 5 will waiting for its delay after the connection was lost.
    pub pending_will: Option<Will>,
    /// When the connection last took messages from the queue: a subscriber that stopped
    /// taking them no longer holds its publishers back.
    last_drain: Instant,
    /// Wall-clock time the last connection left, for persistence.
    left: Option<SystemTime>,
}

impl Session {
    /// A new, empty, unowned session.
    pub fn new(client_id: ClientId, queue_limit: usize, expiry: u32) -> Session {
        Session {
            client_id,
            online: AtomicBool::new(false),
            state: Mutex::new(SessionState {
                owner: None,
                last_owner: 0,
                subscriptions: HashMap::new(),
                queue: VecDeque::new(),
                inflight: VecDeque::new(),
                incoming: HashSet::new(),
                next_pkid: 0,
                queue_limit,
                expiry,
                ended: false,
                dropped: 0,
                pending_will: None,
                last_drain: Instant::now(),
                left: None,
            }),
        }
    }

    /// A session restored from `image`, offline, as if its client had not come back since
    /// the broker stopped (its last owner is connection 0, which no connection is).
    pub fn restored(client_id: ClientId, queue_limit: usize, image: SessionImage) -> Session {
        let session = Session::new(client_id, queue_limit, image.expiry);
        {
            let mut st = session.lock();
            st.subscriptions = image.subscriptions.into_iter().collect();
            st.queue = image.queue.into();
            st.inflight = image.inflight.into();
            st.incoming = image.incoming.into_iter().collect();
            st.next_pkid = image.next_pkid;
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
            next_pkid: st.next_pkid,
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

    /// Ends the session for good; returns the owner's waker (to make it close) and a will
    /// still waiting for its delay, which the end of the session releases (MQTT-3.1.3-9).
    pub fn end(&self) -> (Option<Arc<Notify>>, Option<Will>) {
        let mut st = self.lock();
        st.ended = true;
        st.queue.clear();
        self.online.store(false, Ordering::Relaxed);
        (st.owner.take().map(|o| o.waker), st.pending_will.take())
    }

    /// Queues `delivery`. Offline sessions keep only QoS 1/2, up to the queue limit. An
    /// online session drops only QoS 0 when full: QoS 1/2 that a publisher had acknowledged
    /// are never lost while the session lives, and publishers are slowed down instead (see
    /// [`Session::congested`]). Returns true when an online session's queue is more than
    /// half full, so the publisher can give its consumer time to drain it.
    pub fn enqueue(&self, delivery: Delivery) -> bool {
        let mut st = self.lock();
        let online = st.owner.is_some();
        if st.ended || (!online && delivery.qos == QoS::AtMostOnce) {
            return false;
        }
        let full = st.queue.len() >= st.queue_limit;
        let overflowing = st.queue.len() >= st.queue_limit.saturating_mul(HARD_LIMIT_FACTOR);
        if (full && (!online || delivery.qos == QoS::AtMostOnce)) || overflowing {
            st.dropped += 1;
        } else {
            st.queue.push_back(delivery);
        }
        match &st.owner {
            Some(owner) => {
                owner.waker.notify_one();
                st.queue.len() * 2 > st.queue_limit
            }
            None => false,
        }
    }
}

impl Session {
    /// Queues the retained messages a new subscription asked for, past the queue limit:
    /// they are a bounded snapshot (the retained store), and the subscriber asked for all of
    /// them at once, so dropping the tail (even at QoS 0) would make `#` miss topics.
    pub fn enqueue_retained(&self, deliveries: Vec<Delivery>) {
        let mut st = self.lock();
        if st.ended || deliveries.is_empty() {
            return;
        }
        st.queue.extend(deliveries);
        if let Some(owner) = &st.owner {
            owner.waker.notify_one();
        }
    }

    /// True while an online session's queue is more than half full and its connection is
    /// still taking messages: publishers feeding it wait for it to drain. A subscriber that
    /// stopped reading is not waited for; its queue grows to the hard limit, and its write
    /// timeout disconnects it.
    pub fn congested(&self) -> bool {
        let st = self.lock();
        let draining = st.last_drain.elapsed() < STALL;
        st.owner.is_some() && !st.ended && draining && st.queue.len() * 2 > st.queue_limit
    }
}

impl SessionState {
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
    /// fewer than `window` are in flight; expired messages are dropped.
    pub fn next_batch(&mut self, window: usize, max: usize, now: Instant, out: &mut Vec<Outbound>) {
        if !self.queue.is_empty() {
            self.last_drain = now;
        }
        while out.len() < max {
            let Some(front) = self.queue.front() else {
                break;
            };
            if front.qos != QoS::AtMostOnce && self.inflight.len() >= window {
                break;
            }
            let Some(delivery) = self.queue.pop_front() else {
                break;
            };
            if delivery.msg.expired(now) {
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
    }

    fn track(&mut self, delivery: Delivery) -> u16 {
        let pkid = self.free_pkid();
        self.inflight.push_back(Inflight {
            pkid,
            delivery,
            released: false,
        });
        pkid
    }

    /// The next packet id not in flight. Callers keep fewer than 65535 in flight.
    fn free_pkid(&mut self) -> u16 {
        loop {
            self.next_pkid = self.next_pkid.checked_add(1).unwrap_or(1);
            let pkid = self.next_pkid;
            if !self.inflight.iter().any(|m| m.pkid == pkid) {
                return pkid;
            }
        }
    }

    fn position(&self, pkid: u16) -> Option<usize> {
        self.inflight.iter().position(|m| m.pkid == pkid)
    }

    /// PUBACK, PUBCOMP, a failed PUBREC or an undeliverable message: forget `pkid`.
    pub fn complete(&mut self, pkid: u16) -> bool {
        self.position(pkid)
            .and_then(|i| self.inflight.remove(i))
            .is_some()
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
    use crate::codec::Properties;

    fn delivery(qos: QoS) -> Delivery {
        let msg = Message {
            topic: "t".into(),
            payload: Default::default(),
            qos,
            retain: false,
            properties: Properties::default(),
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

    fn online(limit: usize) -> Session {
        let s = Session::new("c".into(), limit, 0);
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
        let s = Session::new("c".into(), 2, u32::MAX);
        for qos in [
            QoS::AtMostOnce,
            QoS::AtLeastOnce,
            QoS::AtLeastOnce,
            QoS::ExactlyOnce,
        ] {
            s.enqueue(delivery(qos));
        }
        let st = s.lock();
        assert_eq!(st.queue.len(), 2);
        assert_eq!(st.dropped, 1);
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
        let r = Session::restored("c".into(), 10, image);
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
        st.next_pkid = u16::MAX - 1;
        st.track(delivery(QoS::AtLeastOnce));
        assert_eq!(st.track(delivery(QoS::AtLeastOnce)), 1);
        st.next_pkid = 0;
        assert_eq!(st.track(delivery(QoS::AtLeastOnce)), 2);
    }
}
