//! Listeners of every kind: plain MQTT, MQTT over TLS, over WebSocket, over both.
//!
//! Accepting only takes the TCP socket; [`Listener::open`] then runs the TLS handshake and
//! the WebSocket upgrade inside the connection's own task, so a slow peer never holds up
//! the accept loop.

use super::identity;
use super::limits::ListenerLimits;
use super::security::{Access, ListenerSecurity};
use super::tls::TlsSettings;
use super::upgrade;
use crate::transport::{BoxedStream, WsStream};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};

/// The protocol stack of a listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ListenerKind {
    Mqtt,
    Mqtts,
    Ws,
    Wss,
}

impl ListenerKind {
    fn websocket(self) -> bool {
        matches!(self, ListenerKind::Ws | ListenerKind::Wss)
    }
}

impl fmt::Display for ListenerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ListenerKind::Mqtt => "mqtt",
            ListenerKind::Mqtts => "mqtts",
            ListenerKind::Ws => "ws",
            ListenerKind::Wss => "wss",
        })
    }
}

/// A listener to bind: its address, its protocol stack, for `mqtts`/`wss` its TLS files, its
/// [`ListenerLimits`] and, with `per_listener_settings true`, its own security (else the
/// broker's applies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerConfig {
    pub addr: SocketAddr,
    pub kind: ListenerKind,
    pub tls: Option<TlsSettings>,
    pub limits: ListenerLimits,
    pub clients: ClientRules,
    pub security: Option<ListenerSecurity>,
}

/// What a listener does to its clients' identity and topics, whatever its security:
/// `use_username_as_clientid` and `mount_point`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientRules {
    /// A client's username (or certificate CN) becomes its client id.
    pub use_username_as_clientid: bool,
    /// The prefix of its clients' topics (see `mount`).
    pub mount_point: Option<Box<str>>,
}

impl ListenerConfig {
    /// A plain MQTT listener on `addr`.
    pub fn tcp(addr: SocketAddr) -> ListenerConfig {
        ListenerConfig {
            addr,
            kind: ListenerKind::Mqtt,
            tls: None,
            limits: ListenerLimits::default(),
            clients: ClientRules::default(),
            security: None,
        }
    }
}

/// A bound listener with its TLS configuration loaded.
pub struct Listener {
    tcp: TcpListener,
    kind: ListenerKind,
    tls: Option<TlsAcceptor>,
    /// The client certificate's CN becomes the username.
    use_identity: bool,
    /// Its own security; `None`: the broker's.
    access: Option<Arc<Access>>,
    limits: ListenerLimits,
    clients: ClientRules,
}

/// A connection ready for MQTT: the byte stream, and the certificate CN to use as the
/// username when the listener says so.
pub struct Ready {
    pub stream: BoxedStream,
    pub identity: Option<String>,
}

impl Listener {
    /// Binds `config.addr` and loads its certificates, password and ACL files; any failure
    /// is an error before the broker serves anyone.
    pub async fn bind(config: &ListenerConfig) -> anyhow::Result<Listener> {
        let tls = config.tls.as_ref().map(TlsSettings::server_config);
        let tls = tls.transpose()?.map(TlsAcceptor::from);
        let use_identity = config
            .tls
            .as_ref()
            .is_some_and(|t| t.use_identity_as_username);
        let tcp = TcpListener::bind(config.addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
        // The bound port: `config.addr` may ask for any free one.
        let port = tcp.local_addr()?.port();
        let access = config.security.as_ref().map(|s| s.load(config, port));
        let access = access.transpose()?.map(Arc::new);
        Ok(Listener {
            tcp,
            kind: config.kind,
            tls,
            use_identity,
            access,
            limits: config.limits,
            clients: config.clients.clone(),
        })
    }

    /// A plain MQTT listener on an already-bound socket.
    pub fn plain(tcp: TcpListener) -> Listener {
        Listener {
            tcp,
            kind: ListenerKind::Mqtt,
            tls: None,
            use_identity: false,
            access: None,
            limits: ListenerLimits::default(),
            clients: ClientRules::default(),
        }
    }

    /// The protocol stack, for logs and the readiness lines.
    pub fn kind(&self) -> ListenerKind {
        self.kind
    }

    /// The listener's own security, if it has one.
    pub fn access(&self) -> Option<&Arc<Access>> {
        self.access.as_ref()
    }

    /// What it does to its clients' identity and topics.
    pub fn clients(&self) -> &ClientRules {
        &self.clients
    }

    /// Its `max_connections`, `max_qos` and `max_topic_alias`.
    pub fn limits(&self) -> ListenerLimits {
        self.limits
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// The next TCP connection, not yet opened.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.tcp.accept().await
    }

    /// Runs the TLS handshake and the WebSocket upgrade this listener needs on `socket`.
    pub async fn open(&self, socket: TcpStream) -> io::Result<Ready> {
        let mut stream: BoxedStream = Box::new(socket);
        let mut identity = None;
        if let Some(acceptor) = &self.tls {
            let tls = acceptor.accept(stream).await?;
            if self.use_identity {
                identity = Some(peer_common_name(&tls)?);
            }
            stream = Box::new(tls);
        }
        if self.kind.websocket() {
            stream = upgrade::bounded_head(stream).await?;
            let ws = tokio_tungstenite::accept_hdr_async(stream, choose_subprotocol)
                .await
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            stream = Box::new(WsStream::new(ws));
        }
        Ok(Ready { stream, identity })
    }
}

/// The CN of the verified client certificate; a client without one cannot connect, as
/// with mosquitto, since it would have no username.
fn peer_common_name(tls: &tokio_rustls::server::TlsStream<BoxedStream>) -> io::Result<String> {
    let (_, session) = tls.get_ref();
    session
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|cert| identity::common_name(cert))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::PermissionDenied,
                "client certificate without a common name",
            )
        })
}

/// The subprotocols MQTT clients offer: `mqtt` (3.1.1 and 5), `mqttv3.1` (3.1).
const SUBPROTOCOLS: &[&str] = &["mqtt", "mqttv3.1"];

/// Accepts the upgrade on `/mqtt` or `/` and echoes the MQTT subprotocol the client offers (browsers drop a connection whose offered subprotocol is not echoed).
// The signature is tungstenite's `Callback`.
#[allow(clippy::result_large_err)]
fn choose_subprotocol(
    request: &Request,
    mut response: Response,
) -> Result<Response, ErrorResponse> {
    if !matches!(request.uri().path(), "/mqtt" | "/") {
        let mut refusal = ErrorResponse::new(Some("MQTT is served on /mqtt".into()));
        *refusal.status_mut() = StatusCode::NOT_FOUND;
        return Err(refusal);
    }
    let offered = request
        .headers()
        .get_all("Sec-WebSocket-Protocol")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .find(|protocol| SUBPROTOCOLS.contains(protocol));
    if let Some(protocol) = offered.and_then(|p| HeaderValue::from_str(p).ok()) {
        response
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", protocol);
    }
    Ok(response)
}
