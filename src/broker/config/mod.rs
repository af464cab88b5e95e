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
mod tests {
    use super::*;
    use crate::codec::QoS;
    use std::path::PathBuf;

    fn args(port: Option<u16>, config: bool) -> ServeArgs {
        ServeArgs {
            port,
            config: config.then(|| PathBuf::from("x.conf")),
            ..ServeArgs::default()
        }
    }

    fn tcp(addr: &str) -> ListenerConfig {
        ListenerConfig::tcp(addr.parse().unwrap())
    }

    #[test]
    fn parses_the_known_keys_and_warns_about_others() {
        let text = "# comment\nport 1884\nbind_address 127.0.0.1\n\nlistener 1885\n\
                    listener 1886 ::1\nallow_anonymous true\nlog_dest stderr\nbridge_cafile x\n";
        let file = FileConfig::parse(text).unwrap();
        assert_eq!(file.port, Some(1884));
        assert_eq!(file.bind_address.as_deref(), Some("127.0.0.1"));
        let addrs: Vec<SocketAddr> = file.listeners.iter().map(|(addr, _)| *addr).collect();
        assert_eq!(
            addrs,
            [
                "0.0.0.0:1885".parse().unwrap(),
                "[::1]:1886".parse().unwrap()
            ]
        );
        assert_eq!(file.security.allow_anonymous, Some(true));
        assert_eq!(
            file.warnings,
            [
                "\"log_dest\" ignored: mqtk serve logs to stderr (-v, or log_type)",
                "unknown configuration key \"bridge_cafile\" ignored"
            ]
        );
    }

    #[test]
    fn listener_paths_may_contain_spaces_and_extra_values_are_errors() {
        let text = "listener 8883\ncertfile /etc/my certs/c.pem\nkeyfile /etc/my certs/k.pem\n";
        let file = FileConfig::parse(text).unwrap();
        assert!(file.warnings.is_empty(), "{:?}", file.warnings);
        let listener = file.listeners[0].1.listener(file.listeners[0].0).unwrap();
        assert_eq!(listener.kind, ListenerKind::Mqtts);
        let tls = listener.tls.unwrap();
        assert_eq!(tls.cert, PathBuf::from("/etc/my certs/c.pem"));
        assert_eq!(tls.key, PathBuf::from("/etc/my certs/k.pem"));
        for bad in [
            "protocol mqtt websockets",
            "require_certificate true false",
            "cafile",
        ] {
            let err = format!("{:#}", FileConfig::parse(bad).unwrap_err());
            assert!(err.contains("line 1"), "{err}");
        }
    }

    #[test]
    fn rejects_bad_values() {
        assert!(FileConfig::parse("port x").is_err());
        assert!(FileConfig::parse("allow_anonymous yes").is_err());
        assert!(FileConfig::parse("listener").is_err());
        assert!(FileConfig::parse("password_file").is_err());
        assert!(FileConfig::parse("per_listener_settings maybe").is_err());
    }

    #[test]
    fn limit_keys_reach_the_config_and_bad_ones_name_their_line() {
        let file = FileConfig::parse("max_queued_messages 3\nlog_type all\n").unwrap();
        let c = Config::resolve(file, &args(Some(0), true)).unwrap();
        assert_eq!(c.max_queued_messages, 3);
        assert!(c.verbose);
        let err = FileConfig::parse("port 1\nmax_qos 3\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2: max_qos 3"), "{err:#}");
    }

    /// Each listener's `(port, max_connections, max_qos)`, in `serve`'s order.
    fn limits(c: &Config) -> Vec<(u16, Option<usize>, QoS)> {
        let each = c.listeners.iter();
        each.map(|l| (l.addr.port(), l.limits.max_connections, l.limits.max_qos))
            .collect()
    }

    #[test]
    fn listener_limits_follow_their_listener_line_and_others_stay_global() {
        use QoS::*;
        let text = "max_connections 1\nmax_qos 0\nlistener 1885\nmax_connections 5\n\
                    max_queued_messages 7\nlistener 1886\nmaximum_qos 1\nmax_connections -1\n";
        let file = FileConfig::parse(text).unwrap();
        assert!(file.warnings.is_empty());
        // No default listener to take the first two keys: they are ignored, with a warning.
        assert!(file.unused_default_keys(&args(None, true)).is_some());
        let c = Config::resolve(file, &args(None, true)).unwrap();
        assert_eq!(c.max_queued_messages, 7);
        let unlimited = Some(usize::MAX);
        assert_eq!(
            limits(&c),
            [(1885, Some(5), ExactlyOnce), (1886, unlimited, AtLeastOnce)]
        );
        // `--port` (or `port`) starts the default listener; the command line's share its keys.
        let mut a = args(Some(1884), true);
        a.ws_port = Some(9001);
        let file = FileConfig::parse(text).unwrap();
        assert_eq!(file.unused_default_keys(&a), None);
        let c = Config::resolve(file, &a).unwrap();
        assert_eq!(limits(&c)[0], (1884, Some(1), AtMostOnce));
        assert_eq!(limits(&c)[3], (9001, Some(1), AtMostOnce));
        let err = FileConfig::parse("listener 1\nmax_connections 1 2\n").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
    }

    /// `include_dir` reads the directory's `*.conf` files where it stands, in mosquitto's
    /// order (2.0.11 loads A.conf before b.conf); errors name the included file and line.
    #[test]
    fn include_dir_reads_conf_files_in_mosquitto_order() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            ("b.conf", "listener 1003\nmax_connections 3\n"),
            ("B.conf", "listener 1002\n"),
            ("a.conf", "listener 1001\ninclude_dir .\n"),
            ("c.txt", "listener 1004\n"),
            (".conf", "listener 1005\n"),
        ];
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let main = format!(
            "listener 1000\ninclude_dir {}\nmax_qos 1\n",
            dir.path().display()
        );
        let file = FileConfig::parse(&main).unwrap();
        let ports: Vec<u16> = file.listeners.iter().map(|(a, _)| a.port()).collect();
        assert_eq!(ports, [1000, 1001, 1002, 1003]);
        // Keys after an included listener line apply to it, and after the include to the last.
        assert_eq!(file.listeners[3].1.limits.max_connections, Some(3));
        assert_eq!(file.listeners[3].1.limits.max_qos, QoS::AtLeastOnce);
        assert_eq!(file.warnings.len(), 1, "{:?}", file.warnings);
        assert!(file.warnings[0].contains("include_dir in an included file"));
        std::fs::write(dir.path().join("b.conf"), "\nport x\n").unwrap();
        let error = format!("{:#}", FileConfig::parse(&main).unwrap_err());
        let at = format!(
            "{}: line 2: port x: invalid port",
            dir.path().join("b.conf").display()
        );
        assert!(error.contains(&at), "{error}");
        let missing = format!(
            "{:#}",
            FileConfig::parse("include_dir /no/such/dir").unwrap_err()
        );
        assert!(
            missing.contains("cannot open include_dir /no/such/dir"),
            "{missing}"
        );
        assert!(FileConfig::parse("include_dir").is_err());
    }

    #[test]
    fn mount_points_are_listener_keys_without_wildcards() {
        let file = FileConfig::parse("listener 1000\nmount_point tenant/\n").unwrap();
        assert_eq!(
            file.listeners[0].1.clients.mount_point.as_deref(),
            Some("tenant/")
        );
        let error = format!("{:#}", FileConfig::parse("mount_point a/#").unwrap_err());
        assert!(error.contains("may not contain + or #"), "{error}");
    }

    #[test]
    fn parses_security_keys() {
        let text = "password_file /etc/my passwords\nacl_file acl\nper_listener_settings false\n";
        let file = FileConfig::parse(text).unwrap();
        assert_eq!(
            file.security.password_file,
            Some(PathBuf::from("/etc/my passwords"))
        );
        assert_eq!(file.security.acl_file, Some(PathBuf::from("acl")));
        assert!(file.warnings.is_empty());
    }

    /// The security each listener got, in `serve`'s order (plain MQTT first).
    fn securities(c: &Config) -> Vec<(u16, Option<ListenerSecurity>)> {
        let each = c.listeners.iter();
        each.map(|l| (l.addr.port(), l.security.clone())).collect()
    }

    fn own(
        anonymous: bool,
        passwords: Option<&str>,
        acl: Option<&str>,
    ) -> Option<ListenerSecurity> {
        Some(ListenerSecurity {
            allow_anonymous: anonymous,
            allow_zero_length_clientid: true,
            password_file: passwords.map(PathBuf::from),
            acl_file: acl.map(PathBuf::from),
        })
    }

    #[test]
    fn per_listener_settings_give_each_listener_its_own_security() {
        let text = "per_listener_settings true\nlistener 1883 127.0.0.1\nallow_anonymous true\n\
                    listener 8883\npassword_file /etc/passwd file\nallow_anonymous false\n\
                    acl_file acl\nlistener 9001\nallow_zero_length_clientid false\n";
        let file = FileConfig::parse(text).unwrap();
        assert_eq!(file.security, SecurityKeys::default());
        let c = Config::resolve(file, &args(None, true)).unwrap();
        // A listener without allow_anonymous refuses anonymous clients, as in mosquitto.
        let no_empty_ids = Some(ListenerSecurity {
            allow_zero_length_clientid: false,
            ..own(false, None, None).unwrap()
        });
        assert_eq!(
            securities(&c),
            [
                (1883, own(true, None, None)),
                (8883, own(false, Some("/etc/passwd file"), Some("acl"))),
                (9001, no_empty_ids),
            ]
        );
    }

    #[test]
    fn without_per_listener_settings_security_stays_global() {
        let text = "listener 1883\nallow_anonymous true\nlistener 8883\nacl_file /no/such/acl\n\
                    allow_zero_length_clientid false\n";
        let file = FileConfig::parse(text).unwrap();
        assert_eq!(file.security.acl_file, Some(PathBuf::from("/no/such/acl")));
        assert_eq!(file.security.allow_anonymous, Some(true));
        // Global files are loaded (and checked) at once.
        assert!(Config::resolve(file, &args(None, true)).is_err());
        let file = FileConfig::parse("listener 1883\nallow_anonymous true\n").unwrap();
        let c = Config::resolve(file, &args(None, true)).unwrap();
        assert_eq!(securities(&c), [(1883, None)]);
        assert!(c.allow_anonymous);
    }

    #[test]
    fn per_listener_settings_must_precede_security_keys() {
        for before in ["allow_anonymous true", "acl_file a", "auto_id_prefix x"] {
            let text = format!("{before}\nper_listener_settings true\nlistener 1\n");
            let err = format!("{:#}", FileConfig::parse(&text).unwrap_err());
            assert!(
                err.contains(
                    "line 2: per_listener_settings true: per_listener_settings must be \
                              set before any other security settings"
                ),
                "{err}"
            );
        }
        // Listener lines and other keys may come first, and `false` may come anywhere.
        let file = FileConfig::parse(
            "listener 1\nmax_qos 1\nper_listener_settings true\n\
                                      allow_anonymous true\nper_listener_settings false\n",
        );
        assert!(!file.unwrap().per_listener_settings);
    }

    #[test]
    fn keys_before_the_first_listener_belong_to_the_default_listener() {
        let text = "per_listener_settings true\npassword_file p\nport 1884\nlistener 1885\n\
                    allow_anonymous true\n";
        let file = FileConfig::parse(text).unwrap();
        assert_eq!(file.unused_default_keys(&args(None, true)), None);
        let c = Config::resolve(file, &args(None, true)).unwrap();
        assert_eq!(
            securities(&c),
            [
                (1884, own(false, Some("p"), None)),
                (1885, own(true, None, None))
            ]
        );
        // Without a port line there is no default listener for them: a warning says so.
        let file =
            FileConfig::parse("per_listener_settings true\nacl_file a\nlistener 1\n").unwrap();
        assert!(file.unused_default_keys(&args(None, true)).is_some());
        assert_eq!(file.unused_default_keys(&args(Some(2), true)), None);
        let c = Config::resolve(file, &args(None, true)).unwrap();
        assert_eq!(securities(&c), [(1, own(false, None, None))]);
    }

    #[test]
    fn the_loopback_default_listener_allows_anonymous_unless_told_otherwise() {
        let anonymous = |text: &str| {
            let c = Config::resolve(FileConfig::parse(text).unwrap(), &args(None, true)).unwrap();
            assert_eq!(c.listeners[0].addr, "127.0.0.1:1883".parse().unwrap());
            c.listeners[0].security.as_ref().unwrap().allow_anonymous
        };
        assert!(anonymous("per_listener_settings true\n"));
        assert!(!anonymous(
            "per_listener_settings true\nallow_anonymous false\n"
        ));
        assert!(!anonymous("per_listener_settings true\npassword_file p\n"));
    }

    #[test]
    fn command_line_security_overrides_every_listener() {
        let text = "per_listener_settings true\nlistener 1\nallow_anonymous true\nlistener 2\n\
                    password_file p\n";
        let mut a = args(None, true);
        a.no_anonymous = true;
        a.acl_file = Some("cli-acl".into());
        a.ws_port = Some(9001);
        let c = Config::resolve(FileConfig::parse(text).unwrap(), &a).unwrap();
        assert_eq!(
            securities(&c),
            [
                (1, own(false, None, Some("cli-acl"))),
                (2, own(false, Some("p"), Some("cli-acl"))),
                (9001, own(false, None, Some("cli-acl"))),
            ]
        );
    }

    #[test]
    fn a_password_file_refuses_anonymous_unless_allowed() {
        let mut passwords = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut passwords, b"# no users\n").unwrap();
        let mut args = args(Some(0), false);
        args.password_file = Some(passwords.path().into());
        let c = Config::resolve(FileConfig::default(), &args).unwrap();
        assert!(!c.allow_anonymous);
        args.allow_anonymous = true;
        let c = Config::resolve(FileConfig::default(), &args).unwrap();
        assert!(c.allow_anonymous);
        args.allow_anonymous = false;
        args.no_anonymous = true;
        args.password_file = None;
        let c = Config::resolve(FileConfig::default(), &args).unwrap();
        assert!(!c.allow_anonymous);
        args.password_file = Some(passwords.path().with_extension("missing"));
        assert!(Config::resolve(FileConfig::default(), &args).is_err());
    }

    #[test]
    fn defaults_like_mosquitto() {
        let c = Config::resolve(FileConfig::default(), &args(None, false)).unwrap();
        assert_eq!(c.listeners, [tcp("127.0.0.1:1883")]);
        assert!(c.allow_anonymous);
        let c = Config::resolve(FileConfig::default(), &args(Some(0), false)).unwrap();
        assert_eq!(c.listeners, [tcp("127.0.0.1:0")]);
        assert!(c.allow_anonymous);
        let file = FileConfig::parse("listener 1900").unwrap();
        let c = Config::resolve(file, &args(None, true)).unwrap();
        assert_eq!(c.listeners, [tcp("0.0.0.0:1900")]);
        assert!(!c.allow_anonymous);
        let file = FileConfig::parse("allow_anonymous false").unwrap();
        let c = Config::resolve(file, &args(Some(5), true)).unwrap();
        assert_eq!(c.listeners, [tcp("127.0.0.1:5")]);
        assert!(!c.allow_anonymous);
    }

    #[test]
    fn per_listener_keys_follow_their_listener_line() {
        let text = "certfile d.pem\nkeyfile d.key\nlistener 8883\ncertfile s.pem\n\
                    keyfile s.key\ncafile ca.pem\nrequire_certificate true\n\
                    use_identity_as_username true\nlistener 9001 127.0.0.1\n\
                    protocol websockets\nlistener 1883\n";
        let file = FileConfig::parse(text).unwrap();
        assert!(file.warnings.is_empty());
        let c = Config::resolve(file, &args(Some(0), true)).unwrap();
        let kinds: Vec<_> = c
            .listeners
            .iter()
            .map(|l| (l.addr.port(), l.kind))
            .collect();
        use ListenerKind::*;
        assert_eq!(kinds, [(1883, Mqtt), (0, Mqtts), (8883, Mqtts), (9001, Ws)]);
        let tls = c.listeners[2].tls.as_ref().unwrap();
        assert_eq!(tls.cafile, Some(PathBuf::from("ca.pem")));
        assert!(tls.require_certificate && tls.use_identity_as_username);
        assert_eq!(
            c.listeners[1].tls.as_ref().unwrap().cert,
            PathBuf::from("d.pem")
        );
        assert!(FileConfig::parse("listener 1\nprotocol quic").is_err());
        let half = FileConfig::parse("listener 1\ncertfile c.pem").unwrap();
        assert!(Config::resolve(half, &args(None, true)).is_err());
        let no_cert = FileConfig::parse("listener 1\nrequire_certificate true").unwrap();
        assert!(Config::resolve(no_cert, &args(None, true)).is_err());
    }

    #[test]
    fn command_line_listeners_come_after_plain_mqtt() {
        let mut a = ServeArgs {
            ws_port: Some(9001),
            tls_port: Some(8883),
            ..ServeArgs::default()
        };
        assert!(Config::resolve(FileConfig::default(), &a).is_err());
        a.cert = Some("c.pem".into());
        a.key = Some("k.pem".into());
        a.cafile = Some("ca.pem".into());
        let c = Config::resolve(FileConfig::default(), &a).unwrap();
        let kinds: Vec<_> = c
            .listeners
            .iter()
            .map(|l| (l.addr.port(), l.kind))
            .collect();
        assert_eq!(
            kinds,
            [(8883, ListenerKind::Mqtts), (9001, ListenerKind::Ws)]
        );
        assert!(c.listeners[0].tls.as_ref().unwrap().require_certificate);
        a.port = Some(0);
        let c = Config::resolve(FileConfig::default(), &a).unwrap();
        assert_eq!(c.listeners[0], tcp("127.0.0.1:0"));
        assert!(c.allow_anonymous);
    }
}
