//! The object `%j` and `%J` print: mosquitto_sub's `json_print`, field for field.

use super::cjson::{self, Value};
use crate::codec::{Properties, Publish};
use chrono::{DateTime, FixedOffset};
use std::borrow::Cow;

/// How the payload goes into the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadAs {
    /// `%j`: as a string (which, like mosquitto's, ends at the first NUL byte).
    String,
    /// `%J`: parsed and embedded as JSON.
    Json,
}

/// The object for `msg`, or `None` for `%J` when the payload is not JSON.
pub fn object<'m>(
    msg: &'m Publish,
    now: &DateTime<FixedOffset>,
    payload_as: PayloadAs,
) -> Option<Value<'m>> {
    let payload = match (payload_as, msg.payload.is_empty()) {
        // libmosquitto hands over a NULL payload when it is empty.
        (_, true) => Value::Null,
        (PayloadAs::String, false) => Value::bytes(&msg.payload),
        (PayloadAs::Json, false) => cjson::parse(&msg.payload)?,
    };
    let qos = msg.qos as u8;
    let mut members = vec![
        (key("tst"), Value::String(Cow::Owned(timestamp(now)))),
        (key("topic"), Value::bytes(msg.topic.as_bytes())),
        (key("qos"), Value::int(qos)),
        (key("retain"), Value::int(u8::from(msg.retain))),
        (key("payloadlen"), Value::int(msg.payload.len() as f64)),
    ];
    if qos > 0 {
        members.push((key("mid"), Value::int(msg.pkid)));
    }
    if let Some(props) = properties(&msg.properties) {
        members.push((key("properties"), props));
    }
    members.push((key("payload"), payload));
    Some(Value::Object(members))
}

fn key(name: &'static str) -> Cow<'static, [u8]> {
    Cow::Borrowed(name.as_bytes())
}

/// mosquitto's `tst`: `strftime("%Y-%m-%dT%H:%M:%S.000000Z%z")` with the microseconds
/// written over the zeros, so the literal `Z` is followed by the offset: `...00.123456Z+0100`.
pub fn timestamp(now: &DateTime<FixedOffset>) -> Vec<u8> {
    now.format("%Y-%m-%dT%H:%M:%S%.6fZ%z")
        .to_string()
        .into_bytes()
}

/// The `properties` member, `None` when the message carries none of the PUBLISH properties.
///
/// cJSON keeps the wire order, which the flat [`Properties`] has lost; this order is the one
/// a mosquitto broker forwards a `mosquitto_pub -D` message in (subscription identifiers,
/// which the broker adds, first; the expiry it rewrites last). Topic alias, which mosquitto
/// never sends to subscribers, prints its value; mosquitto's `json_print` reads it with the
/// wrong property identifier and prints an unrelated number.
fn properties(p: &Properties) -> Option<Value<'_>> {
    let mut members = Vec::new();
    for &id in &p.subscription_identifiers {
        members.push((key("subscription-identifier"), Value::int(id)));
    }
    if !p.user_properties.is_empty() {
        let users = p.user_properties.iter();
        let users = users.map(|(k, v)| (Cow::Borrowed(k.as_bytes()), Value::bytes(v.as_bytes())));
        members.push((key("user-properties"), Value::Object(users.collect())));
    }
    if let Some(ct) = &p.content_type {
        members.push((key("content-type"), Value::bytes(ct.as_bytes())));
    }
    if let Some(rt) = &p.response_topic {
        members.push((key("response-topic"), Value::bytes(rt.as_bytes())));
    }
    if let Some(cd) = &p.correlation_data {
        members.push((key("correlation-data"), Value::bytes(cd)));
    }
    if let Some(pfi) = p.payload_format_indicator {
        members.push((key("payload-format-indicator"), Value::int(pfi)));
    }
    if let Some(mei) = p.message_expiry_interval {
        members.push((key("message-expiry-interval"), Value::int(mei)));
    }
    if let Some(alias) = p.topic_alias {
        members.push((key("topic-alias"), Value::int(alias)));
    }
    (!members.is_empty()).then_some(Value::Object(members))
}
