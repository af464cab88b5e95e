//! From connection options to a connected [`Client`]: the endpoint, the CONNECT packet and
//! the client id rules mosquitto's clients follow.

use crate::cli::ConnectArgs;
use crate::client::{Client, ClientError, Window};
use crate::codec::{Connect, QoS, Version, UNSUPPORTED_PROTOCOL_VERSION};
use crate::properties::CommandProperties;
use crate::retry::Backoff;
use crate::transport::{BoxedStream, Connector, Endpoint, TlsOptions};
use bytes::Bytes;
use std::future::Future;
use std::time::Duration;

/// Everything needed to (re)connect: built once, used for every attempt.
pub struct Target {
    connector: Connector,
    /// The CONNECT we send, client id and will included.
    pub connect: Connect,
    window: Window,
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
            window: window(args, version),
        })
    }

    /// Opens the stream and completes the MQTT handshake.
    pub async fn open(&self) -> Result<Client<BoxedStream>, ClientError> {
        self.open_with(&self.connect).await
    }

    /// Like [`Target::open`] with another CONNECT (bench: one client id per connection), so
    /// thousands of clients share one endpoint and its loaded TLS configuration.
    ///
    /// A broker that accepts the connection but sends no CONNACK within the keepalive
    /// interval fails it, as libmosquitto does (exit status 19), rather than hanging.
    pub async fn open_with(&self, connect: &Connect) -> Result<Client<BoxedStream>, ClientError> {
        let stream = self
            .connector
            .connect()
            .await
            .map_err(ClientError::Transport)?;
        let handshake = Client::connect(stream, connect, self.window);
        match connect.keep_alive {
            0 => handshake.await,
            secs => tokio::time::timeout(Duration::from_secs(secs.into()), handshake)
                .await
                .unwrap_or(Err(ClientError::KeepaliveTimeout)),
        }
    }
}

/// `-M N` is mosquitto's window of N messages. Without it, as many as the broker's receive
/// maximum allows, within [`Window::UNACKED_BYTES`]: a window of 20 costs `pub -l` a round
/// trip per 20 lines. MQTT 3.1.1 has no receive maximum, but mosquitto closes the connection
/// of a 3.1.1 client with more QoS 2 messages awaiting PUBREL than its `max_inflight_messages`
/// (20 by default), so QoS 2 keeps mosquitto_pub's 20 there.
fn window(args: &ConnectArgs, version: Version) -> Window {
    match args.max_inflight {
        Some(count) => Window::count(count.into()),
        None if args.qos == QoS::ExactlyOnce && !version.is_v5() => Window::count(20),
        None => Window::receive_maximum(),
    }
}

fn endpoint(args: &ConnectArgs) -> Endpoint {
    let tls = args.tls().then(|| TlsOptions {
        cafile: args.tls.cafile.clone(),
        capath: args.tls.capath.clone(),
        cert: args.tls.cert.clone(),
        key: args.tls.key.clone(),
        insecure: args.tls.insecure,
        version: args.tls.tls_version,
        alpn: args.tls.tls_alpn.clone(),
        os_certs: args.tls_os_certs(),
        keylog: args.tls.tls_keylog.clone(),
    });
    Endpoint {
        host: args.host().to_string(),
        port: args.port(),
        unix: args.unix.clone(),
        bind: args.bind_address.clone(),
        nodelay: args.nodelay,
        tls,
        websocket: args.websocket_path().map(String::from),
    }
}

/// The client id: `-i` or `-I`, else empty so the broker assigns one, as mosquitto 2.0's
/// clients do for 3.1.1 and 5 alike (a persistent session needs `-i`, the CLI checks that).
/// MQTT 3.1 has no assigned ids: like libmosquitto, send `mosq-` and 18 random letters and
/// digits (23 characters, 3.1's longest id).
fn client_id(args: &ConnectArgs, version: Version) -> String {
    match (args.client_id(), version) {
        (Some(id), _) => id,
        (None, Version::V31) => {
            let random: String = std::iter::repeat_with(fastrand::alphanumeric)
                .take(18)
                .collect();
            format!("mosq-{random}")
        }
        (None, _) => String::new(),
    }
}

fn connect_packet(args: &ConnectArgs, props: &CommandProperties, version: Version) -> Connect {
    Connect {
        version,
        client_id: client_id(args, version),
        clean_start: !args.disable_clean_session,
        keep_alive: args.keepalive,
        username: args.username().map(String::from),
        password: args
            .password()
            .map(|p| Bytes::copy_from_slice(p.as_bytes())),
        will: args.will(props),
        properties: props.connect.clone(),
    }
}

/// mosquitto's clients wait this long after a lost connection, and between attempts.
pub const RECONNECT_PERIOD: Duration = Duration::from_secs(1);

/// After a lost connection: connects again every [`RECONNECT_PERIOD`] until the broker
/// answers, printing each failure to connect (not with `--quiet`); a connection closed before
/// its CONNACK goes unmentioned, as in mosquitto_sub. A refusal (CONNACK error) ends it:
/// retrying the same credentials cannot help. Cancel-safe between attempts.
pub async fn reconnect<S, F>(connect: &mut F, quiet: bool) -> Result<Client<S>, ClientError>
where
    F: AsyncFnMut() -> Result<Client<S>, ClientError>,
{
    let mut period = Backoff::fixed(RECONNECT_PERIOD);
    loop {
        period.wait(None).await;
        match connect().await {
            Err(e @ ClientError::Refused { .. }) => return Err(e),
            Err(ClientError::Io(_)) => {}
            // As for a first attempt: "Error: Connection refused".
            Err(e) if !quiet => eprintln!("{e}"),
            Err(_) => {}
            Ok(client) => return Ok(client),
        }
    }
}

/// mosquitto's exit status for a failed session.
pub fn exit_code(e: &ClientError) -> i32 {
    match e {
        ClientError::Transport(_) | ClientError::Input(_) => 1,
        ClientError::Refused { code, .. } => i32::from(*code),
        ClientError::KeepaliveTimeout => 19,
        ClientError::Protocol(_) => 2,
        ClientError::Io(_) | ClientError::Disconnected(_) => 7,
    }
}

/// The client tool a session belongs to, where mosquitto's three word their errors apart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Pub,
    Sub,
    Rr,
}

/// Prints a failed session the way mosquitto's clients do (unless `--quiet`) and returns the
/// exit status.
pub fn report(e: &ClientError, quiet: bool, tool: Tool) -> i32 {
    if !quiet {
        match (e, tool) {
            (&ClientError::Refused { code, mqtt5: true }, Tool::Rr)
                if code == UNSUPPORTED_PROTOCOL_VERSION =>
            {
                let text = crate::client::reason_text(code);
                eprintln!("Connection error: {text}. mosquitto_rr only supports connecting to an MQTT v5 broker");
            }
            (ClientError::Io(io), _) if lost(io) => eprintln!("Error: The connection was lost."),
            _ => eprintln!("{e}"),
        }
        // mosquitto_pub also reports the error its network loop ended with.
        if let (ClientError::Refused { mqtt5, .. }, Tool::Pub) = (e, tool) {
            let loop_error = match mqtt5 {
                true => "A network protocol error occurred when communicating with the broker.",
                false => "The connection was refused.",
            };
            eprintln!("Error: {loop_error}");
        }
    }
    exit_code(e)
}

/// True for the ways a broker ends a connection, which libmosquitto reports as one error.
pub fn lost(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionReset | ConnectionAborted | UnexpectedEof | BrokenPipe
    )
}

/// The clients run one task on one thread: no work to spread, and nothing to synchronise.
/// The runtime is not waited for: a stdin read still blocked in its thread must not keep
/// `pub -l` from exiting once the session has ended.
pub fn block_on<F: Future>(future: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let output = runtime.block_on(future);
    runtime.shutdown_background();
    Ok(output)
}

/// Resolves the common part of every client subcommand: properties, then the target.
pub fn prepare(
    args: &ConnectArgs,
    version: Version,
    tool: Tool,
) -> Result<(CommandProperties, Target), i32> {
    crate::client::set_debug(args.debug);
    let props = args.properties(version).map_err(|e| {
        eprintln!("{e}");
        1
    })?;
    let mut target = Target::new(args, &props, version).map_err(|e| {
        eprintln!("Error: {e}");
        1
    })?;
    // libmosquitto announces its receive maximum after the -D properties: 20, and 1 for
    // mosquitto_rr, which waits for a single answer.
    let properties = &mut target.connect.properties;
    if version.is_v5() && properties.receive_maximum.is_none() {
        properties.receive_maximum = Some(if tool == Tool::Rr { 1 } else { 20 });
        properties.order.0.push(0x21);
    }
    Ok((props, target))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{self, Command};

    fn window_of(line: &str) -> Window {
        let args = line.split(' ').map(std::ffi::OsString::from).collect();
        match cli::parse_from(args).map(|c| c.command) {
            Ok(Command::Pub(p)) => window(&p.connect, p.version()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn without_m_the_window_follows_the_broker() {
        assert_eq!(window_of("mqtk pub -t a -l -M 7"), Window::count(7));
        assert_eq!(window_of("mqtk pub -t a -l -q 2 -M 7"), Window::count(7));
        assert_eq!(
            window_of("mqtk pub -t a -l -q 1"),
            Window::receive_maximum()
        );
        assert_eq!(
            window_of("mqtk pub -t a -l -q 2 -V 5"),
            Window::receive_maximum()
        );
        assert_eq!(window_of("mqtk pub -t a -l -q 2"), Window::count(20));
        assert_eq!(window_of("mqtk pub -t a -l -q 2 -V 31"), Window::count(20));
    }
}
