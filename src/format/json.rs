//! `--json`: mqtk's own binary-safe JSON line per message (see [`super::OutputOptions::json`]).

use crate::codec::{Properties, Publish};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::ser::{Serialize, SerializeMap, Serializer};

/// One message as `--json` shows it; serializes its fields in schema order.
pub struct Message<'m> {
    pub msg: &'m Publish,
    pub now: &'m DateTime<FixedOffset>,
}

impl Serialize for Message<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let msg = self.msg;
        let mut map = serializer.serialize_map(None)?;
        let tst = self.now.to_rfc3339_opts(SecondsFormat::Micros, false);
        map.serialize_entry("tst", &tst)?;
        map.serialize_entry("topic", &msg.topic)?;
        map.serialize_entry("qos", &(msg.qos as u8))?;
        map.serialize_entry("retain", &msg.retain)?;
        if msg.qos as u8 > 0 {
            map.serialize_entry("mid", &msg.pkid)?;
        }
        binary_entry(&mut map, "payload", "payload_base64", &msg.payload)?;
        if has_publish_properties(&msg.properties) {
            map.serialize_entry("properties", &PublishProperties(&msg.properties))?;
        }
        map.end()
    }
}

/// `name: text` when `bytes` are UTF-8, else `base64_name: base64`.
fn binary_entry<M: SerializeMap>(
    map: &mut M,
    name: &'static str,
    base64_name: &'static str,
    bytes: &[u8],
) -> Result<(), M::Error> {
    match std::str::from_utf8(bytes) {
        Ok(text) => map.serialize_entry(name, text),
        Err(_) => map.serialize_entry(base64_name, &BASE64.encode(bytes)),
    }
}

/// Whether any property a PUBLISH can carry is set.
fn has_publish_properties(p: &Properties) -> bool {
    p.payload_format_indicator.is_some()
        || p.message_expiry_interval.is_some()
        || p.content_type.is_some()
        || p.response_topic.is_some()
        || p.correlation_data.is_some()
        || !p.subscription_identifiers.is_empty()
        || p.topic_alias.is_some()
        || !p.user_properties.is_empty()
}

/// The PUBLISH properties under mosquitto's names; user properties stay an ordered list of
/// `[key, value]` pairs because keys may repeat.
struct PublishProperties<'p>(&'p Properties);

impl Serialize for PublishProperties<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut map = serializer.serialize_map(None)?;
        if let Some(v) = p.payload_format_indicator {
            map.serialize_entry("payload-format-indicator", &v)?;
        }
        if let Some(v) = p.message_expiry_interval {
            map.serialize_entry("message-expiry-interval", &v)?;
        }
        if let Some(v) = &p.content_type {
            map.serialize_entry("content-type", v)?;
        }
        if let Some(v) = &p.response_topic {
            map.serialize_entry("response-topic", v)?;
        }
        if let Some(v) = &p.correlation_data {
            binary_entry(&mut map, "correlation-data", "correlation-data-base64", v)?;
        }
        if !p.subscription_identifiers.is_empty() {
            map.serialize_entry("subscription-identifiers", &p.subscription_identifiers)?;
        }
        if let Some(v) = p.topic_alias {
            map.serialize_entry("topic-alias", &v)?;
        }
        if !p.user_properties.is_empty() {
            map.serialize_entry("user-properties", &p.user_properties)?;
        }
        map.end()
    }
}
