//! `--serve`: bench (or check) the broker of this same binary, started in-process, so a CI
//! job or a laptop needs no broker at all; and the [`Target`] the broker options resolve to,
//! which is where `--serve` takes effect.

use super::args::BrokerArgs;
use crate::broker::{self, Config};
use crate::connect::Target;
use anyhow::Context as _;
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// Keeps the embedded broker running; dropping it shuts the broker down.
#[derive(Debug)]
pub struct Embedded {
    _stop: oneshot::Sender<()>,
}

/// The endpoint and CONNECT template of `broker`'s options, each client's window `inflight`;
/// with `--serve` the embedded broker starts first and they point at it, running while the
/// returned handle is kept.
pub async fn target(
    broker: &BrokerArgs,
    inflight: u16,
) -> anyhow::Result<(Target, Option<Embedded>)> {
    let mut args = broker.connect_args(inflight);
    let embedded = match broker.serve {
        true => {
            let (addr, handle) = start_embedded().await?;
            args.host = Some(addr.ip().to_string());
            args.port = Some(addr.port());
            args.url = None;
            args.unix = None;
            Some(handle)
        }
        false => None,
    };
    let version = broker.version();
    let props = args.properties(version).map_err(anyhow::Error::msg)?;
    let target = Target::new(&args, &props, version).context("broker options")?;
    Ok((target, embedded))
}

/// Starts the embedded broker on a free loopback port; returns its address and the handle
/// that keeps it running.
async fn start_embedded() -> anyhow::Result<(SocketAddr, Embedded)> {
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
