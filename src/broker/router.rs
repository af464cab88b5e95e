//! Shared broker state: sessions by client id, the subscription trie and retained messages.
//!
//! One std mutex guards all three so a subscribe sees the retained store and the trie in one
//! consistent state; it is held only to look things up, never across `.await` and never
//! while a session's own lock is taken first (lock order: router, then session). Messages
//! are queued into sessions after the router lock is released.
//!
//! Every change worth saving marks the router dirty *after* it is made, so persistence,
//! which clears the mark before it copies the state, never misses one. The changes
//! mosquitto's `autosave_on_changes` counts are also counted ([`Router::changed`]).

use super::config::Config;
use super::message::{Message, Origin};
use super::persist::ChangeCount;
use super::retained::Retained;
use super::session::{Claim, Delivery, PendingWill, Session, SessionLimits, SubOptions};
use super::signal::Signal;
use super::tree::{ClientId, Tree};
use crate::codec::{QoS, Will};
use std::borrow::Borrow;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A subscription as the trie stores it: the session to deliver to and its options.
struct Subscriber {
    session: Arc<Session>,
    opts: SubOptions,
}

/// A session in [`Inner::sessions`], found by its client id: the table then holds a
/// pointer per session, not the id beside it.
struct ById(Arc<Session>);

impl Borrow<str> for ById {
    fn borrow(&self) -> &str {
        &self.0.client_id
    }
}

impl PartialEq for ById {
    fn eq(&self, other: &ById) -> bool {
        self.0.client_id == other.0.client_id
    }
}

impl Eq for ById {}

/// Hashes as the client id, as [`Borrow`] requires.
impl Hash for ById {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (*self.0.client_id).hash(state);
    }
}

#[derive(Default)]
struct Inner {
    sessions: HashSet<ById>,
    tree: Tree<Subscriber>,
    retained: Retained<Arc<Message>>,
}

/// The routing table every connection shares.
#[derive(Default)]
pub struct Router {
    inner: Mutex<Inner>,
    /// `upgrade_outgoing_qos`: deliver at the subscription's QoS, not the message's.
    upgrade_qos: bool,
    /// Messages a full session queue dropped, for `$SYS/broker/publish/messages/dropped`.
    dropped: AtomicU64,
    /// Something persistence saves changed since the last snapshot.
    dirty: AtomicBool,
    /// Changes counted for `autosave_on_changes` since the last snapshot.
    changes: ChangeCount,
    /// The queue bounds every session gets, one for all of them.
    limits: Arc<SessionLimits>,
}

/// A filter split into its shared-subscription group (if any) and the filter proper.
pub fn split_shared(filter: &str) -> Option<(Option<&str>, &str)> {
    let Some(rest) = filter.strip_prefix("$share/") else {
        return Some((None, filter));
    };
    let (group, filter) = rest.split_once('/')?;
    let valid = !group.is_empty() && !group.contains(['+', '#']) && !filter.is_empty();
    valid.then_some((Some(group), filter))
}

/// Where a message went.
#[derive(Default)]
pub struct Routed {
    /// Sessions it was queued for.
    pub sessions: usize,
    /// One of them is the publisher's own.
    pub to_publisher: bool,
    /// Online subscribers whose queues fill faster than they drain.
    pub congested: Vec<Arc<Session>>,
    /// Sessions whose full queue started dropping messages with this one.
    pub dropping: Vec<ClientId>,
}

/// What opening a session found.
pub struct Opened {
    pub session: Arc<Session>,
    /// True when an existing session was resumed (CONNACK session present).
    pub present: bool,
    /// Wakers of the connection or session this one replaced, to tell them to close.
    pub kicked: Vec<Arc<Signal>>,
}

impl Router {
    /// An empty router for `config` (its `upgrade_outgoing_qos` and its sessions' queue
    /// limits); `changes` counts towards `autosave_on_changes` saves (idle by default).
    pub fn new(config: &Config, changes: ChangeCount) -> Router {
        Router {
            upgrade_qos: config.limits.upgrade_outgoing_qos,
            changes,
            limits: Arc::new(SessionLimits::of(config)),
            ..Router::default()
        }
    }

    /// The queue bounds of this router's sessions, for sessions restored into it.
    pub fn session_limits(&self) -> Arc<SessionLimits> {
        self.limits.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Attaches the connection of `claim` to `client_id`'s session, resuming it unless `clean`
    /// (or it does not exist, or was to end with its connection) and taking it over from any
    /// connection that still has it. A session replaced by a new one ends, which publishes
    /// its delayed will. A new session gets the router's limits and `expiry`; a resumed one the
    /// `expiry`.
    pub fn open(&self, client_id: &str, clean: bool, expiry: u32, claim: Claim) -> Opened {
        let mut inner = self.lock();
        let mut kicked = Vec::new();
        let mut will = None;
        let mut replaced_saved = false;
        if let Some(ById(old)) = inner.sessions.get(client_id) {
            let old = old.clone();
            // A session with expiry 0 (3.1.1 clean session) ends with its connection, even
            // when a persistent connect takes its id over: nothing of it is resumed.
            let resumable = old.lock().expiry != 0;
            if !clean && resumable {
                kicked.extend(old.resume(claim, expiry));
                drop(inner);
                self.changed();
                return Opened {
                    session: old,
                    present: true,
                    kicked,
                };
            }
            replaced_saved = old.lock().expiry != 0;
            let (waker, pending) = end_locked(&mut inner, &old);
            kicked.extend(waker);
            will = pending;
        }
        let session = Arc::new(Session::new(client_id.into(), self.limits.clone(), expiry));
        session.attach(claim);
        inner.sessions.replace(ById(session.clone()));
        drop(inner);
        // Persistence saves sessions with an expiry only; mosquitto counts the
        // connections of persistent sessions only.
        match clean {
            true if replaced_saved || expiry != 0 => self.touch(),
            true => {}
            false => self.changed(),
        }
        if let Some((will, origin)) = will {
            self.publish_will(&origin, will);
        }
        Opened {
            session,
            present: false,
            kicked,
        }
    }

    /// Removes `session` and its subscriptions, if it is still the current one for its id,
    /// and publishes a will that was waiting for its delay.
    pub fn end(&self, session: &Arc<Session>) {
        let saved = session.lock().expiry != 0;
        let (waker, will) = end_locked(&mut self.lock(), session);
        if saved {
            self.touch();
        }
        if let Some(waker) = waker {
            waker.notify_one();
        }
        if let Some((will, origin)) = will {
            self.publish_will(&origin, will);
        }
    }

    /// Publishes the will of the connection `origin` stands for.
    pub fn publish_will(&self, origin: &Arc<Origin>, will: Will) {
        let msg = Message::from_will(will, origin.clone(), std::time::Instant::now());
        self.publish(&Arc::new(msg), None);
    }

    /// Adds or replaces a subscription; true if it replaced one (for retain handling 1).
    pub fn subscribe(&self, session: &Arc<Session>, filter: &str, opts: SubOptions) -> bool {
        let mut inner = self.lock();
        if !inner.insert(session, filter, opts) {
            return false;
        }
        let (replaced, saved) = {
            let mut state = session.lock();
            let replaced = state.subscriptions.insert(filter.to_string(), opts);
            (replaced.is_some(), state.expiry != 0)
        };
        drop(inner);
        if saved {
            self.changed();
        }
        replaced
    }

    /// Removes a subscription; true if it existed.
    pub fn unsubscribe(&self, session: &Arc<Session>, filter: &str) -> bool {
        let mut inner = self.lock();
        let saved = {
            let mut state = session.lock();
            if state.subscriptions.remove(filter).is_none() {
                return false;
            }
            state.expiry != 0
        };
        inner.remove(session, filter);
        drop(inner);
        if saved {
            self.changed();
        }
        true
    }

    /// Retained messages matching `filter`.
    pub fn retained(&self, filter: &str, out: &mut Vec<Arc<Message>>) {
        self.lock().retained.matching(filter, out);
    }

    /// Stores (or clears) a retained message and queues `msg` for every matching session,
    /// once per session; `publisher` is the session of the client that published it, if any.
    pub fn publish(&self, msg: &Arc<Message>, publisher: Option<&Arc<Session>>) -> Routed {
        let mut targets: Vec<(Arc<Session>, SubOptions)> = Vec::new();
        {
            let mut inner = self.lock();
            if msg.retain {
                let value = (!msg.payload.is_empty()).then(|| msg.clone());
                inner.retained.set(&msg.topic, value);
            }
            inner.tree.for_each_match(
                &msg.topic,
                |s| s.session.is_online(),
                |_, s| targets.push((s.session.clone(), s.opts)),
            );
        }
        targets.sort_unstable_by_key(|(s, _)| Arc::as_ptr(s));
        let mut routed = Routed::default();
        // Only QoS 1/2 deliveries to saved sessions are worth a snapshot: QoS 0 ones are
        // not kept for offline clients (one upgraded to QoS 1/2 by `upgrade_outgoing_qos`
        // is), and sessions without an expiry are not saved.
        let mut queued = 0;
        for group in targets.chunk_by(|a, b| Arc::ptr_eq(&a.0, &b.0)) {
            if let Some(delivery) = merge(msg, group, self.upgrade_qos) {
                let qos1 = delivery.qos.max(msg.qos) != QoS::AtMostOnce;
                let enqueued = group[0].0.enqueue(delivery);
                if qos1 && enqueued.saved {
                    queued += 1;
                }
                if enqueued.dropped {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
                if enqueued.started_dropping {
                    routed.dropping.push(group[0].0.client_id.clone());
                }
                if enqueued.congested {
                    routed.congested.push(group[0].0.clone());
                }
                routed.sessions += 1;
                routed.to_publisher |= publisher.is_some_and(|p| Arc::ptr_eq(p, &group[0].0));
            }
        }
        let retained = msg.retain && !msg.topic.starts_with("$SYS");
        if queued > 0 || retained {
            self.touch();
            self.changes.add(queued + u64::from(retained));
        }
        routed
    }

    /// Messages dropped so far because a session's queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The QoS a message published at `published` goes out with to a subscription at
    /// `granted`: the lower of the two, unless `upgrade_outgoing_qos`.
    pub fn outgoing_qos(&self, published: QoS, granted: QoS) -> QoS {
        outgoing_qos(published, granted, self.upgrade_qos)
    }

    /// Marks the state as changed since the last snapshot; call it after the change.
    pub fn touch(&self) {
        // Read first: a busy broker only reads the flag between snapshots.
        if !self.dirty.load(Ordering::Relaxed) {
            self.dirty.store(true, Ordering::Relaxed);
        }
    }

    /// Marks a change `autosave_on_changes` counts: a subscription made or removed, a
    /// persistent session connecting, an outgoing QoS 1/2 message completed (and, in
    /// [`Router::publish`], a retained message stored or a QoS 1/2 message queued).
    pub fn changed(&self) {
        self.touch();
        self.changes.add(1);
    }

    /// The changes counted towards the next `autosave_on_changes` save.
    pub fn changes(&self) -> &ChangeCount {
        &self.changes
    }

    /// Clears the changed mark and the change count; true if the mark was set. Call it
    /// before copying the state.
    pub fn take_dirty(&self) -> bool {
        self.changes.reset();
        self.dirty.load(Ordering::Relaxed) && self.dirty.swap(false, Ordering::Relaxed)
    }

    /// Retained messages, but the broker's own `$SYS` ones, and every session: what
    /// persistence saves.
    pub fn contents(&self) -> (Vec<Arc<Message>>, Vec<Arc<Session>>) {
        let inner = self.lock();
        let mut retained = Vec::with_capacity(inner.retained.len());
        inner.retained.all(&mut retained);
        let sessions = inner.sessions.iter().map(|s| s.0.clone()).collect();
        // Filtered after unlocking: publishers wait only for the copy.
        drop(inner);
        retained.retain(|m| !m.topic.starts_with("$SYS"));
        (retained, sessions)
    }

    /// Adds restored retained messages and sessions, with their subscriptions.
    pub fn restore(&self, retained: Vec<Arc<Message>>, sessions: Vec<Arc<Session>>) {
        let mut inner = self.lock();
        for msg in retained {
            inner.retained.set(&msg.topic, Some(msg.clone()));
        }
        for session in sessions {
            for (filter, opts) in &session.lock().subscriptions {
                inner.insert(&session, filter, *opts);
            }
            inner.sessions.replace(ById(session));
        }
    }

    /// Sessions (online and offline), subscriptions and retained messages, for `$SYS`.
    pub fn counts(&self) -> (usize, usize, usize) {
        let inner = self.lock();
        (inner.sessions.len(), inner.tree.len(), inner.retained.len())
    }
}

fn end_locked(
    inner: &mut Inner,
    session: &Arc<Session>,
) -> (Option<Arc<Signal>>, Option<PendingWill>) {
    let current = inner.sessions.get(&*session.client_id);
    if current.is_some_and(|c| Arc::ptr_eq(&c.0, session)) {
        inner.sessions.remove(&*session.client_id);
    }
    for filter in session.lock().subscriptions.keys() {
        inner.remove(session, filter);
    }
    session.end()
}

impl Inner {
    /// Puts `session`'s subscription to `filter` in the trie; false if `filter` is not a
    /// valid shared-subscription filter.
    fn insert(&mut self, session: &Arc<Session>, filter: &str, opts: SubOptions) -> bool {
        let Some((group, topic_filter)) = split_shared(filter) else {
            return false;
        };
        let subscriber = Subscriber {
            session: session.clone(),
            opts,
        };
        let client = session.client_id.clone();
        self.tree.insert(topic_filter, group, client, subscriber);
        true
    }

    /// Takes `session`'s subscription to `filter` out of the trie.
    fn remove(&mut self, session: &Session, filter: &str) {
        if let Some((group, topic_filter)) = split_shared(filter) {
            self.tree.remove(topic_filter, group, &session.client_id);
        }
    }
}

fn outgoing_qos(published: QoS, granted: QoS, upgrade: bool) -> QoS {
    match upgrade {
        true => granted,
        false => granted.min(published),
    }
}

/// One delivery for all of a session's subscriptions that match `msg`: the highest QoS
/// (capped by the message's unless `upgrade`), every subscription id, retain if any asks to
/// keep it; `None` when no-local excludes them all.
fn merge(
    msg: &Arc<Message>,
    subs: &[(Arc<Session>, SubOptions)],
    upgrade: bool,
) -> Option<Delivery> {
    let mut delivery: Option<Delivery> = None;
    for (session, opts) in subs {
        if opts.no_local && msg.published_by(&session.client_id) {
            continue;
        }
        let d = delivery.get_or_insert_with(|| Delivery {
            msg: msg.clone(),
            qos: QoS::AtMostOnce,
            retain: false,
            sub_ids: Vec::new(),
        });
        d.qos = d.qos.max(outgoing_qos(msg.qos, opts.qos, upgrade));
        d.retain |= opts.retain_as_published && msg.retain;
        d.sub_ids.extend(opts.id);
    }
    delivery
}

#[cfg(test)]
mod tests;
