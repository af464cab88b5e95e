//! A session's queue: its bounds, what enqueueing does when it is full, congestion (how
//! publishers are held back), and the batches taken from it for the connection.

use super::{Delivery, Outbound, Session, SessionState};
use crate::broker::signal::now_ms;
use crate::codec::QoS;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

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
    pub fn of(config: &crate::broker::config::Config) -> SessionLimits {
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
/// A connection that took nothing from its queue for this many milliseconds counts as
/// stalled.
const STALL_MS: u64 = 500;

impl Session {
    /// Queues `delivery`. Offline sessions keep only QoS 1/2 (and QoS 0 with
    /// `queue_qos0_messages`), up to the queue limits. A full
    /// online session drops QoS 0 first: its QoS 1/2 messages are queued on, and publishers
    /// are slowed down instead (see [`Session::congested`]), up to `HARD_LIMIT_FACTOR` times
    /// the limits, where a subscriber that does not read loses them too.
    pub fn enqueue(&self, delivery: Delivery) -> Enqueued {
        let mut st = self.lock();
        let online = st.owner.is_some();
        let qos0 = delivery.qos == QoS::AtMostOnce;
        if st.ended
            || (!online && qos0 && !st.limits.queue_qos0)
            || !st.may_read(&self.client_id, &delivery)
        {
            return Enqueued::default();
        }
        let (len, bytes, limits) = (st.queue.len(), st.queued_bytes, *st.limits);
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
        let limits = *st.limits;
        let mut dropped = 0;
        if limits.reached(st.queue.len(), st.queued_bytes, HARD_LIMIT_FACTOR) {
            dropped = deliveries.len();
        } else {
            let mut first = HashSet::with_capacity(deliveries.len());
            for delivery in deliveries {
                if !st.may_read(&self.client_id, &delivery) {
                    continue;
                }
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
    /// Gives back the room a burst left in the queue and the in-flight list: a `VecDeque`
    /// keeps its largest size otherwise.
    pub fn release_spare(&mut self) {
        self.queue.shrink_to_fit();
        self.inflight.shrink_to_fit();
    }
    /// Whether the session's reader may have `delivery`, when an ACL decides.
    fn may_read(&mut self, client_id: &str, delivery: &Delivery) -> bool {
        let topic = &delivery.msg.topic;
        self.reader
            .as_mut()
            .is_none_or(|r| r.may_read(client_id, topic))
    }
    /// See [`Session::congested`].
    fn congested(&self) -> bool {
        // The clock is read last: every enqueue asks, and most queues are not half full.
        self.owner.is_some()
            && !self.ended
            && self.limits.half_full(self.queue.len(), self.queued_bytes)
            && now_ms().saturating_sub(self.last_drain) < STALL_MS
    }
    /// Moves up to `max` queued messages to `out`, giving QoS 1/2 ones a packet id while
    /// fewer than `window` are in flight and their bytes are under `max_inflight_bytes`;
    /// expired messages are dropped.
    pub fn next_batch(&mut self, window: usize, max: usize, now: Instant, out: &mut Vec<Outbound>) {
        let before = self.queue.len();
        // One allocation for the batch rather than one per doubling.
        out.reserve(max.saturating_sub(out.len()).min(before));
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
            self.last_drain = now_ms();
            self.dropping &= self.limits.half_full(self.queue.len(), self.queued_bytes);
        }
    }
    /// True while another QoS 1/2 message may go in flight; one always may, however large.
    fn window_open(&self, window: usize) -> bool {
        let limit = self.limits.inflight_bytes;
        self.inflight.len() < window && (limit == 0 || self.inflight_bytes < limit)
    }
}
