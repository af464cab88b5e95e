//! A listener's door: who may wait in front of it, and who gets in.
//!
//! A socket is *pending* from its accept until its CONNECT has been read: through its TLS
//! handshake, WebSocket upgrade and the wait for CONNECT. A peer can open sockets faster than
//! the connect timeout closes them, so pending sockets are capped apart from the connected
//! clients: when `max_pending_connections` sockets are pending, or every `max_connections`
//! permit is taken, a new socket takes the place (and the permit) of the oldest pending one.
//! A client that sends its CONNECT at once is then served however many silent sockets a peer
//! keeps open, and pending sockets hold at most that many CONNECT buffers.
//!
//! As in mosquitto, `max_connections` counts every socket, pending or connected: a socket
//! over it, when none is pending, is closed as soon as it is accepted.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

/// The connection permits and pending sockets of one listener.
pub struct Door {
    permits: Arc<Semaphore>,
    max_pending: usize,
    /// Pending sockets by arrival, oldest first.
    pending: Mutex<Pending>,
}

#[derive(Default)]
struct Pending {
    next_id: u64,
    waiting: BTreeMap<u64, Waiting>,
}

/// A pending socket's place; dropping it drops `_evict`, which tells its task to close.
struct Waiting {
    peer: SocketAddr,
    _evict: oneshot::Sender<()>,
    permit: OwnedSemaphorePermit,
}

/// Why a socket was let in: with the place of an evicted pending socket, or not.
pub enum Entry {
    /// A free permit.
    Free(Ticket),
    /// The oldest pending socket, from `peer`, made room for it.
    Evicted(Ticket, SocketAddr),
}

/// A socket's hold on its listener: pending until [`Ticket::connected`], then its permit.
pub struct Ticket {
    door: Arc<Door>,
    id: u64,
    evicted: oneshot::Receiver<()>,
    /// Taken from the pending place once CONNECT has been read.
    permit: Option<OwnedSemaphorePermit>,
}

impl Door {
    /// A door for `max_connections` sockets, `max_pending` (at least 1) of them pending.
    pub fn new(max_connections: usize, max_pending: usize) -> Arc<Door> {
        Arc::new(Door {
            permits: Arc::new(Semaphore::new(max_connections.min(Semaphore::MAX_PERMITS))),
            max_pending: max_pending.max(1),
            pending: Mutex::default(),
        })
    }

    /// Lets the socket from `peer` in as pending; `None` when `max_connections` sockets are
    /// connected and none is pending.
    pub fn enter(self: &Arc<Door>, peer: SocketAddr) -> Option<Entry> {
        let mut pending = self.lock();
        let free = match pending.waiting.len() < self.max_pending {
            true => self.permits.clone().try_acquire_owned().ok(),
            false => None,
        };
        let (permit, evicted) = match free {
            Some(permit) => (permit, None),
            None => {
                let (_, oldest) = pending.waiting.pop_first()?;
                (oldest.permit, Some(oldest.peer))
            }
        };
        let (_evict, evicted_rx) = oneshot::channel();
        let id = pending.next_id;
        pending.next_id += 1;
        let waiting = Waiting {
            peer,
            _evict,
            permit,
        };
        pending.waiting.insert(id, waiting);
        let ticket = Ticket {
            door: self.clone(),
            id,
            evicted: evicted_rx,
            permit: None,
        };
        Some(match evicted {
            Some(peer) => Entry::Evicted(ticket, peer),
            None => Entry::Free(ticket),
        })
    }

    /// How many sockets are pending, for the log.
    pub fn pending(&self) -> usize {
        self.lock().waiting.len()
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Ticket {
    /// Completes when a newer socket took this one's place; never once it is connected.
    pub async fn evicted(&mut self) {
        match self.permit {
            None => drop((&mut self.evicted).await),
            Some(_) => std::future::pending().await,
        }
    }

    /// Leaves the pending sockets with the permit, now that CONNECT has been read; false
    /// when the socket was evicted meanwhile, and must close.
    pub fn connected(&mut self) -> bool {
        let taken = self.door.lock().waiting.remove(&self.id);
        self.permit = taken.map(|waiting| waiting.permit);
        self.permit.is_some()
    }

    /// What a connected socket keeps until it closes: its permit. The rest goes, the
    /// eviction channel above all, which holds the waker of the task that waited on it (and
    /// so that task's memory) until dropped.
    pub fn into_permit(mut self) -> Option<OwnedSemaphorePermit> {
        self.permit.take()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.permit.is_none() {
            self.door.lock().waiting.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn ticket(entry: Option<Entry>) -> (Ticket, Option<SocketAddr>) {
        match entry.expect("let in") {
            Entry::Free(ticket) => (ticket, None),
            Entry::Evicted(ticket, peer) => (ticket, Some(peer)),
        }
    }

    #[tokio::test]
    async fn the_oldest_pending_socket_makes_room() {
        let door = Door::new(10, 2);
        let (mut first, _) = ticket(door.enter(peer(1)));
        let (mut second, _) = ticket(door.enter(peer(2)));
        let (mut third, evicted) = ticket(door.enter(peer(3)));
        assert_eq!(evicted, Some(peer(1)));
        first.evicted().await;
        assert!(!first.connected());
        assert!(second.connected() && third.connected());
        assert_eq!(door.pending(), 0);
        // Connected sockets keep their permits: 8 are left.
        assert_eq!(door.permits.available_permits(), 8);
    }

    #[test]
    fn connected_sockets_are_never_evicted() {
        let door = Door::new(2, 5);
        let (mut a, _) = ticket(door.enter(peer(1)));
        let (mut b, _) = ticket(door.enter(peer(2)));
        assert!(a.connected() && b.connected());
        assert!(door.enter(peer(3)).is_none(), "max_connections reached");
        drop(a);
        let (c, evicted) = ticket(door.enter(peer(4)));
        assert_eq!(evicted, None);
        // A pending socket that goes away leaves its place and its permit.
        drop(c);
        assert_eq!((door.pending(), door.permits.available_permits()), (0, 1));
    }

    #[test]
    fn a_full_listener_evicts_a_pending_socket_for_its_permit() {
        let door = Door::new(2, 5);
        let (mut a, _) = ticket(door.enter(peer(1)));
        assert!(a.connected());
        let (_silent, _) = ticket(door.enter(peer(2)));
        let (mut client, evicted) = ticket(door.enter(peer(3)));
        assert_eq!(evicted, Some(peer(2)));
        assert!(client.connected());
    }
}
