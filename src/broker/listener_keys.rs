//! The per-listener keys of `mosquitto.conf`, which apply to the latest `listener` line (or,
//! before any, to the default listener).

use super::listener::{ListenerConfig, ListenerKind};
use super::tls::TlsSettings;
use anyhow::bail;
use std::net::SocketAddr;
use std::path::PathBuf;

/// `protocol`, `certfile`, `keyfile`, `cafile`, `require_certificate` and
/// `use_identity_as_username` of one listener.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListenerKeys {
    /// `protocol websockets` rather than `protocol mqtt`.
    pub websockets: bool,
    pub certfile: Option<PathBuf>,
    pub keyfile: Option<PathBuf>,
    pub cafile: Option<PathBuf>,
    pub require_certificate: bool,
    pub use_identity_as_username: bool,
}

impl ListenerKeys {
    /// Applies `key` if it is a per-listener key; false when it is not one.
    pub fn apply(&mut self, key: &str, value: &str) -> anyhow::Result<bool> {
        match key {
            "protocol" => self.websockets = parse_protocol(value)?,
            "certfile" => self.certfile = Some(value.into()),
            "keyfile" => self.keyfile = Some(value.into()),
            "cafile" => self.cafile = Some(value.into()),
            "require_certificate" => self.require_certificate = super::config::parse_bool(value)?,
            "use_identity_as_username" => {
                self.use_identity_as_username = super::config::parse_bool(value)?
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The listener these keys describe on `addr`: TLS when a certificate is given.
    pub fn listener(&self, addr: SocketAddr) -> anyhow::Result<ListenerConfig> {
        let tls = match (&self.certfile, &self.keyfile) {
            (Some(cert), Some(key)) => Some(TlsSettings {
                cert: cert.clone(),
                key: key.clone(),
                cafile: self.cafile.clone(),
                require_certificate: self.require_certificate,
                use_identity_as_username: self.use_identity_as_username,
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
        Ok(ListenerConfig { addr, kind, tls })
    }

    fn needs_tls(&self) -> bool {
        self.cafile.is_some() || self.require_certificate || self.use_identity_as_username
    }
}

fn parse_protocol(value: &str) -> anyhow::Result<bool> {
    match value {
        "mqtt" => Ok(false),
        "websockets" => Ok(true),
        _ => bail!("unknown protocol {value:?} (mqtt or websockets)"),
    }
}
