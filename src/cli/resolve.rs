//! mosquitto's defaults and precedence rules between options, resolved once for the clients.

use bytes::Bytes;
use std::path::PathBuf;

use super::{ConnectArgs, MessageArgs, Payload, PubArgs, RrArgs, SubArgs};
use crate::codec::{Version, Will};
use crate::properties::{self, CommandProperties};

impl ConnectArgs {
    /// The protocol version: `-V`, else `default`; any `-D` forces MQTT 5 as in mosquitto.
    pub fn version(&self, default: Version) -> Version {
        if properties::forces_v5(&self.properties.0) {
            Version::V5
        } else {
            self.protocol_version.unwrap_or(default)
        }
    }

    /// Broker host: the `-L` host, else `-h`, else localhost. `--unix` wins over all of them.
    pub fn host(&self) -> &str {
        match (&self.url, &self.host) {
            (Some(url), _) => &url.host,
            (None, Some(host)) => host,
            (None, None) => "localhost",
        }
    }

    /// Broker port: `-L`'s, else `-p`, else 8883 with `--cafile`/`--capath` (even with
    /// `--no-tls`, as in mosquitto 2.1's `client_connect`: it then speaks plain MQTT to 8883),
    /// else 1883.
    pub fn port(&self) -> u16 {
        match (&self.url, self.port) {
            (Some(url), _) => url.port,
            (None, Some(port)) => port,
            _ if self.tls.cafile.is_some() || self.tls.capath.is_some() => 8883,
            _ => 1883,
        }
    }

    /// The WebSocket upgrade's path: `-L ws://`'s, or `/mqtt` with `--ws`; `None` for plain
    /// MQTT.
    pub fn websocket_path(&self) -> Option<&str> {
        let from_url = self.url.as_ref().and_then(|u| u.websocket_path());
        from_url.or(self.ws.then_some("/mqtt"))
    }

    /// True when the connection uses TLS: a CA option, `mqtts://`, `--tls-use-os-certs`, or
    /// port 8883 (mosquitto then trusts the OS certificates), unless `--no-tls`.
    pub fn tls(&self) -> bool {
        !self.tls.no_tls && self.tls_asked()
    }

    /// Whether an option asks for TLS, before `--no-tls` cancels it.
    fn tls_asked(&self) -> bool {
        self.tls.cafile.is_some()
            || self.tls.capath.is_some()
            || self.tls.tls_use_os_certs
            || self.url.as_ref().is_some_and(|u| u.tls)
            || self.port() == 8883
    }

    /// True when the server certificate is checked against the OS store (no CA option given).
    pub fn tls_os_certs(&self) -> bool {
        self.tls.tls_use_os_certs
            || (self.tls() && self.tls.cafile.is_none() && self.tls.capath.is_none())
    }

    /// Username: `-L`'s, else `-u`.
    pub fn username(&self) -> Option<&str> {
        let from_url = self.url.as_ref().and_then(|u| u.username.as_deref());
        from_url.or(self.username.as_deref())
    }

    /// Password: `-L`'s, else `-P`.
    pub fn password(&self) -> Option<&str> {
        let from_url = self.url.as_ref().and_then(|u| u.password.as_deref());
        from_url.or(self.password.as_deref())
    }

    /// The client id from `-i` or `-I` (prefix + pid); `None` means "generate one".
    pub fn client_id(&self) -> Option<String> {
        match (&self.id, &self.id_prefix) {
            (Some(id), _) => Some(id.clone()),
            (None, Some(prefix)) => Some(format!("{prefix}{}", std::process::id())),
            (None, None) => None,
        }
    }

    /// MQTT 5 session expiry for CONNECT: `-x` when positive; with `-c` and no `-x`, never.
    pub fn session_expiry_interval(&self) -> Option<u32> {
        match self.session_expiry {
            Some(0) => None,
            Some(x) => Some(x),
            None if self.disable_clean_session => Some(u32::MAX),
            None => None,
        }
    }

    /// The `-D` properties per packet, with `-x`/`-c` folded into CONNECT for MQTT 5.
    pub fn properties(&self, version: Version) -> Result<CommandProperties, String> {
        let mut props = properties::parse(&self.properties.0)?;
        if let (true, Some(sei)) = (version.is_v5(), self.session_expiry_interval()) {
            if props.connect.session_expiry_interval.is_some() {
                return Err(
                    "Error in CONNECT properties: Duplicate property in property list".to_string(),
                );
            }
            props.connect.session_expiry_interval = Some(sei);
        }
        Ok(props)
    }

    /// The last will, present when `--will-topic` is; `props` supplies its `-D will` properties.
    pub fn will(&self, props: &CommandProperties) -> Option<Will> {
        let payload = self.will_payload.clone().unwrap_or_default();
        self.will_topic.as_ref().map(|topic| Will {
            topic: topic.clone(),
            payload: Bytes::from(payload.into_encoded_bytes()),
            qos: self.will_qos,
            retain: self.will_retain,
            properties: props.will.clone(),
        })
    }
}

impl MessageArgs {
    /// The single -m/-f/-s/-n choice; `lines` adds pub's -l and `replay` its --replay. `None`
    /// when none was given.
    fn payload(&self, lines: bool, replay: Option<&PathBuf>) -> Option<Payload> {
        let choices = [
            self.message
                .clone()
                .map(|m| Payload::Message(m.into_encoded_bytes())),
            self.file.clone().map(Payload::File),
            self.stdin_file.then_some(Payload::Stdin),
            lines.then_some(Payload::Lines),
            self.null_message.then_some(Payload::Null),
            replay.cloned().map(Payload::Replay),
        ];
        choices.into_iter().flatten().next()
    }

    /// How many payload options were given (`lines` counts pub's -l, `replay` its
    /// --replay); more than one is an error.
    pub(super) fn count(&self, lines: bool, replay: bool) -> usize {
        [
            self.message.is_some(),
            self.file.is_some(),
            self.stdin_file,
            lines,
            self.null_message,
            replay,
        ]
        .into_iter()
        .filter(|&given| given)
        .count()
    }
}

impl PubArgs {
    /// mosquitto_pub speaks MQTT 3.1.1 unless told otherwise.
    pub fn version(&self) -> Version {
        self.connect.version(Version::V311)
    }

    /// The topic: `-L`'s, else `-t`.
    pub fn topic(&self) -> Option<&str> {
        let from_url = self.connect.url.as_ref().and_then(|u| u.topic());
        from_url.or(self.topic.as_deref())
    }

    /// Where the payload comes from; `Some` once [`PubArgs::validate`] has passed.
    pub fn payload(&self) -> Option<Payload> {
        self.message.payload(self.stdin_line, self.replay.as_ref())
    }
}

impl SubArgs {
    /// mosquitto_sub speaks MQTT 3.1.1 unless told otherwise.
    pub fn version(&self) -> Version {
        self.connect.version(Version::V311)
    }

    /// The filters to subscribe to: every `-t`, then `-L`'s topic.
    pub fn topics(&self) -> Vec<&str> {
        let from_url = self.connect.url.as_ref().and_then(|u| u.topic());
        self.topics
            .iter()
            .map(String::as_str)
            .chain(from_url)
            .collect()
    }
}

impl RrArgs {
    /// mosquitto_rr speaks MQTT 5 unless told otherwise.
    pub fn version(&self) -> Version {
        self.connect.version(Version::V5)
    }

    /// The request topic: `-L`'s, else `-t`.
    pub fn topic(&self) -> Option<&str> {
        let from_url = self.connect.url.as_ref().and_then(|u| u.topic());
        from_url.or(self.topic.as_deref())
    }

    /// Where the request payload comes from; `Some` once [`RrArgs::validate`] has passed.
    pub fn payload(&self) -> Option<Payload> {
        self.message.payload(false, None)
    }
}
