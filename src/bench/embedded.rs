//! `--serve`: bench the broker of this same binary, started in-process, so a CI job or a
//! laptop needs no broker at all.

use crate::broker::{self, Config};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// Keeps the embedded broker running; dropping it shuts the broker down.
#[derive(Debug)]
pub struct Embedded {
    _stop: oneshot::Sender<()>,
}

/// Starts the embedded broker on a free loopback port; returns its address and the handle
/// that keeps it running.
pub async fn start_embedded() -> anyhow::Result<(SocketAddr, Embedded)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    // Bench connects thousands of clients and measures loss: no connection cap, and no
    // sys topics mixing into the figures.
    let config = Config {
        max_connections: 100_000,
        sys_interval: None,
        ..Config::default()
    };
    tokio::spawn(broker::run(vec![listener], config, async {
        let _ = stopped.await;
    }));
    Ok((addr, Embedded { _stop: stop }))
}
