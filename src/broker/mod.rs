//! `mqtk serve`: an MQTT 3.1, 3.1.1 and 5 broker over TCP, TLS and WebSocket, as a library.
//!
//! Shaped like mini-redis: [`run`] (plain TCP) and [`run_listeners`] (TCP, TLS, WebSocket)
//! serve already-bound listeners until a future completes, so tests and `bench` embed the
//! broker on port 0; [`serve`] is the command-line entry point. Inside, one task per
//! connection (`handler`) owns its stream while the client is active (an idle plain-TCP one
//! waits in `parking`, without a task); a shared `router` holds sessions, the
//! subscription trie and retained messages behind a short-held std mutex; messages reach
//! other connections through their session's bounded queue, with the payload shared
//! (`Bytes`) rather than copied per subscriber. The packet model is the crate's
//! version-neutral `codec`, so v4/v5 differences stay at the edges.
//!
//! State is in memory unless `serve` is asked to persist it (`--persist`, or `persistence`
//! in a configuration file): then `persist` snapshots retained messages and persistent
//! sessions to a file and restores them at start-up. [`run`] and [`run_listeners`] never
//! persist.

pub(crate) mod acl;
mod auth;
mod authorize;
mod config;
mod door;
mod handler;
mod handshake;
mod identity;
mod lifecycle;
mod limits;
mod listener;
mod listener_keys;
pub(crate) mod memory;
mod message;
mod mount;
#[cfg(unix)]
mod parking;
mod persist;
mod retained;
mod router;
mod security;
mod server;
mod session;
mod shutdown;
mod signal;
mod stats;
mod sys;
mod tls;
mod tree;
mod upgrade;

pub use auth::{Authenticator, Credentials};
pub use config::{Config, FileConfig, ServeArgs};
pub use limits::{Limits, ListenerLimits};
pub use listener::{ClientRules, Listener, ListenerConfig, ListenerKind};
pub use persist::{Autosave, Persistence};
pub use security::{Access, ListenerSecurity, Security};
pub use server::{run, run_listeners};
pub use tls::{MinVersion, TlsSettings};

use std::io::Write;

/// Entry point of `mqtk serve`: binds every listener, prints one line per listener
/// (`mqtk serve listening on 127.0.0.1:PORT`, with ` (mqtts)`, ` (ws)` or ` (wss)` after
/// other kinds; the first line is the readiness signal and, when there is one, a plain MQTT
/// listener), then serves until SIGINT or SIGTERM.
pub async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let config = Config::from_args(args)?;
    // Before listening: a file that cannot be read or written stops the broker here.
    let persisted = match &config.persistence {
        Some(settings) => Some(persist::Store::open(settings, &config)?),
        None => None,
    };
    let mut listeners = Vec::with_capacity(config.listeners.len());
    for listener in &config.listeners {
        listeners.push(Listener::bind(listener).await?);
    }
    // Signals are caught from before the readiness line: a SIGTERM or SIGHUP sent as soon as
    // it is read must not meet the default action, which ends the process unsaved.
    let terminated = terminated()?;
    #[cfg(unix)]
    {
        let own = listeners.iter().filter_map(Listener::access);
        let securities = own.map(|a| a.security.clone());
        let all = std::iter::once(config.security.clone()).chain(securities);
        tokio::spawn(security::reload_on_hangup(all.collect(), config.verbose)?);
    }
    announce(&listeners)?;
    server::serve_from(listeners, config, persisted, terminated).await
}

/// Prints one line per listener. A reader that goes away early (`mqtk serve | head -1`) does
/// not stop the broker: write errors on stdout are ignored.
fn announce(listeners: &[Listener]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    for listener in listeners {
        let suffix = match listener.kind() {
            ListenerKind::Mqtt => String::new(),
            kind => format!(" ({kind})"),
        };
        let addr = listener.local_addr()?;
        let _ = writeln!(out, "mqtk serve listening on {addr}{suffix}");
    }
    let _ = out.flush();
    Ok(())
}

/// A future that completes on SIGINT or SIGTERM, both caught from now on.
#[cfg(unix)]
fn terminated() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
fn terminated() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}
