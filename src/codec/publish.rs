//! Outgoing PUBLISH written straight from borrowed parts: the broker's delivery path, and
//! through [`super::encode`] every client's.
//!
//! rumqttc's encoder takes owned packets, so going through [`super::encode`] costs a `Publish`
//! and `Packet` built per message, a clone of the topic (twice for 3.1.1, once into `Bytes`
//! for MQTT 5) and of the properties, and several moves of those 400-byte structs. Profiling
//! `mqtk serve` delivering 10,000 retained messages put about two thirds of its CPU in that
//! (handler, memmove, rumqttc's writer and the clones). This writer borrows everything and
//! only grows the buffer; its output is byte-for-byte rumqttc's (see the tests); every other
//! packet is still encoded by rumqttc.

use super::{Error, Properties, Publish, QoS, Version};
use bytes::{BufMut, BytesMut};

/// The largest remaining length MQTT's four-byte varint can express.
const MAX_REMAINING: usize = 268_435_455;

/// One PUBLISH to write, borrowed from wherever the message lives.
#[derive(Clone, Copy, Debug)]
pub struct PublishRef<'a> {
    pub dup: bool,
    pub qos: QoS,
    pub retain: bool,
    pub topic: &'a str,
    /// Written only above QoS 0, where it must not be 0.
    pub pkid: u16,
    pub payload: &'a [u8],
    /// MQTT 5 only: the message's properties, except its subscription identifiers and
    /// message expiry, which differ per subscriber and come from the two fields below.
    pub properties: &'a Properties,
    /// MQTT 5 only: the identifiers of the subscriptions that matched.
    pub subscription_identifiers: &'a [u32],
    /// MQTT 5 only: what is left of the message expiry interval.
    pub message_expiry_interval: Option<u32>,
    /// Write the expiry after the other properties, as mosquitto does when it forwards a
    /// message (it takes the expiry out and adds what is left of it at delivery).
    pub expiry_last: bool,
}

impl<'a> From<&'a Publish> for PublishRef<'a> {
    /// A whole message as it stands, with its own identifiers and expiry: a client's PUBLISH.
    fn from(p: &'a Publish) -> PublishRef<'a> {
        PublishRef {
            dup: p.dup,
            qos: p.qos,
            retain: p.retain,
            topic: &p.topic,
            pkid: p.pkid,
            payload: &p.payload,
            properties: &p.properties,
            subscription_identifiers: &p.properties.subscription_identifiers,
            message_expiry_interval: p.properties.message_expiry_interval,
            expiry_last: false,
        }
    }
}

/// Appends `p` framed for `version` unless the whole frame exceeds `max` bytes; false when
/// it was left out (a peer's maximum packet size, MQTT-3.1.2-25). On error nothing is
/// appended.
pub fn encode_publish(
    p: &PublishRef,
    version: Version,
    max: usize,
    buf: &mut BytesMut,
) -> Result<bool, Error> {
    if p.qos != QoS::AtMostOnce && p.pkid == 0 {
        return Err(Error::Malformed(
            "PUBLISH above QoS 0 without packet id".into(),
        ));
    }
    let props_len = match version.is_v5() {
        true => Some(properties_len(p)?),
        false => None,
    };
    let remaining = remaining_len(p, props_len)?;
    let size = 1 + varint_len(remaining) + remaining;
    if size > max {
        return Ok(false);
    }
    buf.reserve(size);
    buf.put_u8(0x30 | ((p.dup as u8) << 3) | ((p.qos as u8) << 1) | p.retain as u8);
    put_varint(buf, remaining);
    put_string(buf, p.topic.as_bytes());
    if p.qos != QoS::AtMostOnce {
        buf.put_u16(p.pkid);
    }
    if let Some(len) = props_len {
        put_varint(buf, len);
        put_properties(buf, p);
    }
    buf.put_slice(p.payload);
    Ok(true)
}

/// The remaining length, after checking the topic and the MQTT maximum.
fn remaining_len(p: &PublishRef, props_len: Option<usize>) -> Result<usize, Error> {
    check_string(p.topic.len(), "topic")?;
    let pkid = if p.qos == QoS::AtMostOnce { 0 } else { 2 };
    let props = props_len.map_or(0, |len| varint_len(len) + len);
    let remaining = 2 + p.topic.len() + pkid + props + p.payload.len();
    if remaining > MAX_REMAINING {
        return Err(Error::TooLarge {
            size: 1 + 4 + remaining,
            max: 1 + 4 + MAX_REMAINING,
        });
    }
    Ok(remaining)
}

/// Length of the MQTT 5 property block (without its own length), checking every field fits.
fn properties_len(p: &PublishRef) -> Result<usize, Error> {
    let props = p.properties;
    let mut len = 0;
    len += props.payload_format_indicator.map_or(0, |_| 1 + 1);
    len += p.message_expiry_interval.map_or(0, |_| 1 + 4);
    len += props.topic_alias.map_or(0, |_| 1 + 2);
    len += string_len(
        props.response_topic.as_deref().map(str::as_bytes),
        "response topic",
    )?;
    len += string_len(props.correlation_data.as_deref(), "correlation data")?;
    for (key, value) in &props.user_properties {
        len += 1 + 2 + check_string(key.len(), "user property")?;
        len += 2 + check_string(value.len(), "user property")?;
    }
    for &id in p.subscription_identifiers {
        if id as usize > MAX_REMAINING {
            return Err(Error::Malformed(format!("subscription identifier {id}")));
        }
        len += 1 + varint_len(id as usize);
    }
    len += string_len(
        props.content_type.as_deref().map(str::as_bytes),
        "content type",
    )?;
    Ok(len)
}

/// Writes the properties as mosquitto does when it has their order ([`super::WireOrder`])
/// or forwards a message: subscription identifiers first, then the rest in the order read or
/// given, the expiry last when forwarding, then whatever that order does not name. Properties
/// built in code go in rumqttc's order, so both encoders agree byte for byte.
fn put_properties(buf: &mut BytesMut, p: &PublishRef) {
    let order = &p.properties.order.0;
    if order.is_empty() && !p.expiry_last {
        return put_in_rumqttc_order(buf, p);
    }
    for &id in p.subscription_identifiers {
        buf.put_u8(0x0B);
        put_varint(buf, id as usize);
    }
    let ids: &[u8] = match p.expiry_last {
        true => &[0x01, 0x23, 0x08, 0x09, 0x26, 0x03],
        false => &[0x01, 0x02, 0x23, 0x08, 0x09, 0x26, 0x03],
    };
    super::props_out::put(buf, p.properties, ids);
    if let (true, Some(expiry)) = (p.expiry_last, p.message_expiry_interval) {
        buf.put_u8(0x02);
        buf.put_u32(expiry);
    }
}

fn put_text(buf: &mut BytesMut, id: u8, value: Option<&[u8]>) {
    if let Some(value) = value {
        buf.put_u8(id);
        put_string(buf, value);
    }
}

/// The properties in rumqttc's order.
fn put_in_rumqttc_order(buf: &mut BytesMut, p: &PublishRef) {
    let props = p.properties;
    if let Some(indicator) = props.payload_format_indicator {
        buf.put_slice(&[0x01, indicator]);
    }
    if let Some(expiry) = p.message_expiry_interval {
        buf.put_u8(0x02);
        buf.put_u32(expiry);
    }
    if let Some(alias) = props.topic_alias {
        buf.put_u8(0x23);
        buf.put_u16(alias);
    }
    put_text(
        buf,
        0x08,
        props.response_topic.as_deref().map(str::as_bytes),
    );
    put_text(buf, 0x09, props.correlation_data.as_deref());
    for (key, value) in &props.user_properties {
        buf.put_u8(0x26);
        put_string(buf, key.as_bytes());
        put_string(buf, value.as_bytes());
    }
    for &id in p.subscription_identifiers {
        buf.put_u8(0x0B);
        put_varint(buf, id as usize);
    }
    put_text(buf, 0x03, props.content_type.as_deref().map(str::as_bytes));
}

/// Bytes an optional string or binary property takes: identifier, length, data.
fn string_len(value: Option<&[u8]>, what: &str) -> Result<usize, Error> {
    value.map_or(Ok(0), |v| Ok(1 + 2 + check_string(v.len(), what)?))
}

/// `len` itself if a two-byte length prefix can carry it.
fn check_string(len: usize, what: &str) -> Result<usize, Error> {
    match len <= u16::MAX as usize {
        true => Ok(len),
        false => Err(Error::Malformed(format!(
            "{what} of {len} bytes is too long"
        ))),
    }
}

/// Writes a length-prefixed string or binary field.
pub(super) fn put_string(buf: &mut BytesMut, bytes: &[u8]) {
    buf.put_u16(bytes.len() as u16);
    buf.put_slice(bytes);
}

/// Writes MQTT's variable byte integer (the remaining length, property lengths, identifiers).
pub(super) fn put_varint(buf: &mut BytesMut, mut n: usize) {
    loop {
        let byte = (n % 128) as u8;
        n /= 128;
        buf.put_u8(if n > 0 { byte | 0x80 } else { byte });
        if n == 0 {
            return;
        }
    }
}

/// How many bytes [`put_varint`] writes for `n`.
fn varint_len(n: usize) -> usize {
    match n {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        _ => 4,
    }
}
