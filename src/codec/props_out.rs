//! MQTT 5 properties written in the order they were given ([`super::WireOrder`]: as read,
//! or as `-D` named them), as mosquitto writes them; whatever that order does not name
//! follows in a fixed order per packet, which is all of it for properties built in code. The
//! one property writer: CONNECT, wills, PUBLISH, SUBSCRIBE and every reply in `short`.

use super::publish::{put_string, put_varint};
use super::Properties;
use bytes::{BufMut, BytesMut};

/// Writes the properties of `p` that `ids` allows: first in `p`'s own order, then the rest
/// in the order of `ids`.
pub(super) fn put(out: &mut BytesMut, p: &Properties, ids: &[u8]) {
    let mut written = Written::default();
    for &id in p.order.0.iter().filter(|id| ids.contains(id)) {
        put_one(out, p, id, &mut written, 1);
    }
    for &id in ids {
        put_one(out, p, id, &mut written, usize::MAX);
    }
}

/// [`put`], prefixed by the length of what it wrote.
pub(super) fn put_block(out: &mut BytesMut, p: &Properties, ids: &[u8]) {
    let mut block = BytesMut::new();
    put(&mut block, p, ids);
    put_varint(out, block.len());
    out.put_slice(&block);
}

/// What [`put_one`] has written: identifiers as bits, and how many user properties.
#[derive(Default)]
struct Written {
    ids: u64,
    user_properties: usize,
}

/// Writes property `id` of `p` unless it is absent or already written; for 0x26, up to
/// `users` of the user properties not yet written; 0x0B writes every subscription identifier.
fn put_one(out: &mut BytesMut, p: &Properties, id: u8, written: &mut Written, users: usize) {
    if id == 0x0B {
        if written.ids & (1 << 0x0B) == 0 {
            written.ids |= 1 << 0x0B;
            for &n in &p.subscription_identifiers {
                out.put_u8(0x0B);
                put_varint(out, n as usize);
            }
        }
        return;
    }
    if id == 0x26 {
        let left = p.user_properties.iter().skip(written.user_properties);
        for (key, value) in left.take(users) {
            out.put_u8(0x26);
            put_string(out, key.as_bytes());
            put_string(out, value.as_bytes());
            written.user_properties += 1;
        }
        return;
    }
    let bit = 1u64 << (id & 63);
    if written.ids & bit != 0 {
        return;
    }
    written.ids |= bit;
    let value = match id {
        0x01 => p.payload_format_indicator.map(Value::Byte),
        0x02 => p.message_expiry_interval.map(Value::Four),
        0x03 => text(p.content_type.as_deref()),
        0x08 => text(p.response_topic.as_deref()),
        0x09 => p.correlation_data.as_deref().map(Value::Text),
        0x11 => p.session_expiry_interval.map(Value::Four),
        0x12 => text(p.assigned_client_identifier.as_deref()),
        0x13 => p.server_keep_alive.map(Value::Two),
        0x15 => text(p.authentication_method.as_deref()),
        0x16 => p.authentication_data.as_deref().map(Value::Text),
        0x17 => p.request_problem_information.map(Value::Byte),
        0x18 => p.will_delay_interval.map(Value::Four),
        0x19 => p.request_response_information.map(Value::Byte),
        0x1A => text(p.response_information.as_deref()),
        0x1C => text(p.server_reference.as_deref()),
        0x1F => text(p.reason_string.as_deref()),
        0x21 => p.receive_maximum.map(Value::Two),
        0x22 => p.topic_alias_maximum.map(Value::Two),
        0x23 => p.topic_alias.map(Value::Two),
        0x24 => p.maximum_qos.map(Value::Byte),
        0x25 => p.retain_available.map(Value::Byte),
        0x27 => p.maximum_packet_size.map(Value::Four),
        0x28 => p.wildcard_subscription_available.map(Value::Byte),
        0x29 => p.subscription_identifier_available.map(Value::Byte),
        0x2A => p.shared_subscription_available.map(Value::Byte),
        _ => None,
    };
    let Some(value) = value else {
        return;
    };
    out.put_u8(id);
    match value {
        Value::Byte(v) => out.put_u8(v),
        Value::Two(v) => out.put_u16(v),
        Value::Four(v) => out.put_u32(v),
        Value::Text(v) => put_string(out, v),
    }
}

fn text(s: Option<&str>) -> Option<Value<'_>> {
    s.map(|s| Value::Text(s.as_bytes()))
}

/// A property's value, by its wire type.
enum Value<'a> {
    Byte(u8),
    Two(u16),
    Four(u32),
    Text(&'a [u8]),
}
