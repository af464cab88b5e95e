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

use super::authorize::Reader;
use super::message::{Message, Origin};
use super::signal::Signal;
use super::tree::ClientId;
use crate::codec::{PacketIds, QoS, Will};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasher, DefaultHasher, RandomState};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::SystemTime;
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

/// A connection taking a session: its id, the signal that wakes it when something is queued,
/// and who may read what is queued (see [`Reader`]).
pub struct Claim {
    pub id: u64,
    pub waker: Arc<Signal>,
    pub reader: Option<Box<Reader>>,
}

/// The connection that currently serves a session.
struct Owner {
    id: u64,
    waker: Arc<Signal>,
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
    /// Not a `BTreeMap`, though it takes 24 bytes where this `HashMap` takes 32: its first
    /// entry allocates a whole node, and 2,000 idle `#` subscribers then held about 0.25 KiB
    /// more each (`benches/burst_idle.py`).
    pub subscriptions: HashMap<String, SubOptions, ProcessKeys>,
    queue: VecDeque<Delivery>,
    /// Payload bytes in `queue`.
    queued_bytes: usize,
    inflight: VecDeque<Inflight>,
    /// Payload bytes of the QoS 1/2 messages in `inflight`.
    inflight_bytes: usize,
    /// Inbound QoS 2 packet ids awaiting PUBREL; boxed and allocated at the first, as most
    /// sessions never receive QoS 2.
    #[allow(clippy::box_collection)] // 8 bytes in every session instead of 48
    incoming: Option<Box<HashSet<u16>>>,
    pkids: PacketIds,
    /// The broker's, shared by its sessions (8 bytes here instead of 32).
    limits: Arc<SessionLimits>,
    /// Seconds the session outlives its connection; `u32::MAX` is forever.
    pub expiry: u32,
    /// Set once the session has been removed from the broker; nothing is queued after that.
    pub ended: bool,
    /// Dropping since the queue was last less than half full.
    dropping: bool,
    /// Who reads what is queued, when an ACL decides (see [`Reader`]): left by the last
    /// connection, so messages queued while the client is away are checked too.
    reader: Option<Box<Reader>>,
    /// When the connection last took messages from the queue: a subscriber that stopped
    /// taking them (not reading, or not acknowledging) no longer holds its publishers back.
    /// In milliseconds of [`signal::now_ms`](super::signal::now_ms): 8 bytes, where an
    /// `Instant` takes 16.
    last_drain: u64,
    /// What the session holds while its client is away; `None` while it is connected.
    away: Option<Box<Away>>,
}

/// The hash keys of every session's subscription map: random, as a `RandomState` of each
/// map's own would be, so a client cannot choose filters that collide, but drawn once for
/// the process and kept in a static rather than in every session (16 bytes each).
#[derive(Clone, Copy, Default)]
pub struct ProcessKeys;

impl BuildHasher for ProcessKeys {
    type Hasher = DefaultHasher;

    fn build_hasher(&self) -> DefaultHasher {
        static KEYS: OnceLock<RandomState> = OnceLock::new();
        KEYS.get_or_init(RandomState::new).build_hasher()
    }
}

/// What a session holds only once its connection has left. Boxed: a connected client's
/// session keeps 8 bytes for it instead of 48.
#[derive(Default)]
struct Away {
    /// Wall-clock time the last connection left, for persistence.
    left: Option<SystemTime>,
    /// The will-delay and expiry timers started when the last connection left: cancelled
    /// (as this is dropped) when a client comes back or the session ends, so a client that
    /// reconnects in a loop leaves no sleeping tasks behind.
    timers: Vec<AbortHandle>,
    /// An MQTT 5 will waiting for its delay after the connection was lost, with the
    /// connection that set it. Boxed: a will with its properties is larger than all the
    /// rest, and most sessions never hold one.
    will: Option<Box<PendingWill>>,
}

impl Drop for Away {
    fn drop(&mut self) {
        for timer in &self.timers {
            timer.abort();
        }
    }
}

impl Session {
    /// A new, empty, unowned session.
    pub fn new(client_id: ClientId, limits: impl Into<Arc<SessionLimits>>, expiry: u32) -> Session {
        Session {
            client_id,
            online: AtomicBool::new(false),
            state: Mutex::new(SessionState {
                owner: None,
                last_owner: 0,
                subscriptions: HashMap::default(),
                queue: VecDeque::new(),
                queued_bytes: 0,
                inflight: VecDeque::new(),
                inflight_bytes: 0,
                incoming: None,
                pkids: PacketIds::default(),
                limits: limits.into(),
                expiry,
                ended: false,
                dropping: false,
                reader: None,
                last_drain: super::signal::now_ms(),
                away: None,
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

    /// Makes the connection of `claim` the owner; returns the previous owner's waker, to wake
    /// it so it notices the takeover and closes. A will still waiting for its delay is
    /// cancelled.
    pub fn attach(&self, claim: Claim) -> Option<Arc<Signal>> {
        self.attach_locked(&mut self.lock(), claim)
    }

    /// [`Session::attach`] for a connection that resumes the session with its own `expiry`,
    /// set under the same lock: a connection leaving meanwhile must not see the new expiry
    /// (0 ends the session with its connection) without the new owner, or it would take the
    /// session for abandoned and publish a will the new connection cancels.
    pub fn resume(&self, claim: Claim, expiry: u32) -> Option<Arc<Signal>> {
        let mut st = self.lock();
        st.expiry = expiry;
        self.attach_locked(&mut st, claim)
    }

    fn attach_locked(&self, st: &mut SessionState, claim: Claim) -> Option<Arc<Signal>> {
        let Claim { id, waker, reader } = claim;
        let old = st.owner.replace(Owner { id, waker });
        st.reader = reader;
        st.last_owner = id;
        st.away = None;
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
        st.away_mut().left = Some(SystemTime::now());
        self.online.store(false, Ordering::Relaxed);
        true
    }

    /// Keeps `timer` (a task that acts on the session once it has been away long enough)
    /// until a client comes back or the session ends; cancels it if either happened already.
    pub fn keep_timer(&self, timer: AbortHandle) {
        let mut st = self.lock();
        match st.ended || st.owner.is_some() {
            true => timer.abort(),
            false => st.away_mut().timers.push(timer),
        }
    }

    /// Keeps `will` until its delay has passed (see [`Session::end`]); hands it back when the
    /// session ended since its connection left, as ending released the wills it held then.
    pub fn hold_will(&self, will: PendingWill) -> Option<PendingWill> {
        let mut st = self.lock();
        if st.ended {
            return Some(will);
        }
        st.away_mut().will = Some(Box::new(will));
        None
    }

    /// Ends the session for good; returns the owner's waker (to make it close) and a will
    /// still waiting for its delay, which the end of the session releases (MQTT-3.1.3-9).
    pub fn end(&self) -> (Option<Arc<Signal>>, Option<PendingWill>) {
        let mut st = self.lock();
        st.ended = true;
        let will = st.take_will();
        st.away = None;
        st.queue.clear();
        st.queued_bytes = 0;
        self.online.store(false, Ordering::Relaxed);
        (st.owner.take().map(|o| o.waker), will)
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

    /// The will waiting for its delay, if any.
    pub fn take_will(&mut self) -> Option<PendingWill> {
        let will = self.away.as_mut().and_then(|away| away.will.take());
        will.map(|will| *will)
    }

    /// When the last connection left, while none serves the session.
    fn left(&self) -> Option<SystemTime> {
        self.away.as_ref().and_then(|away| away.left)
    }

    fn away_mut(&mut self) -> &mut Away {
        self.away.get_or_insert_with(Box::default)
    }

    /// True when the connection that left as `id` has not been followed by another.
    pub fn abandoned_by(&self, id: u64) -> bool {
        self.owner.is_none() && self.last_owner == id && !self.ended
    }
}

#[cfg(test)]
mod tests;
