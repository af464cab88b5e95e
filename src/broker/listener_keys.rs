//! The per-listener keys of `mosquitto.conf`, which apply to the latest `listener` line (or,
//! before any, to the default listener): the protocol and TLS keys, the limit keys mosquitto
//! 2.0 scopes per listener (`max_connections`, `max_qos`, `max_topic_alias`), and the
//! security keys that join them with `per_listener_settings true`.

use super::config::{non_empty, one_value, parse_bool};
use super::limits::ListenerLimits;
use super::listener::{ClientRules, ListenerConfig, ListenerKind};
use super::security::ListenerSecurity;
use super::tls::{MinVersion, TlsSettings};
use anyhow::bail;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `allow_anonymous`, `password_file`, `acl_file` and, per listener only,
/// `allow_zero_length_clientid` (otherwise a limit key): the broker's, or with
/// `per_listener_settings true` one listener's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecurityKeys {
    /// `allow_anonymous`; its default depends on the listener.
    pub allow_anonymous: Option<bool>,
    /// `password_file`.
    pub password_file: Option<PathBuf>,
    /// `acl_file`.
    pub acl_file: Option<PathBuf>,
    /// `allow_zero_length_clientid`, default true.
    pub allow_zero_length_clientid: Option<bool>,
}

impl SecurityKeys {
    /// The keys as given; `allow_anonymous` defaults to `anonymous`, as it depends on the
    /// listener.
    pub fn resolve(&self, anonymous: bool) -> ListenerSecurity {
        ListenerSecurity {
            allow_anonymous: self.allow_anonymous.unwrap_or(anonymous),
            allow_zero_length_clientid: self.allow_zero_length_clientid.unwrap_or(true),
            password_file: self.password_file.clone(),
            acl_file: self.acl_file.clone(),
        }
    }
}

/// `protocol`, `certfile`, `keyfile`, `cafile`, `crlfile`, `require_certificate`, `tls_version`,
/// `use_identity_as_username`, `use_username_as_clientid` and `mount_point` of one listener, its
/// [`ListenerLimits`] and its [`SecurityKeys`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListenerKeys {
    /// `protocol websockets` rather than `protocol mqtt`.
    pub websockets: bool,
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
    pub cafile: Option<PathBuf>,
    pub crlfile: Option<PathBuf>,
    pub require_certificate: bool,
    pub use_identity_as_username: bool,
    /// `tls_version`; ignored on a listener without TLS, as in mosquitto.
    pub tls_version: MinVersion,
    /// `use_username_as_clientid` and `mount_point`.
    pub clients: ClientRules,
    /// `max_connections`, `max_qos` and `max_topic_alias`, whatever `per_listener_settings`
    /// says.
    pub limits: ListenerLimits,
    /// Used only with `per_listener_settings true`.
    pub security: SecurityKeys,
}

impl ListenerKeys {
    /// Applies `key` if it is a per-listener key, `value` being everything after it (paths
    /// may contain spaces, as in mosquitto); false when it is not one.
    pub fn apply(&mut self, key: &str, value: &str) -> anyhow::Result<bool> {
        let one = || one_value(key, value);
        let path = || non_empty(key, value).map(|path| Some(PathBuf::from(path)));
        match key {
            "protocol" => self.websockets = parse_protocol(one()?)?,
            "certfile" => self.certfile = path()?,
            "keyfile" => self.keyfile = path()?,
            "cafile" => self.cafile = path()?,
            "crlfile" => self.crlfile = path()?,
            "require_certificate" => self.require_certificate = parse_bool(one()?)?,
            "use_identity_as_username" => self.use_identity_as_username = parse_bool(one()?)?,
            "use_username_as_clientid" => {
                self.clients.use_username_as_clientid = parse_bool(one()?)?
            }
            "tls_version" => self.tls_version = MinVersion::parse(one()?)?,
            "mount_point" => self.clients.mount_point = Some(parse_mount_point(one()?)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The listener these keys describe on `addr`: TLS when a certificate is given. Its
    /// security is left to the caller, which knows `per_listener_settings`.
    pub fn listener(&self, addr: SocketAddr) -> anyhow::Result<ListenerConfig> {
        let tls = match (&self.certfile, &self.keyfile) {
            (Some(cert), Some(key)) => Some(TlsSettings {
                cert: cert.clone(),
                key: key.clone(),
                cafile: self.cafile.clone(),
                require_certificate: self.require_certificate,
                use_identity_as_username: self.use_identity_as_username,
                min_version: self.tls_version,
                crlfile: self.crlfile.clone(),
            }),
            (None, None) if !self.needs_tls() => None,
            (None, None) => bail!("listener {addr}: TLS options need certfile and keyfile"),
            _ => bail!("listener {addr}: certfile and keyfile go together"),
        };
        let kind = match (self.websockets, tls.is_some()) {
            (false, false) => ListenerKind::Mqtt,
            (false, true) => ListenerKind::Mqtts,
            (true, false) => ListenerKind::Ws,
            (true, true) => ListenerKind::Wss,
        };
        Ok(ListenerConfig {
            addr,
            kind,
            tls,
            limits: self.limits,
            clients: self.clients.clone(),
            security: None,
        })
    }

    fn needs_tls(&self) -> bool {
        self.cafile.is_some()
            || self.crlfile.is_some()
            || self.require_certificate
            || self.use_identity_as_username
    }
}

/// A topic prefix: no wildcards, as mosquitto requires.
fn parse_mount_point(value: &str) -> anyhow::Result<Box<str>> {
    if value.contains(['+', '#']) {
        bail!("mount_point {value:?} may not contain + or #");
    }
    Ok(value.into())
}

fn parse_protocol(value: &str) -> anyhow::Result<bool> {
    match value {
        "mqtt" => Ok(false),
        "websockets" => Ok(true),
        _ => bail!("unknown protocol {value:?} (mqtt or websockets)"),
    }
}
