//! Broker settings: defaults like mosquitto 2.0 without a configuration file, the `mqtk serve`
//! command line ([`serve_args`]) and the subset of `mosquitto.conf` we understand
//! ([`conf_file`]), merged into the [`Config`] the broker runs with.

use super::auth::Authenticator;
use super::limits::Limits;
use super::listener::{ListenerConfig, ListenerKind};
use super::listener_keys::SecurityKeys;
use super::persist::Persistence;
use super::security::{ListenerSecurity, Security};
use super::tls::{MinVersion, TlsSettings};
use anyhow::{anyhow, bail, Context};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

mod conf_file;
mod serve_args;

pub use conf_file::FileConfig;
pub(super) use conf_file::{non_empty, one_value, parse_bool};
pub use serve_args::ServeArgs;

/// How the broker runs.
#[derive(Clone)]
pub struct Config {
    /// Listeners `serve` binds, plain MQTT first (`run` takes bound listeners instead).
    pub listeners: Vec<ListenerConfig>,
    /// Accept clients that send no username (on listeners without security of their own).
    pub allow_anonymous: bool,
    /// Log connections, subscriptions and errors to stderr.
    pub verbose: bool,
    /// Checks credentials; `None` accepts everyone `allow_anonymous` lets through.
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// Password and ACL files of listeners without their own, shared with the SIGHUP reload.
    pub security: Arc<Security>,
    /// Concurrent connections per listener, for listeners without their own
    /// `max_connections`; further ones are closed as soon as they are accepted.
    pub max_connections: usize,
    /// Messages queued per session beyond those in flight (0: no limit); see `Session::enqueue`.
    pub max_queued_messages: usize,
    /// QoS 1/2 messages in flight to one client (also capped by its receive maximum).
    pub max_inflight: u16,
    /// QoS 2 messages a client may have unreleased at once (MQTT 5 receive maximum).
    pub receive_maximum: u16,
    /// Largest packet accepted from a client.
    pub max_packet_size: u32,
    /// Longest keepalive granted to an MQTT 5 client (server keep alive).
    pub max_keepalive: u16,
    /// How long a new connection may take to send CONNECT.
    pub connect_timeout: Duration,
    /// Sockets per listener that may wait for their CONNECT at once; a new one takes the
    /// place of the oldest (see `door`).
    pub max_pending_connections: usize,
    /// Largest CONNECT accepted, read before the client is authenticated.
    pub max_connect_size: u32,
    /// How often `$SYS` topics are published; `None` turns them off.
    pub sys_interval: Option<Duration>,
    /// Byte limits, retain, QoS and client-id policies.
    pub limits: Limits,
    /// Where `serve` keeps its state; `run` and `run_listeners` ignore it.
    pub persistence: Option<Persistence>,
    /// Seconds a session that would never expire is kept after its client left.
    pub persistent_client_expiration: Option<u32>,
}

impl Default for Config {
    /// mosquitto 2.0 without a configuration file: loopback port 1883, anonymous allowed.
    fn default() -> Self {
        Config {
            listeners: vec![ListenerConfig::tcp(SocketAddr::new(
                Ipv4Addr::LOCALHOST.into(),
                1883,
            ))],
            allow_anonymous: true,
            verbose: false,
            authenticator: None,
            security: Arc::default(),
            max_connections: 10_000,
            max_queued_messages: 1000,
            // mosquitto's max_inflight_messages default, which its CONNACK announces.
            max_inflight: 20,
            receive_maximum: 20,
            max_packet_size: crate::connection::MAX_PACKET as u32,
            max_keepalive: 65535,
            connect_timeout: Duration::from_secs(5),
            max_pending_connections: 1000,
            max_connect_size: 100 * 1024,
            sys_interval: Some(Duration::from_secs(10)),
            limits: Limits::default(),
            persistence: None,
            persistent_client_expiration: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listeners", &self.listeners)
            .field("allow_anonymous", &self.allow_anonymous)
            .field("authenticator", &self.authenticator.is_some())
            .field("max_queued_messages", &self.max_queued_messages)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}
/// `host:port` to a socket address; host names go through the resolver.
fn resolve(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {host}"))?
        .next()
        .ok_or_else(|| anyhow!("{host} has no address"))
}

impl Config {
    /// The configuration `mqtk serve` runs with: the file (if any), then the command line.
    ///
    /// Like mosquitto 2.0: without any listener the broker binds loopback only and allows
    /// anonymous clients; once a file defines a listener, or a password file is given,
    /// anonymous access is off unless `allow_anonymous true` says otherwise. `--port`/`--bind`
    /// set the default listener. The password and ACL files are loaded here (with
    /// `per_listener_settings true`, when each listener is bound), so a bad one stops the
    /// broker before it serves anyone.
    pub fn from_args(args: &ServeArgs) -> anyhow::Result<Config> {
        let mut file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        file.warnings.extend(file.unused_default_keys(args));
        for warning in &file.warnings {
            eprintln!("mqtk serve: {warning}");
        }
        Config::resolve(file, args)
    }

    fn resolve(file: FileConfig, args: &ServeArgs) -> anyhow::Result<Config> {
        let (mut listeners, no_listener) = all_listeners(&file, args)?;
        // Plain MQTT first: its address is the first line `serve` prints.
        listeners.sort_by_key(|l| l.kind);
        let global = with_flags(&file.security, args);
        let anonymous = global.password_file.is_none() && (no_listener || args.config.is_none());
        let security = match file.per_listener_settings {
            true => Security::default(),
            false => Security::load(global.password_file, global.acl_file)?,
        };
        let mut config = Config {
            listeners,
            allow_anonymous: global.allow_anonymous.unwrap_or(anonymous),
            persistence: file.persistence.resolve(args.persist.as_deref()),
            persistent_client_expiration: file.persistence.client_expiration(),
            security: Arc::new(security),
            ..Config::default()
        };
        for setting in file.settings {
            setting.apply(&mut config);
        }
        config.verbose |= args.verbose;
        Ok(config)
    }
}

/// The file's listeners, the default listener (when there is a port for it, or no listener
/// at all) and the command line's, each with its own security when `per_listener_settings`
/// says so; and whether neither file nor `--port` named a listener.
fn all_listeners(
    file: &FileConfig,
    args: &ServeArgs,
) -> anyhow::Result<(Vec<ListenerConfig>, bool)> {
    let mut listeners = Vec::with_capacity(file.listeners.len() + 4);
    for (addr, keys) in &file.listeners {
        let mut listener = keys.listener(*addr)?;
        listener.security = own_security(file, &keys.security, args, false);
        listeners.push(listener);
    }
    let port = args.port.or(file.port);
    let bind = args.bind.clone().or(file.bind_address.clone());
    let no_listener = listeners.is_empty() && port.is_none();
    let cli_only = no_listener && (args.tls_port, args.ws_port, args.wss_port) != NONE;
    // The default listener and the command line's take the keys before any listener line.
    let default_security = own_security(file, &file.default_listener.security, args, no_listener);
    if port.is_some() || (no_listener && !cli_only) {
        let default_host = if file.port.is_some() && args.port.is_none() {
            "0.0.0.0"
        } else {
            "127.0.0.1"
        };
        let host = bind.as_deref().unwrap_or(default_host);
        let addr = resolve(host, port.unwrap_or(1883))?;
        let mut listener = file.default_listener.listener(addr)?;
        listener.security = default_security.clone();
        listeners.insert(0, listener);
    }
    for mut listener in cli_listeners(args, bind.as_deref().unwrap_or("127.0.0.1"))? {
        listener.limits = file.default_listener.limits;
        listener.security = default_security.clone();
        listeners.push(listener);
    }
    Ok((listeners, no_listener))
}

/// With `per_listener_settings true`, a listener's own security: its `keys`, overridden by
/// the command line. Without `allow_anonymous`, anonymous clients are refused unless
/// `anonymous` (the loopback-only default listener) and there is no password file, as in
/// mosquitto 2.0 (whose default listener lets them in whenever `allow_anonymous` is absent).
fn own_security(
    file: &FileConfig,
    keys: &SecurityKeys,
    args: &ServeArgs,
    anonymous: bool,
) -> Option<ListenerSecurity> {
    if !file.per_listener_settings {
        return None;
    }
    let keys = with_flags(keys, args);
    let anonymous = anonymous && keys.password_file.is_none();
    Some(keys.resolve(anonymous))
}

/// `keys` with `--password-file`, `--acl-file`, `--allow-anonymous` and `--no-anonymous` in
/// their place: the command line overrides the file, on every listener.
fn with_flags(keys: &SecurityKeys, args: &ServeArgs) -> SecurityKeys {
    let flag = match (args.allow_anonymous, args.no_anonymous) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    SecurityKeys {
        allow_anonymous: flag.or(keys.allow_anonymous),
        password_file: args.password_file.clone().or(keys.password_file.clone()),
        acl_file: args.acl_file.clone().or(keys.acl_file.clone()),
        allow_zero_length_clientid: keys.allow_zero_length_clientid,
    }
}

const NONE: (Option<u16>, Option<u16>, Option<u16>) = (None, None, None);

/// The listeners of `--tls-port`, `--ws-port` and `--wss-port` on `host`.
fn cli_listeners(args: &ServeArgs, host: &str) -> anyhow::Result<Vec<ListenerConfig>> {
    let mut listeners = Vec::new();
    let ports = [
        (args.tls_port, ListenerKind::Mqtts),
        (args.ws_port, ListenerKind::Ws),
        (args.wss_port, ListenerKind::Wss),
    ];
    for (port, kind) in ports {
        let Some(port) = port else { continue };
        let tls = match kind {
            ListenerKind::Mqtts | ListenerKind::Wss => Some(cli_tls(args)?),
            ListenerKind::Mqtt | ListenerKind::Ws => None,
        };
        let addr = resolve(host, port)?;
        listeners.push(ListenerConfig {
            tls,
            kind,
            ..ListenerConfig::tcp(addr)
        });
    }
    Ok(listeners)
}

/// The TLS settings of the command line; `--cafile` requires client certificates.
fn cli_tls(args: &ServeArgs) -> anyhow::Result<TlsSettings> {
    let (Some(cert), Some(key)) = (&args.cert, &args.key) else {
        bail!("--tls-port and --wss-port need --cert and --key");
    };
    Ok(TlsSettings {
        cert: cert.clone(),
        key: key.clone(),
        cafile: args.cafile.clone(),
        require_certificate: args.cafile.is_some(),
        use_identity_as_username: args.use_identity_as_username,
        min_version: MinVersion::default(),
        crlfile: None,
    })
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    FileConfig::parse(&text).with_context(|| format!("{}", path.display()))
}

#[cfg(test)]
mod tests;
