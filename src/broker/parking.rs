//! Idle connections without a task: a plain TCP client that has stayed idle (asked to park
//! by [`super::signal`]: 0.5 to 1 s after it connected if idle since, at once in a
//! connection storm, else 2.5 to 3 s after its last work) leaves tokio altogether. Its
//! handler, folded, goes into a table, its socket into an epoll set of our own, and its
//! signal wakes the table instead of a task; the first byte from the client or the first
//! signal (a message queued, a takeover, keepalive, shutdown) gives it a task again.
//!
//! A task is a 384-byte allocation and tokio's registration of a socket another 256; what a
//! parked connection keeps instead is its handler folded without its stream and empty
//! buffers (`Parked`, 144 bytes with its socket), which brings an idle connection's memory
//! closer to mosquitto's. Resuming costs a spawn and four `epoll_ctl`s, and the client's
//! first packet waits one more task hop: hence not at once, when clients are most active and
//! a test suite may count on the order of what several clients do, but in a storm of
//! connections, where the next clients reuse the memory freed. TLS and WebSocket
//! connections keep their tasks: their state lives in the stream, which only tokio can wait
//! on.

use super::handler::{self, Folded, Handler};
use super::shutdown::Done;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};
use std::any::Any;
use std::collections::HashMap;
use std::io;
use std::os::fd::AsRawFd;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::task::{Context, RawWaker, RawWakerVTable, Waker};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinHandle;

/// The token of the epoll set's own waker, which [`Knock`] rings; connections count from 1.
const KNOCKED: Token = Token(0);

/// Connections resumed per turn of the parking task (and epoll events taken at once): one
/// message to thousands of parked subscribers knocks on them all, and resuming every one
/// in one turn would hold a worker thread from other tasks until the last.
const PER_TURN: usize = 256;

/// Low bits of a parked connection's key that tell its lot's place in [`LOTS`]; the rest
/// count parked connections.
const LOT_BITS: u32 = usize::BITS / 4;

/// The lots of the brokers running in this process, so that a parked connection's waker can
/// be its key alone ([`knock_waker`]) rather than an allocation of its own.
static LOTS: RwLock<Vec<Weak<Lot>>> = RwLock::new(Vec::new());

/// The next parked connection's number, process-wide: a knock left over from a connection
/// parked in a lot that has since ended never names one parked in the lot now in its place.
static NEXT: AtomicUsize = AtomicUsize::new(1);

/// The broker's parked connections.
#[derive(Clone)]
pub struct Parking {
    lot: Arc<Lot>,
}

struct Lot {
    registry: Registry,
    /// Rung when a parked connection's signal fires.
    waker: mio::Waker,
    parked: Mutex<HashMap<usize, Box<Parked>>>,
    /// Parked connections whose signal fired, for [`run`] to resume.
    knocked: Mutex<Vec<usize>>,
    /// Its place in [`LOTS`].
    place: usize,
}

/// A connection without a task: all its task held, its handler folded (without its empty
/// buffers) and its socket out of tokio.
struct Parked {
    handler: Folded,
    socket: std::net::TcpStream,
    place: Option<OwnedSemaphorePermit>,
    done: Done,
}

/// Starts the task that resumes parked connections; `None` where no epoll set can be made,
/// and connections then keep their tasks. Aborted by the broker once every connection has
/// closed (none is parked then).
pub fn start() -> Option<(Parking, JoinHandle<()>)> {
    let poll = Poll::new().ok()?;
    let waker = mio::Waker::new(poll.registry(), KNOCKED).ok()?;
    let registry = poll.registry().try_clone().ok()?;
    let mut lots = LOTS.write().unwrap_or_else(|e| e.into_inner());
    let place = (lots.iter())
        .position(|lot| lot.strong_count() == 0)
        .unwrap_or(lots.len());
    if place >> LOT_BITS != 0 {
        return None;
    }
    let lot = Arc::new(Lot {
        registry,
        waker,
        parked: Mutex::default(),
        knocked: Mutex::default(),
        place,
    });
    match lots.get_mut(place) {
        Some(free) => *free = Arc::downgrade(&lot),
        None => lots.push(Arc::downgrade(&lot)),
    }
    drop(lots);
    // SAFETY: the `Poll` owns its epoll descriptor, open and the same for all its life,
    // which the `AsyncFd` owning it does not outlive.
    let poll =
        unsafe { AsyncFd::register_with_interest(poll, tokio::io::Interest::READABLE) }.ok()?;
    let task = tokio::spawn(run(poll, lot.clone()));
    Some((Parking { lot }, task))
}

/// True when `handler`'s connection can be parked: plain TCP (TLS and WebSocket streams keep
/// state only their task can drive).
pub fn can_park(handler: &mut Handler) -> bool {
    (&**handler.stream_mut() as &dyn Any).is::<TcpStream>()
}

impl Parking {
    /// Takes over an idle connection (checked with [`can_park`]) until its client or its
    /// signal wakes it. Should its socket fail to leave tokio or to enter the epoll set, it
    /// goes on in a new task at once (closing as if its client had gone in the first case,
    /// as the socket is then lost).
    pub fn park(&self, handler: Handler, place: Option<OwnedSemaphorePermit>, done: Done) {
        let signal = handler.signal().clone();
        let (stream, handler) = handler.fold();
        let socket = (stream as Box<dyn Any>)
            .downcast::<TcpStream>()
            .map_err(|_| io::Error::other("not TCP"))
            .and_then(|tcp| tcp.into_std());
        let Ok(socket) = socket else {
            let handler = Handler::unfold(handler, Box::new(Resting(None)));
            return resume(handler, place, done);
        };
        let fd = socket.as_raw_fd();
        let key = NEXT.fetch_add(1, Ordering::Relaxed) << LOT_BITS | self.lot.place;
        let knock = knock_waker(key);
        // The signal first: a knock that finds the table without the connection is not lost,
        // as the signal's flag stays set for the check below.
        signal.park(&knock);
        let registered = {
            let mut table = self.lot.table();
            let registry = &self.lot.registry;
            let registered = registry.register(&mut SourceFd(&fd), Token(key), Interest::READABLE);
            let parked = Parked {
                handler,
                socket,
                place,
                done,
            };
            table.insert(key, Box::new(parked));
            registered.is_ok()
        };
        if !registered || signal.is_notified() {
            knock.wake();
        }
    }
}

/// Gives a resumed connection's socket back to tokio, first thing in its new task: the
/// parking task, which resumes connections one after another, only spawns them.
pub fn reattach(handler: &mut Handler) {
    let stream = &mut **handler.stream_mut() as &mut dyn Any;
    let Some(socket) = stream.downcast_mut::<Resting>().and_then(|r| r.0.take()) else {
        return;
    };
    if let Some(parking) = handler.client.shared.parking.get() {
        let fd = socket.as_raw_fd();
        let _ = parking.lot.registry.deregister(&mut SourceFd(&fd));
    }
    if let Ok(tcp) = TcpStream::from_std(socket) {
        *handler.stream_mut() = Box::new(tcp);
    }
}

impl Lot {
    fn table(&self) -> MutexGuard<'_, HashMap<usize, Box<Parked>>> {
        self.parked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Gives the connection parked as `key` a task again, if it is still parked.
    fn unpark(&self, key: usize) {
        if let Some(parked) = self.table().remove(&key) {
            let Parked {
                handler,
                socket,
                place,
                done,
            } = *parked;
            let stream = Box::new(Resting(Some(socket)));
            resume(Handler::unfold(handler, stream), place, done);
        }
    }
}

fn resume(handler: Handler, place: Option<OwnedSemaphorePermit>, done: Done) {
    tokio::spawn(handler::connected(handler, place, done, false));
}

/// Waits on the epoll set of parked sockets and resumes each connection whose client wrote
/// (or closed) or whose signal fired.
async fn run(mut poll: AsyncFd<Poll>, lot: Arc<Lot>) {
    let mut events = Events::with_capacity(PER_TURN);
    loop {
        let Ok(mut ready) = poll.readable_mut().await else {
            return;
        };
        let polled = ready
            .get_inner_mut()
            .poll(&mut events, Some(Duration::ZERO));
        if matches!(&polled, Err(e) if e.kind() == io::ErrorKind::Interrupted) {
            continue;
        }
        // Nothing more for now, or an error (none is possible on a valid set): wait for the
        // next readiness rather than spin.
        if polled.is_err() || events.is_empty() {
            ready.clear_ready();
            continue;
        }
        for event in events.iter().filter(|e| e.token() != KNOCKED) {
            lot.unpark(event.token().0);
        }
        if events.iter().count() == PER_TURN {
            tokio::task::yield_now().await;
        }
        // Every knock so far (a KNOCKED event or not), a turn's worth at a time.
        loop {
            let knocked = lot.take_knocked();
            if knocked.is_empty() {
                break;
            }
            knocked.into_iter().for_each(|key| lot.unpark(key));
            tokio::task::yield_now().await;
        }
    }
}

impl Lot {
    fn knocked(&self) -> MutexGuard<'_, Vec<usize>> {
        self.knocked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Up to [`PER_TURN`] of the knocked connections, the first ones.
    fn take_knocked(&self) -> Vec<usize> {
        let mut knocked = self.knocked();
        let turn = knocked.len().min(PER_TURN);
        knocked.drain(..turn).collect()
    }
}

/// A parked connection's waker, left in its signal: it lists the connection (its `key`,
/// which tells its lot) for [`run`]. The key is the waker's whole data, so that parking
/// allocates no waker per connection.
fn knock_waker(key: usize) -> Waker {
    // SAFETY: the vtable's functions never read the data as a pointer, so any value is
    // valid for them, and they are thread-safe.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::without_provenance(key), &KNOCK)) }
}

const KNOCK: RawWakerVTable = RawWakerVTable::new(clone_knock, knock, knock, drop_knock);

fn clone_knock(key: *const ()) -> RawWaker {
    RawWaker::new(key, &KNOCK)
}

/// Lists the parked connection `key` for its lot's [`run`], if the lot is still there.
fn knock(key: *const ()) {
    let key = key.addr();
    let place = key & ((1 << LOT_BITS) - 1);
    let lots = LOTS.read().unwrap_or_else(|e| e.into_inner());
    let Some(lot) = lots.get(place).and_then(Weak::upgrade) else {
        return;
    };
    drop(lots);
    lot.knocked().push(key);
    let _ = lot.waker.wake();
}

fn drop_knock(_: *const ()) {}

/// A resumed connection's stream: its socket out of tokio, until [`reattach`] gives it back
/// in the connection's new task. Empty if tokio would not give the socket up (or take it
/// back): then the first read fails and the connection closes as if its client had gone.
struct Resting(Option<std::net::TcpStream>);

impl AsyncRead for Resting {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Err(io::ErrorKind::NotConnected.into()))
    }
}

impl AsyncWrite for Resting {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &[u8],
    ) -> std::task::Poll<io::Result<usize>> {
        std::task::Poll::Ready(Err(io::ErrorKind::NotConnected.into()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> std::task::Poll<io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_knock_lists_its_connection_in_its_own_lot_only() {
        let (first, task1) = start().unwrap();
        let (second, task2) = start().unwrap();
        assert_ne!(first.lot.place, second.lot.place);
        let key = 7 << LOT_BITS | second.lot.place;
        let knock = knock_waker(key);
        knock.wake();
        assert_eq!(*second.lot.knocked(), [key]);
        assert!(first.lot.knocked().is_empty());
        // A lot that has ended is not kept for its knocks, which then go nowhere.
        let (ended, place) = (Arc::downgrade(&first.lot), first.lot.place);
        task1.abort();
        let _ = task1.await;
        drop(first);
        assert_eq!(ended.strong_count(), 0);
        knock_waker(9 << LOT_BITS | place).wake();
        task2.abort();
    }
}
