//! From connection options to a connected [`Client`]: the endpoint, the CONNECT packet and
//! the client id rules mosquitto's clients follow.

use crate::cli::ConnectArgs;
use crate::client::{Client, ClientError};
use crate::codec::{Connect, Properties, Version, Will};
use crate::properties::CommandProperties;
use crate::transport::{BoxedStream, Connector, Endpoint, TlsOptions};
use bytes::Bytes;

/// Everything needed to (re)connect: built once, used for every attempt.
pub struct Target {
    connector: Connector,
    /// The CONNECT we send, client id and will included.
    pub connect: Connect,
    max_inflight: usize,
}

impl Target {
    /// Resolves `args` (after validation) into an endpoint and a CONNECT packet.
    /// `version` is the protocol level the subcommand settled on.
    pub fn new(
        args: &ConnectArgs,
        props: &CommandProperties,
        version: Version,
    ) -> anyhow::Result<Target> {
        let connector = Connector::new(endpoint(args))?;
        Ok(Target {
            connector,
            connect: connect_packet(args, props, version),
            max_inflight: args.max_inflight.into(),
        })
    }

    /// Opens the stream and completes the MQTT handshake.
    pub async fn open(&self) -> Result<Client<BoxedStream>, ClientError> {
        let stream = self
            .connector
            .connect()
            .await
            .map_err(|e| ClientError::Io(std::io::Error::other(e.to_string())))?;
        Client::connect(stream, &self.connect, self.max_inflight).await
    }
}

/// TLS is on when any certificate option or `mqtts://` asks for it, and on port 8883
/// without options it trusts the OS store, as mosquitto does.
fn endpoint(args: &ConnectArgs) -> Endpoint {
    let url = args.url.as_ref();
    let explicit_tls = args.cafile.is_some() || args.capath.is_some() || args.tls_use_os_certs;
    let url_tls = url.is_some_and(|u| u.tls);
    let default_port = if explicit_tls || url_tls { 8883 } else { 1883 };
    let port = args.port.or(url.map(|u| u.port)).unwrap_or(default_port);
    let tls = (explicit_tls || url_tls || port == 8883).then(|| TlsOptions {
        cafile: args.cafile.clone(),
        capath: args.capath.clone(),
        cert: args.cert.clone(),
        key: args.key.clone(),
        insecure: args.insecure,
        version: args.tls_version,
        alpn: args.tls_alpn.clone(),
        os_certs: args.tls_use_os_certs || (args.cafile.is_none() && args.capath.is_none()),
    });
    Endpoint {
        host: url
            .map(|u| u.host.clone())
            .or(args.host.clone())
            .unwrap_or_else(|| "localhost".into()),
        port,
        unix: args.unix.clone(),
        bind: args.bind_address.clone(),
        nodelay: args.nodelay,
        tls,
    }
}

/// The client id: `-i`, else `-I` + pid, else a random `mqtk-` id for MQTT 3 and an empty
/// one for MQTT 5 so the broker assigns it (as mosquitto does).
fn client_id(args: &ConnectArgs, version: Version) -> String {
    if let Some(id) = &args.id {
        return id.clone();
    }
    if let Some(prefix) = &args.id_prefix {
        return format!("{prefix}{}", std::process::id());
    }
    if version.is_v5() {
        return String::new();
    }
    let suffix: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(18)
        .collect();
    format!("mqtk-{suffix}")
}

fn connect_packet(args: &ConnectArgs, props: &CommandProperties, version: Version) -> Connect {
    let url = args.url.as_ref();
    let mut properties = props.connect.clone();
    if version.is_v5() {
        properties.session_expiry_interval = args.session_expiry.or(properties.session_expiry_interval);
    }
    Connect {
        version,
        client_id: client_id(args, version),
        clean_start: !args.disable_clean_session,
        keep_alive: args.keepalive,
        username: args.username.clone().or(url.and_then(|u| u.username.clone())),
        password: args
            .password
            .clone()
            .or(url.and_then(|u| u.password.clone()))
            .map(Bytes::from),
        will: will(args, &props.will),
        properties,
    }
}

fn will(args: &ConnectArgs, properties: &Properties) -> Option<Will> {
    let topic = args.will_topic.clone()?;
    let payload = args
        .will_payload
        .as_ref()
        .map(|p| Bytes::from(p.as_encoded_bytes().to_vec()))
        .unwrap_or_default();
    Some(Will {
        topic,
        payload,
        qos: args.will_qos,
        retain: args.will_retain,
        properties: properties.clone(),
    })
}

/// mosquitto's exit status for a failed session.
pub fn exit_code(e: &ClientError) -> i32 {
    match e {
        ClientError::Refused(code) => i32::from(*code),
        ClientError::KeepaliveTimeout => 19,
        ClientError::Protocol(_) => 2,
        ClientError::Io(_) | ClientError::Disconnected(_) => 7,
    }
}

