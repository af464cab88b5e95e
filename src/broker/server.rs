//! Accept loops, the connection limits and graceful shutdown.
//!
//! As in mosquitto 2.0, each listener counts its own connections against its own
//! `max_connections`; one over it is accepted and closed at once, so the client learns of it
//! instead of waiting in the accept backlog. Sockets that have not sent CONNECT yet wait at
//! the listener's [`Door`], which bounds them apart.

use super::config::Config;
use super::door::{Door, Entry, Ticket};
use super::handler;
use super::listener::Listener;
use super::persist::{self, Restored, Store};
use super::router::Router;
use super::security::{Access, Security};
use super::shutdown::Shutdown;
use super::signal::{self, Connections};
use super::stats::Stats;
use super::sys;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, Semaphore};

/// Everything the connection tasks share.
pub struct Shared {
    pub config: Config,
    pub router: Router,
    pub stats: Arc<Stats>,
    next_id: AtomicU64,
    /// The security of listeners with their own (`per_listener_settings true`).
    own_access: Vec<Arc<Access>>,
    refusals: Mutex<RefusalLog>,
    /// Password checks running at once on the blocking pool (see `handshake`).
    pub password_checks: Semaphore,
    /// Every connected client's signal, for keepalive and shutdown.
    pub connections: Arc<Connections>,
    /// Closed when the broker shuts down: a copy of it makes a closing connection's
    /// [`Shutdown`] again (see [`Done::resume`](super::shutdown::Done::resume)).
    pub shutdown: broadcast::Receiver<()>,
    /// Where idle connections go without a task; unset in brokers that do not park (the
    /// fuzz targets' in-memory one).
    #[cfg(unix)]
    pub parking: std::sync::OnceLock<super::parking::Parking>,
}

/// Refusals logged in the current second, and those left out.
struct RefusalLog {
    since: Instant,
    logged: u32,
    left_out: u64,
}

/// At most this many refusals are logged per second, so a flood cannot fill the log.
const REFUSALS_PER_SECOND: u32 = 10;

impl Shared {
    /// The shared state of a broker starting from `router`; `own_access` lists the listeners
    /// with their own security.
    pub fn new(
        config: Config,
        router: Router,
        own_access: Vec<Arc<Access>>,
        shutdown: broadcast::Receiver<()>,
    ) -> Shared {
        Shared {
            config,
            router,
            stats: Arc::new(Stats::default()),
            next_id: AtomicU64::new(1),
            own_access,
            refusals: Mutex::new(RefusalLog {
                since: Instant::now(),
                logged: 0,
                left_out: 0,
            }),
            password_checks: Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
            connections: Arc::default(),
            shutdown,
            #[cfg(unix)]
            parking: std::sync::OnceLock::new(),
        }
    }

    /// The password and ACL files that judge a client of the listener on `port`: the
    /// broker's, or with `per_listener_settings true` that listener's own; `None` when no
    /// listener has that port now (say it changed over a restart), which mosquitto 2.0 denies.
    pub fn security_of(&self, port: u16) -> Option<&Security> {
        if self.own_access.is_empty() {
            return Some(&self.config.security);
        }
        let own = self.own_access.iter().find(|access| access.port == port);
        own.map(|access| &*access.security)
    }

    /// A unique, non-zero id for a new connection.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// True when `memory_limit` is set and the heap is over it.
    pub fn over_memory_limit(&self) -> bool {
        let limit = self.config.limits.memory_limit;
        limit > 0 && crate::heap::in_use() > limit
    }

    /// Logs `line` to stderr when verbose, with mosquitto's Unix-time prefix.
    pub fn log(&self, line: std::fmt::Arguments<'_>) {
        if self.config.verbose {
            eprintln!("{}: {line}", chrono::Utc::now().timestamp());
        }
    }

    /// Logs the refusal of a peer, at most [`REFUSALS_PER_SECOND`] a second; the next line
    /// after a full second says how many were left out.
    pub fn log_refusal(&self, line: std::fmt::Arguments<'_>) {
        if !self.config.verbose {
            return;
        }
        let mut log = self.refusals.lock().unwrap_or_else(|e| e.into_inner());
        if log.since.elapsed() >= Duration::from_secs(1) {
            if log.left_out > 0 {
                let n = log.left_out;
                self.log(format_args!("{n} more refusals were not logged"));
            }
            *log = RefusalLog {
                since: Instant::now(),
                logged: 0,
                left_out: 0,
            };
        }
        match log.logged < REFUSALS_PER_SECOND {
            true => {
                log.logged += 1;
                self.log(line);
            }
            false => log.left_out += 1,
        }
    }
}

/// Serves plain MQTT on `listeners` until `shutdown` completes; see [`run_listeners`].
pub async fn run(
    listeners: Vec<TcpListener>,
    config: Config,
    shutdown: impl Future,
) -> anyhow::Result<()> {
    let listeners = listeners.into_iter().map(Listener::plain).collect();
    run_listeners(listeners, config, shutdown).await
}

/// Serves `listeners`, each with its own protocol stack, until `shutdown` completes, then
/// asks every connection to close and waits for them. State lives in memory only.
pub async fn run_listeners(
    listeners: Vec<Listener>,
    config: Config,
    shutdown: impl Future,
) -> anyhow::Result<()> {
    serve_from(listeners, config, None, shutdown).await
}

/// Like [`run_listeners`], starting from a restored state that is saved to `persisted`'s
/// store while the broker runs and once more when it has stopped.
pub async fn serve_from(
    listeners: Vec<Listener>,
    config: Config,
    persisted: Option<(Store, Restored)>,
    shutdown: impl Future,
) -> anyhow::Result<()> {
    if config.limits.memory_limit > 0 && !crate::heap::start() {
        eprintln!("Warning: memory_limit is not enforced: this program does not count its heap (mqtk::heap::Counting)");
    }
    let (notify, _) = broadcast::channel::<()>(1);
    let (complete, mut all_done) = mpsc::channel::<()>(1);
    let (router, persisted) = match persisted {
        Some((store, mut restored)) => {
            let router = std::mem::take(&mut restored.router);
            (router, Some((Arc::new(store), restored)))
        }
        None => {
            let router = Router::new(&config, Default::default());
            (router, None)
        }
    };
    let served: Vec<_> = listeners
        .into_iter()
        .map(|listener| {
            let access = match listener.access() {
                Some(own) => own.clone(),
                None => Arc::new(broker_access(&config, &listener)),
            };
            (listener, access)
        })
        .collect();
    let own_access = served.iter().filter_map(|(l, _)| l.access().cloned());
    let shared = Arc::new(Shared::new(
        config,
        router,
        own_access.collect(),
        notify.subscribe(),
    ));
    let guard = Shutdown::new(notify.subscribe(), complete);
    let store = persisted.map(|(store, restored)| {
        persist::start(store.clone(), restored, &shared, &guard);
        store
    });
    for (listener, access) in served {
        let max = access
            .limits
            .max_connections
            .unwrap_or(shared.config.max_connections);
        let door = Door::new(max, shared.config.max_pending_connections);
        let task = accept_loop(
            Arc::new(listener),
            access,
            shared.clone(),
            door,
            guard.child(),
        );
        tokio::spawn(task);
    }
    tokio::spawn(signal::watch(shared.connections.clone(), guard.child()));
    #[cfg(unix)]
    let parker = super::parking::start().map(|(parking, task)| {
        let _ = shared.parking.set(parking);
        task
    });
    if let Some(every) = shared.config.sys_interval {
        tokio::spawn(sys::publish_every(every, shared.clone(), guard.child()));
    }
    shutdown.await;
    shared.log(format_args!("mqtk serve shutting down"));
    drop(notify);
    drop(guard);
    let _ = all_done.recv().await;
    // No connection is parked once all are done.
    #[cfg(unix)]
    parker.inspect(tokio::task::JoinHandle::abort);
    // Every connection has closed: its will is published and its session detached.
    if let Some(store) = store {
        store.save_logged(&shared).await?;
    }
    Ok(())
}

/// The broker's security, for a `listener` without its own, with the listener's limits.
fn broker_access(config: &Config, listener: &Listener) -> Access {
    Access {
        allow_anonymous: config.allow_anonymous,
        allow_zero_length_clientid: config.limits.allow_zero_length_clientid,
        security: config.security.clone(),
        limits: listener.limits(),
        port: listener.local_addr().map_or(0, |addr| addr.port()),
        clients: listener.clients().clone(),
    }
}

/// Accepts on `listener` until shutdown; its connections get `access` and, while they last,
/// a place at its `door`.
async fn accept_loop(
    listener: Arc<Listener>,
    access: Arc<Access>,
    shared: Arc<Shared>,
    door: Arc<Door>,
    mut shutdown: Shutdown,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.recv() => return,
        };
        match accepted {
            Ok((socket, peer)) => {
                let ticket = match door.enter(peer) {
                    Some(Entry::Free(ticket)) => ticket,
                    Some(Entry::Evicted(ticket, oldest)) => {
                        shared.log_refusal(format_args!(
                            "Client {oldest} dropped before CONNECT: {} sockets pending, it was the oldest",
                            door.pending()
                        ));
                        ticket
                    }
                    None => {
                        shared.log_refusal(format_args!(
                            "Client connection from {} denied: max_connections exceeded.",
                            peer.ip()
                        ));
                        continue;
                    }
                };
                let _ = socket.set_nodelay(true);
                let (listener, access, shared, shutdown) = (
                    listener.clone(),
                    access.clone(),
                    shared.clone(),
                    shutdown.child(),
                );
                tokio::spawn(async move {
                    let client = Accepted {
                        peer,
                        access,
                        ticket,
                    };
                    open_and_serve(&listener, socket, client, shared, shutdown).await;
                });
            }
            Err(e) => {
                // Usually out of file descriptors: back off instead of spinning.
                shared.log(format_args!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// An accepted socket: where from, its listener's access rules and its place at the door.
pub struct Accepted {
    pub peer: SocketAddr,
    pub access: Arc<Access>,
    pub ticket: Ticket,
}

/// Completes the listener's TLS and WebSocket handshakes within the CONNECT timeout, then
/// serves the client under its listener's access rules.
async fn open_and_serve(
    listener: &Listener,
    socket: TcpStream,
    mut client: Accepted,
    shared: Arc<Shared>,
    shutdown: Shutdown,
) {
    let timeout = shared.config.connect_timeout;
    let peer = client.peer;
    // Boxed: the TLS/WebSocket handshake state is large and only lives until it completes.
    let opening = Box::pin(tokio::time::timeout(timeout, listener.open(socket)));
    let opened = tokio::select! {
        opened = opening => opened,
        () = client.ticket.evicted() => return,
    };
    match opened {
        Ok(Ok(opened)) => handler::serve(opened, client, shared, shutdown).await,
        Ok(Err(e)) => shared.log_refusal(format_args!(
            "Client {peer} failed the {} handshake: {e}",
            listener.kind()
        )),
        Err(_) => shared.log_refusal(format_args!(
            "Client {peer} did not finish the {} handshake in time",
            listener.kind()
        )),
    }
}
