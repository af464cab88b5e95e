//! Accept loops, the connection limit and graceful shutdown.

use super::config::Config;
use super::handler;
use super::router::Router;
use super::shutdown::Shutdown;
use super::stats::Stats;
use super::sys;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc, Semaphore};

/// Everything the connection tasks share.
pub struct Shared {
    pub config: Config,
    pub router: Router,
    pub stats: Arc<Stats>,
    next_id: AtomicU64,
}

impl Shared {
    /// A unique, non-zero id for a new connection.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Logs `line` to stderr when verbose, with mosquitto's Unix-time prefix.
    pub fn log(&self, line: std::fmt::Arguments<'_>) {
        if self.config.verbose {
            eprintln!("{}: {line}", chrono::Utc::now().timestamp());
        }
    }
}

/// Serves `listeners` until `shutdown` completes, then asks every connection to close and
/// waits for them.
pub async fn run(
    listeners: Vec<TcpListener>,
    config: Config,
    shutdown: impl Future,
) -> anyhow::Result<()> {
    let (notify, _) = broadcast::channel::<()>(1);
    let (complete, mut all_done) = mpsc::channel::<()>(1);
    let shared = Arc::new(Shared {
        router: Router::default(),
        stats: Arc::new(Stats::default()),
        next_id: AtomicU64::new(1),
        config,
    });
    let limit = Arc::new(Semaphore::new(shared.config.max_connections));
    let guard = Shutdown::new(notify.subscribe(), complete);
    for listener in listeners {
        let task = accept_loop(listener, shared.clone(), limit.clone(), guard.child());
        tokio::spawn(task);
    }
    if let Some(every) = shared.config.sys_interval {
        tokio::spawn(sys::publish_every(every, shared.clone(), guard.child()));
    }
    shutdown.await;
    shared.log(format_args!("mqtk serve shutting down"));
    drop(notify);
    drop(guard);
    let _ = all_done.recv().await;
    Ok(())
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    limit: Arc<Semaphore>,
    mut shutdown: Shutdown,
) {
    loop {
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => permit,
            () = shutdown.recv() => return,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.recv() => return,
        };
        match accepted {
            Ok((socket, peer)) => {
                let _ = socket.set_nodelay(true);
                let task = handler::serve(socket, peer, shared.clone(), shutdown.child());
                tokio::spawn(async move {
                    task.await;
                    drop(permit);
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
