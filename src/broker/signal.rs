//! How the rest of the broker reaches a connected client's task: one [`Signal`] per
//! connection, notified when a message is queued for it, when another connection takes its
//! session over, when its keepalive runs out and when the broker shuts down.
//!
//! Keepalive and shutdown are watched broker-wide ([`watch`]) rather than by a timer and a
//! shutdown receiver in every task: an idle connection's task then waits on its socket and
//! its signal only, which keeps the memory of each idle connection small. The same sweep
//! asks a connection that stayed idle after some work to give back the buffers and queue
//! room its last burst left ([`Signal::take_trim`]), and later to park without a task
//! ([`Signal::take_park`], see [`super::parking`]).
//!
//! The signal is also the waker its task reads the socket with ([`Signal::reader`]), so the
//! broker knows which connections may have packets they have not read yet: a PUBLISH waits
//! for those only ([`Signal::others_unread`]).

use futures_util::task::AtomicWaker;
use std::collections::HashSet;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, AtomicUsize};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;
use tokio::time::Instant;

use super::shutdown::Shutdown;

/// How often [`watch`] looks for connections past their keepalive: a silent client is
/// closed between 1.5 times its keepalive and that plus this.
const SWEEP: Duration = Duration::from_millis(500);

/// Connections registered within one sweep from which on the broker takes them for a storm
/// (see [`Connections::storming`]): 200 a sweep is 400 a second.
const STORM: u32 = 200;

/// At most this often, the memory idle connections gave back is returned to the system
/// (see [`return_freed_memory`]).
const RETURN_EVERY: Duration = Duration::from_secs(10);

/// Connections that may have packets they have not read yet (see [`Signal::others_unread`]),
/// in every broker of the process: the brokers of a test suite then count each other's,
/// which costs a yield now and then but loses no order.
static UNREAD: AtomicUsize = AtomicUsize::new(0);

/// Why a connection must close, as [`Signal::stopped`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Nothing read for 1.5 times the keepalive (MQTT-3.1.2-24).
    KeepAlive = 1,
    /// The broker is shutting down.
    Shutdown = 2,
}

/// One connection's wake-up: queued messages, takeovers and [`Stop`]s.
///
/// Only the connection's own task waits on it, so a waker and a flag do what a `Notify`
/// would, and the task waits by polling them ([`Signal::poll_notified`]) with no future of
/// its own: an idle task then keeps no room for one.
#[derive(Debug, Default)]
pub struct Signal {
    task: AtomicWaker,
    /// A wake-up not yet taken by the task, kept if it came while the task was busy.
    notified: AtomicBool,
    /// When the client's last packet arrived, in milliseconds of [`now_ms`].
    last_read: AtomicU64,
    /// A [`Stop`] as its number, 0 while none.
    stop: AtomicU8,
    /// Milliseconds of silence after which the connection is closed, 0 for never: here
    /// rather than beside the signal in [`Connections`], whose table then holds a pointer
    /// per connection.
    limit: AtomicU32,
    /// Where the connection stands towards a trim and then parking: [`SPARE`], one up a
    /// sweep to [`TRIM`], [`TRIMMED`] and one up a sweep to [`PARK`], or 0.
    spare: AtomicU8,
    /// The connection may have packets it has not read: its socket woke it, or its task is
    /// new, and the task has not since found its socket empty. Counted in [`UNREAD`].
    unread: AtomicBool,
}

/// The connection went idle holding what its last work allocated.
const SPARE: u8 = 1;
/// Two sweeps found it still so: it is asked to give the room back.
const TRIM: u8 = 3;
/// It has trimmed; each sweep that finds it still idle counts one up from here.
const TRIMMED: u8 = 4;
/// Still idle [`PARK_AFTER`] sweeps after its trim: it is asked to park (see
/// [`super::parking`]). Later than the trim, so a client that gets a message every second
/// or so keeps its task rather than be parked and resumed each time, at four `epoll_ctl`s
/// and a spawn per message.
const PARK: u8 = TRIMMED + PARK_AFTER;
const PARK_AFTER: u8 = 4;

impl Signal {
    /// A signal for a connection that has just been read from, and may have more packets
    /// buffered.
    pub fn new() -> Signal {
        let signal = Signal::default();
        signal.touch();
        signal.mark_unread();
        signal
    }

    /// The waker for reading the connection's socket in a poll of its task (`cx`): the
    /// signal itself, which marks the connection unread and wakes the task. The task's
    /// waker is registered first, so that a readiness that comes before the task has taken
    /// its wake-ups still wakes it.
    pub fn reader(self: &Arc<Self>, cx: &Context<'_>) -> Waker {
        self.task.register(cx.waker());
        Waker::from(self.clone())
    }

    /// The connection may have packets it has not read: its socket woke it, or it has a new
    /// task.
    pub fn mark_unread(&self) {
        if !self.unread.swap(true, AcqRel) {
            UNREAD.fetch_add(1, AcqRel);
        }
    }

    /// The connection's task found its socket empty.
    pub fn read_all(&self) {
        if self.unread.swap(false, AcqRel) {
            UNREAD.fetch_sub(1, AcqRel);
        }
    }

    /// True when another connection may have packets it has not read yet, some of which
    /// may have arrived before the one this connection is about to handle.
    pub fn others_unread(&self) -> bool {
        UNREAD.load(Acquire) > usize::from(self.unread.load(Acquire))
    }

    /// Wakes the connection's task (a permit is kept if it is not waiting).
    pub fn notify_one(&self) {
        self.notified.store(true, Release);
        self.task.wake();
    }

    /// Ready once [`Signal::notify_one`] has been called since the last time it was ready;
    /// otherwise the task of `cx` is woken at the next call. One task only may poll it.
    pub fn poll_notified(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.task.register(cx.waker());
        match self.take_notified() {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    }

    /// Takes a wake-up that is waiting, if one is: [`Signal::poll_notified`] for a task that
    /// has already registered its waker in this poll ([`Signal::reader`]).
    pub fn take_notified(&self) -> bool {
        self.notified.swap(false, AcqRel)
    }

    /// Hands the wake-ups to `waker` while the connection has no task (see
    /// [`super::parking`]); its task, once resumed, takes them back at its first poll.
    pub fn park(&self, waker: &Waker) {
        self.task.register(waker);
    }

    /// True when a wake-up is waiting to be taken.
    pub fn is_notified(&self) -> bool {
        self.notified.load(Acquire)
    }

    /// [`Signal::poll_notified`] as a future.
    pub fn notified(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| self.poll_notified(cx))
    }

    /// The connection goes idle after some work: if it stays so for two sweeps (0.5 to 1 s),
    /// it is woken to give back what that work allocated, and [`PARK_AFTER`] sweeps later to
    /// park. A busy connection, which goes idle again and again, keeps its buffers rather
    /// than allocate them anew for every burst. The `first` time since the client connected,
    /// there is nothing to give back but the connection's task: it is asked to park after
    /// the two sweeps, so a client that acts at once is not parked before (in a connection
    /// storm, it is parked at once: see [`Connections::storming`]).
    pub fn went_idle(&self, first: bool) {
        let state = match first {
            true => PARK - 2,
            false => SPARE,
        };
        self.spare.store(state, Relaxed);
    }

    /// True, once, when a sweep asked the connection to give its spare room back.
    pub fn take_trim(&self) -> bool {
        self.spare
            .compare_exchange(TRIM, TRIMMED, Relaxed, Relaxed)
            .is_ok()
    }

    /// True, once, when a sweep asked the connection to park.
    pub fn take_park(&self) -> bool {
        self.spare
            .compare_exchange(PARK, 0, Relaxed, Relaxed)
            .is_ok()
    }

    /// One sweep's step towards a trim or parking (see [`Signal::went_idle`]); true when it
    /// asked for either, as both free memory.
    fn age(&self) -> bool {
        let now = self.spare.load(Relaxed);
        if !(SPARE..PARK).contains(&now) || now == TRIM {
            return false;
        }
        let moved = self.spare.compare_exchange(now, now + 1, Relaxed, Relaxed);
        let ask = moved.is_ok() && matches!(now + 1, TRIM | PARK);
        if ask {
            self.notify_one();
        }
        ask
    }

    /// A packet arrived: the keepalive starts again.
    pub fn touch(&self) {
        self.last_read.store(now_ms(), Relaxed);
    }

    /// Tells the connection to close for `why` and wakes it.
    fn stop(&self, why: Stop) {
        self.stop.store(why as u8, Relaxed);
        self.notify_one();
    }

    /// Why the connection must close, if it must.
    pub fn stopped(&self) -> Option<Stop> {
        match self.stop.load(Relaxed) {
            1 => Some(Stop::KeepAlive),
            2 => Some(Stop::Shutdown),
            _ => None,
        }
    }
}

/// Its socket's readiness (see [`Signal::reader`]).
impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.mark_unread();
        self.task.wake();
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        self.read_all();
    }
}

/// Milliseconds since the first call: the clock of [`Signal::touch`].
pub(super) fn now_ms() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    origin.elapsed().as_millis() as u64
}

/// Every connected client's signal.
#[derive(Debug, Default)]
pub struct Connections {
    inner: Mutex<Registry>,
    /// [`STORM`] connections or more registered since the last sweep or in the sweep before.
    storm: AtomicBool,
}

/// A signal in the registry, known by its address.
#[derive(Debug)]
struct Watched(Arc<Signal>);

impl PartialEq for Watched {
    fn eq(&self, other: &Watched) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Watched {}

impl Hash for Watched {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.0).hash(state);
    }
}

#[derive(Debug, Default)]
struct Registry {
    live: HashSet<Watched>,
    /// Connections registered since the last sweep.
    arrivals: u32,
    /// Shutdown has begun: a connection registered from now on is stopped at once.
    closed: bool,
}

impl Connections {
    /// Registers a connection's signal; with a keepalive, the connection is closed after
    /// 1.5 times it in silence.
    pub fn add(&self, signal: Arc<Signal>, keep_alive: Option<Duration>) {
        let limit = keep_alive.map_or(0, |k| (k * 3 / 2).as_millis() as u32);
        signal.limit.store(limit, Relaxed);
        let mut registry = self.lock();
        if registry.closed {
            signal.stop(Stop::Shutdown);
        }
        registry.live.insert(Watched(signal));
        registry.arrivals = registry.arrivals.saturating_add(1);
        if registry.arrivals == STORM {
            self.storm.store(true, Relaxed);
        }
    }

    /// True while clients connect faster than [`STORM`] a sweep: a connection idle since
    /// its CONNACK is then parked at once rather than after two sweeps, so the next clients
    /// reuse its task's memory. Out of a storm, a client's first packet after its CONNACK
    /// does not wait for a resumed task: that extra hop can let the later packets of other
    /// clients overtake it, an order tests written against mosquitto may count on.
    pub fn storming(&self) -> bool {
        self.storm.load(Relaxed)
    }

    /// Forgets a connection's signal once it has closed.
    pub fn remove(&self, signal: &Arc<Signal>) {
        self.lock().live.remove(&Watched(signal.clone()));
    }

    /// Stops every connection whose client has been silent past its limit, and moves each
    /// idle one a step towards giving back its spare room or parking; true when one was
    /// asked to.
    fn sweep(&self) -> bool {
        let now = now_ms();
        let mut asked = false;
        let mut registry = self.lock();
        let arrivals = std::mem::take(&mut registry.arrivals);
        self.storm.store(arrivals >= STORM, Relaxed);
        for Watched(signal) in &registry.live {
            let silent = now.saturating_sub(signal.last_read.load(Relaxed));
            let limit = signal.limit.load(Relaxed);
            if limit > 0 && silent > u64::from(limit) && signal.stopped().is_none() {
                signal.stop(Stop::KeepAlive);
            }
            asked |= signal.age();
        }
        asked
    }

    /// Stops every connection, now and from now on.
    fn close_all(&self) {
        let mut registry = self.lock();
        registry.closed = true;
        for Watched(signal) in &registry.live {
            signal.stop(Stop::Shutdown);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Closes silent connections every [`SWEEP`], and all of them at shutdown; asks idle ones to
/// give back their spare room and later to park, and returns what they freed to the system
/// now and then.
pub async fn watch(connections: Arc<Connections>, mut shutdown: Shutdown) {
    let mut every = tokio::time::interval(SWEEP);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Trims or parks asked for since memory was last returned, and when that was.
    let mut asked = false;
    let mut returned: Option<Instant> = None;
    loop {
        tokio::select! {
            _ = every.tick() => {
                // The connections asked at an earlier sweep have freed their room by now.
                if asked && returned.is_none_or(|at| at.elapsed() >= RETURN_EVERY) {
                    return_freed_memory();
                    (asked, returned) = (false, Some(Instant::now()));
                }
                asked |= connections.sweep();
            }
            () = shutdown.recv() => break,
        }
    }
    connections.close_all();
}

/// Hands the heap's free pages back to the system, off the async threads: glibc's malloc
/// keeps what was freed between live blocks, so the buffers idle connections give back
/// would otherwise still count in the broker's RSS. Slow on a large heap, hence
/// [`RETURN_EVERY`].
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    tokio::task::spawn_blocking(|| {
        // SAFETY: malloc_trim takes the allocator's own locks; any thread may call it.
        unsafe { libc::malloc_trim(0) };
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn silence_past_the_limit_stops_a_connection() {
        let connections = Connections::default();
        let (talks, silent, forever) = (
            Arc::new(Signal::new()),
            Arc::new(Signal::new()),
            Arc::new(Signal::new()),
        );
        let second = Some(Duration::from_secs(1));
        connections.add(talks.clone(), second);
        connections.add(silent.clone(), second);
        connections.add(forever.clone(), None);
        tokio::time::advance(Duration::from_millis(1400)).await;
        talks.touch();
        connections.sweep();
        assert_eq!(silent.stopped(), None, "1.4 s is within 1.5 times 1 s");
        tokio::time::advance(Duration::from_millis(200)).await;
        connections.sweep();
        assert_eq!(silent.stopped(), Some(Stop::KeepAlive));
        assert_eq!((talks.stopped(), forever.stopped()), (None, None));
        connections.close_all();
        assert_eq!(talks.stopped(), Some(Stop::Shutdown));
        let late = Arc::new(Signal::new());
        connections.add(late.clone(), None);
        assert_eq!(
            late.stopped(),
            Some(Stop::Shutdown),
            "registered after shutdown began"
        );
    }

    /// A connection that goes idle after some work is asked to trim at the second sweep that
    /// finds it still idle, once; one that goes idle again meanwhile starts over.
    #[test]
    fn an_idle_connection_is_asked_to_trim_after_two_sweeps() {
        let connections = Connections::default();
        let (idle, busy, never) = (
            Arc::new(Signal::new()),
            Arc::new(Signal::new()),
            Arc::new(Signal::new()),
        );
        for signal in [&idle, &busy, &never] {
            connections.add(signal.clone(), None);
        }
        idle.went_idle(false);
        busy.went_idle(false);
        assert!(!connections.sweep());
        assert!(!idle.take_trim(), "one sweep is not enough");
        busy.went_idle(false);
        assert!(connections.sweep(), "the idle one is asked");
        let woken = |s: &Signal| s.notified.load(Relaxed);
        assert!(woken(&idle) && idle.take_trim());
        assert!(!idle.take_trim(), "once");
        assert!(
            !woken(&busy) && !busy.take_trim(),
            "went idle again: starts over"
        );
        assert!(connections.sweep(), "the busy one, idle since");
        assert!(busy.take_trim());
        assert!(!connections.sweep() && !woken(&never) && !never.take_trim());
    }

    /// [`PARK_AFTER`] more sweeps after its trim, a still idle connection is asked to park,
    /// once; one that has not taken its trim yet is not.
    #[test]
    fn a_trimmed_connection_is_asked_to_park_after_more_idle_sweeps() {
        let connections = Connections::default();
        let (idle, untrimmed) = (Arc::new(Signal::new()), Arc::new(Signal::new()));
        for signal in [&idle, &untrimmed] {
            connections.add(signal.clone(), None);
            signal.went_idle(false);
        }
        connections.sweep();
        assert!(connections.sweep() && idle.take_trim());
        for _ in 1..PARK_AFTER {
            assert!(!connections.sweep());
            assert!(!idle.take_park(), "too early");
        }
        idle.notified.store(false, Relaxed);
        assert!(connections.sweep(), "asked to park");
        assert!(idle.notified.load(Relaxed) && idle.take_park());
        assert!(!idle.take_park(), "once");
        assert!(!untrimmed.take_park());
    }

    /// Idle for the first time since it connected, a connection is asked to park after two
    /// sweeps, with no trim.
    #[test]
    fn a_new_connection_is_asked_to_park_after_two_idle_sweeps() {
        let connections = Connections::default();
        let new = Arc::new(Signal::new());
        connections.add(new.clone(), None);
        new.went_idle(true);
        assert!(
            !connections.sweep() && !new.take_park(),
            "one sweep is not enough"
        );
        assert!(connections.sweep() && new.take_park() && !new.take_trim());
    }

    /// [`STORM`] connections registered within a sweep make a storm, which lasts until a
    /// sweep finds fewer registered since the one before.
    #[test]
    fn a_storm_is_told_by_the_connections_registered_between_sweeps() {
        let connections = Connections::default();
        let add = |count| {
            for _ in 0..count {
                connections.add(Arc::new(Signal::new()), None);
            }
        };
        add(STORM - 1);
        assert!(!connections.storming());
        add(1);
        assert!(connections.storming());
        connections.sweep();
        assert!(connections.storming(), "until a quieter sweep");
        add(STORM - 1);
        connections.sweep();
        assert!(!connections.storming());
    }
}
