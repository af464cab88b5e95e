//! `mqtk serve`: an MQTT 3.1, 3.1.1 and 5 broker on one listener, as a library.
//!
//! Shaped like mini-redis: [`run`] serves already-bound listeners until a future completes,
//! so tests and `bench` embed the broker on port 0; [`serve`] is the command-line entry
//! point. Inside, one task per connection (`handler`) owns its socket; a shared `router`
//! holds sessions, the subscription trie and retained messages behind a short-held std
//! mutex; messages reach other connections through their session's bounded queue, with the
//! payload shared (`Bytes`) rather than copied per subscriber. The packet model is the
//! crate's version-neutral `codec`, so v4/v5 differences stay at the edges.
//!
//! State is in memory only: sessions, queued messages and retained messages do not survive
//! a restart.

mod acl;
mod auth;
mod authorize;
mod config;
mod handler;
mod handshake;
mod lifecycle;
mod message;
pub mod passwd;
mod retained;
mod router;
mod security;
mod server;
mod session;
mod shutdown;
mod stats;
mod sys;
mod tree;

pub use auth::{Authenticator, Credentials};
pub use config::{Config, FileConfig, ServeArgs};
pub use security::Security;
pub use server::run;

use anyhow::Context;
use std::io::Write;
use tokio::net::TcpListener;

/// Entry point of `mqtk serve`: binds every listener, prints one line per listener
/// (`mqtk serve listening on 127.0.0.1:PORT`, the first line is the readiness signal),
/// then serves until SIGINT or SIGTERM.
pub async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::from_args(args)?;
    let mut listeners = Vec::with_capacity(config.listeners.len());
    for addr in &config.listeners {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        listeners.push(listener);
    }
    let mut out = std::io::stdout().lock();
    for listener in &listeners {
        writeln!(out, "mqtk serve listening on {}", listener.local_addr()?)?;
    }
    out.flush()?;
    drop(out);
    #[cfg(unix)]
    tokio::spawn(security::reload_on_hangup(
        config.security.clone(),
        config.verbose,
    ));
    run(listeners, config, terminated()).await
}

/// Completes on SIGINT or SIGTERM.
async fn terminated() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
