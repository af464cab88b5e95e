//! The MQTT 5 control packets written by hand, in the forms mosquitto 2.0 sends.
//!
//! MQTT 5 lets a sender drop trailing fields that carry their default: an acknowledgement's
//! reason code when it is 0x00 and its property length when there are no properties
//! (MQTT-3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1), a DISCONNECT's property length likewise
//! (3.14.2.2.1). rumqttc always writes both, and orders CONNACK properties its own way; test
//! suites that compare bytes with mosquitto's (client libraries', devices') then fail. So
//! acknowledgements, DISCONNECT, CONNACK, SUBACK, UNSUBACK and AUTH are framed here, byte
//! for byte as mosquitto 2.0.11 frames them (`tests/wire.rs` compares the two).

use super::publish::{put_string, put_varint};
use super::{Ack, ConnAck, Properties, Reason, SubAck};
use bytes::{BufMut, BytesMut};

/// PUBACK (`first` 0x40), PUBREC (0x50), PUBREL (0x62) or PUBCOMP (0x70): 2 bytes of
/// remaining length for success without properties, 3 with a reason code alone.
pub(super) fn ack(first: u8, a: &Ack, buf: &mut BytesMut) {
    // Every QoS 1/2 message has one: written in place, without a body buffer.
    if a.properties.is_empty() {
        buf.put_slice(&[first, 2 + u8::from(a.reason != 0)]);
        buf.put_u16(a.pkid);
        if a.reason != 0 {
            buf.put_u8(a.reason);
        }
        return;
    }
    let mut body = BytesMut::with_capacity(4);
    body.put_u16(a.pkid);
    if a.reason != 0 || !a.properties.is_empty() {
        body.put_u8(a.reason);
    }
    if !a.properties.is_empty() {
        put_properties(&mut body, |out| reason_and_user(out, &a.properties));
    }
    frame(first, &body, buf);
}

/// DISCONNECT: empty for a normal disconnection, the reason code alone without properties;
/// properties in the order `-D disconnect` gave them, else in mosquitto's.
pub(super) fn disconnect(r: &Reason, buf: &mut BytesMut) {
    reason_packet(0xE0, r, buf, |out, p| {
        super::props_out::put(out, p, &[0x11, 0x1C, 0x1F, 0x26]);
    });
}

/// AUTH: empty for success without properties (MQTT-3.15.2.1), else the reason code and its
/// (always empty: we never take part in enhanced authentication) property length.
pub(super) fn auth(r: &Reason, buf: &mut BytesMut) {
    let mut body = BytesMut::with_capacity(2);
    if r.code != 0 {
        body.put_slice(&[r.code, 0]);
    }
    frame(0xF0, &body, buf);
}

/// CONNACK with its properties in mosquitto's order: Topic Alias Maximum, Server Keep Alive
/// and Assigned Client Identifier (added as it accepts the CONNECT, in `handle_connect.c`),
/// then Retain Available, Maximum Packet Size, Receive Maximum and Maximum QoS (added by
/// `send__connack`); the ones mosquitto never sends follow in identifier order.
pub(super) fn connack(c: &ConnAck, buf: &mut BytesMut) {
    let p = &*c.properties;
    let mut body = BytesMut::with_capacity(16);
    body.put_u8(c.session_present as u8);
    body.put_u8(c.code);
    put_properties(&mut body, |out| {
        u16_prop(out, 0x22, p.topic_alias_maximum);
        u16_prop(out, 0x13, p.server_keep_alive);
        str_prop(out, 0x12, p.assigned_client_identifier.as_deref());
        str_prop(out, 0x15, p.authentication_method.as_deref());
        bin_prop(out, 0x16, p.authentication_data.as_deref());
        u8_prop(out, 0x25, p.retain_available);
        u32_prop(out, 0x27, p.maximum_packet_size);
        u16_prop(out, 0x21, p.receive_maximum);
        u8_prop(out, 0x24, p.maximum_qos);
        u32_prop(out, 0x11, p.session_expiry_interval);
        str_prop(out, 0x1A, p.response_information.as_deref());
        str_prop(out, 0x1C, p.server_reference.as_deref());
        u8_prop(out, 0x28, p.wildcard_subscription_available);
        u8_prop(out, 0x29, p.subscription_identifier_available);
        u8_prop(out, 0x2A, p.shared_subscription_available);
        reason_and_user(out, p);
    });
    frame(0x20, &body, buf);
}

/// SUBACK (`first` 0x90) or UNSUBACK (0xB0): packet id, properties, one code per filter.
pub(super) fn suback(first: u8, s: &SubAck, buf: &mut BytesMut) {
    let mut body = BytesMut::with_capacity(3 + s.codes.len());
    body.put_u16(s.pkid);
    put_properties(&mut body, |out| reason_and_user(out, &s.properties));
    body.put_slice(&s.codes);
    frame(first, &body, buf);
}

/// DISCONNECT-shaped packets: nothing for 0x00 without properties, the code alone without
/// properties, else the code and the properties `write` puts.
fn reason_packet(
    first: u8,
    r: &Reason,
    buf: &mut BytesMut,
    write: impl FnOnce(&mut BytesMut, &Properties),
) {
    let mut body = BytesMut::with_capacity(2);
    if r.code != 0 || !r.properties.is_empty() {
        body.put_u8(r.code);
    }
    if !r.properties.is_empty() {
        put_properties(&mut body, |out| write(out, &r.properties));
    }
    frame(first, &body, buf);
}

/// Reason String, then the User Properties in their order: what every acknowledgement may carry.
fn reason_and_user(out: &mut BytesMut, p: &Properties) {
    str_prop(out, 0x1F, p.reason_string.as_deref());
    for (key, value) in &p.user_properties {
        out.put_u8(0x26);
        put_string(out, key.as_bytes());
        put_string(out, value.as_bytes());
    }
}

/// Writes the property block `write` fills, prefixed by its length.
fn put_properties(body: &mut BytesMut, write: impl FnOnce(&mut BytesMut)) {
    let mut props = BytesMut::new();
    write(&mut props);
    put_varint(body, props.len());
    body.put_slice(&props);
}

fn frame(first: u8, body: &[u8], buf: &mut BytesMut) {
    buf.put_u8(first);
    put_varint(buf, body.len());
    buf.put_slice(body);
}

fn u8_prop(out: &mut BytesMut, id: u8, value: Option<u8>) {
    if let Some(v) = value {
        out.put_slice(&[id, v]);
    }
}

fn u16_prop(out: &mut BytesMut, id: u8, value: Option<u16>) {
    if let Some(v) = value {
        out.put_u8(id);
        out.put_u16(v);
    }
}

fn u32_prop(out: &mut BytesMut, id: u8, value: Option<u32>) {
    if let Some(v) = value {
        out.put_u8(id);
        out.put_u32(v);
    }
}

fn str_prop(out: &mut BytesMut, id: u8, value: Option<&str>) {
    bin_prop(out, id, value.map(str::as_bytes));
}

fn bin_prop(out: &mut BytesMut, id: u8, value: Option<&[u8]>) {
    if let Some(v) = value {
        out.put_u8(id);
        put_string(out, v);
    }
}
