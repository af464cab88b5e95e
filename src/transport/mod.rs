//! The byte stream to the broker: TCP or a unix socket, optionally inside TLS, optionally
//! carrying a WebSocket.
//!
//! The MQTT session runs on whatever [`BoxedStream`] this returns, so it never needs to know
//! which transport mosquitto's options selected.

mod error;
pub(crate) mod pem;
mod tcp;
mod tls;
mod verifier;
mod ws;

pub(crate) use ws::WsStream;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};

use error::os_text;
pub use error::ConnectError;
pub use tls::{TlsOptions, TlsVersion};

/// Any bidirectional byte stream a session can run on; `Any`, so the broker can tell a plain
/// TCP socket (whose idle connections it parks, see `broker::parking`) from the others.
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send + std::any::Any {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> AsyncStream for T {}

/// An open connection to the broker.
pub type BoxedStream = Box<dyn AsyncStream>;

/// Where and how to connect, filled in from the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// `-h`: host name or IP address (IPv6 without brackets); also the TLS server name.
    pub host: String,
    /// `-p`.
    pub port: u16,
    /// `--unix`: connect to this socket instead of `host`/`port`.
    pub unix: Option<PathBuf>,
    /// `-A`: local address or host name to connect from.
    pub bind: Option<String>,
    /// `--nodelay`: disable Nagle's algorithm.
    pub nodelay: bool,
    /// TLS on top of the socket, when any TLS option (or `mqtts://`, or port 8883) asks for it.
    pub tls: Option<TlsOptions>,
    /// MQTT over WebSocket (`ws://`, `wss://`): the HTTP path to upgrade, usually `/mqtt`.
    pub websocket: Option<String>,
}

/// An [`Endpoint`] with its TLS files already loaded, so that reconnecting reads nothing again
/// and bad TLS options fail before the first connection attempt.
#[derive(Debug)]
pub struct Connector {
    endpoint: Endpoint,
    tls: Option<Arc<ClientConfig>>,
}

impl Connector {
    /// Loads and checks the TLS options, if any.
    pub fn new(endpoint: Endpoint) -> Result<Self, ConnectError> {
        let tls = endpoint.tls.as_ref().map(tls::client_config).transpose()?;
        Ok(Connector { endpoint, tls })
    }

    /// Opens a new connection, completing the TLS and WebSocket handshakes that are on.
    pub async fn connect(&self) -> Result<BoxedStream, ConnectError> {
        let e = &self.endpoint;
        let mut stream = self.open_socket().await?;
        if let Some(config) = &self.tls {
            stream = Box::new(tls::handshake(config.clone(), &e.host, stream).await?);
        }
        if let Some(path) = &e.websocket {
            let tls = self.tls.is_some();
            stream = Box::new(ws::handshake(stream, &e.host, e.port, path, tls).await?);
        }
        Ok(stream)
    }

    async fn open_socket(&self) -> Result<BoxedStream, ConnectError> {
        let e = &self.endpoint;
        match &e.unix {
            Some(path) => connect_unix(path).await,
            None => Ok(Box::new(
                tcp::connect(&e.host, e.port, e.bind.as_deref(), e.nodelay).await?,
            )),
        }
    }
}

#[cfg(unix)]
async fn connect_unix(path: &Path) -> Result<BoxedStream, ConnectError> {
    let stream = tokio::net::UnixStream::connect(path)
        .await
        .map_err(ConnectError::Io)?;
    Ok(Box::new(stream))
}

#[cfg(not(unix))]
async fn connect_unix(_: &Path) -> Result<BoxedStream, ConnectError> {
    Err(ConnectError::Config(
        "Unix sockets are not supported on this platform.".into(),
    ))
}
