//! The subset of `mosquitto.conf` we understand: its keys, before the command line applies.

use super::{resolve, ServeArgs, NONE};
use crate::broker::limits::Setting;
use crate::broker::listener_keys::{ListenerKeys, SecurityKeys};
use crate::broker::persist::PersistKeys;
use anyhow::{anyhow, bail, Context};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The keys of a configuration file, before the command line is applied.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FileConfig {
    /// `port`: the default listener's port.
    pub port: Option<u16>,
    /// `bind_address`: the default listener's address.
    pub bind_address: Option<String>,
    /// Per-listener keys given before any `listener` line: the default listener's.
    pub default_listener: ListenerKeys,
    /// `listener PORT [ADDRESS]` lines, each with the per-listener keys that follow it.
    pub listeners: Vec<(SocketAddr, ListenerKeys)>,
    /// `per_listener_settings`: security keys belong to the listener above them.
    pub per_listener_settings: bool,
    /// The broker's security keys (those given while `per_listener_settings` was false).
    pub security: SecurityKeys,
    /// A security key was given: `per_listener_settings true` may no longer follow.
    pub security_seen: bool,
    /// Broker-wide limit keys, in file order.
    pub settings: Vec<Setting>,
    /// `persistence`, `persistence_location`, `persistence_file`, `autosave_interval`,
    /// `autosave_on_changes`, `persistent_client_expiration`.
    pub persistence: PersistKeys,
    /// Unknown keys, one message each, for stderr.
    pub warnings: Vec<String>,
}

impl FileConfig {
    /// Parses `mosquitto.conf` text; unknown keys become warnings, bad values errors.
    pub fn parse(text: &str) -> anyhow::Result<FileConfig> {
        let mut file = FileConfig::default();
        file.parse_lines(text, true)?;
        Ok(file)
    }

    /// Applies the lines of `text`, from the main file or (not `main`) an included one.
    fn parse_lines(&mut self, text: &str, main: bool) -> anyhow::Result<()> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let applied = match line.split_whitespace().next() {
                Some("include_dir") => self.include_dir(rest(line), main),
                _ => self.apply(line),
            };
            applied.with_context(|| format!("line {}: {line}", n + 1))?;
        }
        Ok(())
    }

    /// `include_dir DIR`: the lines of DIR's `*.conf` files, in mosquitto 2.0's order, as if
    /// they stood here (so per-listener keys there apply to the listener above). Like
    /// mosquitto, only the main file may include; elsewhere the line is ignored (with a
    /// warning here, silently there).
    fn include_dir(&mut self, dir: &str, main: bool) -> anyhow::Result<()> {
        if !main {
            let warning = "include_dir in an included file ignored (mosquitto 2.0 ignores it too)";
            self.warnings.push(warning.into());
            return Ok(());
        }
        if dir.is_empty() {
            bail!("include_dir needs a directory");
        }
        for path in conf_files(Path::new(dir))? {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            self.parse_lines(&text, false)
                .with_context(|| path.display().to_string())?;
        }
        Ok(())
    }

    fn apply(&mut self, line: &str) -> anyhow::Result<()> {
        let mut words = line.split_whitespace();
        let key = words.next().unwrap_or_default();
        let args: Vec<&str> = words.collect();
        self.security_seen |= SECURITY_KEYS.contains(&key);
        match (key, args.as_slice()) {
            ("port", [port]) => self.port = Some(parse_port(port)?),
            ("bind_address", [address]) => self.bind_address = Some(address.to_string()),
            ("listener", [port]) => self.listen("0.0.0.0", port)?,
            ("listener", [port, address]) => self.listen(address, port)?,
            ("allow_anonymous", [value]) => {
                self.security_keys().allow_anonymous = Some(parse_bool(value)?)
            }
            ("password_file", [_, ..]) => {
                self.security_keys().password_file = Some(rest(line).into())
            }
            ("acl_file", [_, ..]) => self.security_keys().acl_file = Some(rest(line).into()),
            ("allow_zero_length_clientid", [value]) if self.per_listener_settings => {
                self.security_keys().allow_zero_length_clientid = Some(parse_bool(value)?)
            }
            ("per_listener_settings", [value]) => {
                let on = parse_bool(value)?;
                if on && self.security_seen {
                    // mosquitto 2.0's words: it refuses to start too.
                    bail!("per_listener_settings must be set before any other security settings");
                }
                self.per_listener_settings = on;
            }
            ("port" | "bind_address" | "listener" | "allow_anonymous", _) => {
                bail!("wrong number of values for {key}")
            }
            ("password_file" | "acl_file" | "per_listener_settings", _) => {
                bail!("wrong number of values for {key}")
            }
            _ if self.persistence.apply(key, rest(line))? => {}
            _ if self.current_listener().limits.apply(key, &args)? => {}
            _ if self.current_listener().apply(key, rest(line))? => {}
            _ => match Setting::parse(key, &args)? {
                Some(setting) => self.settings.push(setting),
                None => self.warnings.push(ignored(key)),
            },
        }
        Ok(())
    }

    fn listen(&mut self, address: &str, port: &str) -> anyhow::Result<()> {
        let addr = resolve(address, parse_port(port)?)?;
        self.listeners.push((addr, ListenerKeys::default()));
        Ok(())
    }

    /// The listener per-listener keys apply to: the latest `listener` line, else the default.
    fn current_listener(&mut self) -> &mut ListenerKeys {
        match self.listeners.last_mut() {
            Some((_, keys)) => keys,
            None => &mut self.default_listener,
        }
    }

    /// Where a security key goes: the current listener with `per_listener_settings true`,
    /// else the broker.
    fn security_keys(&mut self) -> &mut SecurityKeys {
        match self.per_listener_settings {
            true => &mut self.current_listener().security,
            false => &mut self.security,
        }
    }

    /// Per-listener keys before the first `listener` line (security keys too with
    /// `per_listener_settings true`) belong to the default listener; says so when no such
    /// listener will run. mosquitto 2.0 opens one on port 1883 of every interface for most
    /// of them instead, which we do not do unasked.
    pub(super) fn unused_default_keys(&self, args: &ServeArgs) -> Option<String> {
        let used = self.listeners.is_empty()
            || args.port.or(self.port).is_some()
            || (args.tls_port, args.ws_port, args.wss_port) != NONE;
        let given = self.default_listener != ListenerKeys::default();
        (!used && given).then(|| {
            "the per-listener keys before the first listener line belong to the default \
             listener, which is not started (no port line); ignored"
                .to_string()
        })
    }
}

/// The keys mosquitto 2.0 counts as security settings, which `per_listener_settings true`
/// must precede (some are not supported here, but still count).
const SECURITY_KEYS: &[&str] = &[
    "acl_file",
    "allow_anonymous",
    "allow_zero_length_clientid",
    "auth_plugin",
    "auto_id_prefix",
    "check_retain_source",
    "password_file",
    "plugin",
    "psk_file",
];

/// mosquitto keys with nothing to do here, and why: what mqtk serve says when it meets them.
const WHY_IGNORED: &[(&str, &str)] = &[
    (
        "pid_file",
        "mosquitto writes it only as a daemon (-d); mqtk serve stays in the foreground",
    ),
    (
        "user",
        "mqtk serve does not switch users; start it as the user it should run as",
    ),
    ("log_dest", "mqtk serve logs to stderr (-v, or log_type)"),
    ("log_timestamp", "log lines always start with the Unix time"),
    (
        "log_timestamp_format",
        "log lines always start with the Unix time",
    ),
    (
        "connection_messages",
        "connections are logged with the rest of the log (-v)",
    ),
    ("set_tcp_nodelay", "mqtk serve always sets TCP_NODELAY"),
    (
        "websockets_log_level",
        "WebSocket errors are logged with the rest of the log (-v)",
    ),
    ("ciphers", RUSTLS_SUITES),
    ("ciphers_tls1.3", RUSTLS_SUITES),
    ("dhparamfile", "rustls uses no finite-field Diffie-Hellman"),
];

const RUSTLS_SUITES: &str = "OpenSSL cipher lists do not apply; rustls offers only modern suites";

/// The warning for a key that is ignored: why, where that is known.
fn ignored(key: &str) -> String {
    match WHY_IGNORED.iter().find(|(known, _)| *known == key) {
        Some((_, why)) => format!("{key:?} ignored: {why}"),
        None => format!("unknown configuration key {key:?} ignored"),
    }
}

/// The `*.conf` files in `dir` (not `.conf` itself), in mosquitto 2.0's order: by name
/// ignoring case, and where names differ only in case, uppercase first.
fn conf_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let cannot = || format!("cannot open include_dir {}", dir.display());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(cannot)? {
        let name = entry.with_context(cannot)?.file_name();
        if name.len() > 5 && name.as_encoded_bytes().ends_with(b".conf") {
            files.push(name);
        }
    }
    files.sort_by_cached_key(|name| {
        let bytes = name.as_encoded_bytes().iter();
        bytes
            .map(|&b| (b.to_ascii_uppercase(), b))
            .collect::<Vec<_>>()
    });
    Ok(files.into_iter().map(|name| dir.join(name)).collect())
}

/// Everything after the key: paths may contain spaces.
fn rest(line: &str) -> &str {
    line.split_once(char::is_whitespace)
        .map_or("", |(_, rest)| rest.trim())
}

fn parse_port(text: &str) -> anyhow::Result<u16> {
    text.parse().map_err(|_| anyhow!("invalid port {text:?}"))
}

/// `value`, everything after a key, when it is a single word.
pub(in crate::broker) fn one_value<'a>(key: &str, value: &'a str) -> anyhow::Result<&'a str> {
    match value.split_whitespace().count() {
        1 => Ok(value),
        _ => bail!("wrong number of values for {key}"),
    }
}

/// `value`, everything after a key, when there is any: a path, which may contain spaces.
pub(in crate::broker) fn non_empty<'a>(key: &str, value: &'a str) -> anyhow::Result<&'a str> {
    match value.is_empty() {
        true => bail!("wrong number of values for {key}"),
        false => Ok(value),
    }
}

/// `true`/`false`, or mosquitto's `1`/`0`.
pub(in crate::broker) fn parse_bool(text: &str) -> anyhow::Result<bool> {
    match text {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => bail!("expected true or false, not {text:?}"),
    }
}
