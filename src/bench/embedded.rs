//! `--serve`: bench a broker started inside this process, so a CI job needs no broker.
//!
//! The embedded broker lives on another branch; [`start_embedded`] is the one place that
//! starts it, and the rest of bench only needs the address it listens on.

use std::net::SocketAddr;

/// Keeps the embedded broker running while it is alive.
#[derive(Debug)]
pub struct Embedded {
    _private: (),
}

/// Starts the embedded broker on a free loopback port; returns its address and the handle
/// that keeps it running.
pub async fn start_embedded() -> anyhow::Result<(SocketAddr, Embedded)> {
    anyhow::bail!("--serve needs the embedded broker, which this build of mqtk does not include")
}
