//! The MQTT 5 control packets written by hand, in the forms mosquitto 2.0 sends.
//!
//! MQTT 5 lets a sender drop trailing fields that carry their default: an acknowledgement's
//! reason code when it is 0x00 and its property length when there are no properties
//! (MQTT-3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1), a DISCONNECT's property length likewise
//! (3.14.2.2.1). rumqttc always writes both, and orders CONNACK properties its own way; test
//! suites that compare bytes with mosquitto's (client libraries', devices') then fail. So
//! acknowledgements, DISCONNECT, CONNACK, SUBACK, UNSUBACK and AUTH are framed here, byte
//! for byte as mosquitto 2.0.11 frames them (`tests/wire.rs` compares the two).

use super::props_out;
use super::publish::put_varint;
use super::{Ack, ConnAck, Reason, SubAck};
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
        props_out::put_block(&mut body, &a.properties, &REASON_AND_USER);
    }
    frame(first, &body, buf);
}

/// DISCONNECT: empty for a normal disconnection, the reason code alone without properties;
/// properties in the order `-D disconnect` gave them, else in mosquitto's.
pub(super) fn disconnect(r: &Reason, buf: &mut BytesMut) {
    reason_packet(0xE0, r, buf, &[0x11, 0x1C, 0x1F, 0x26]);
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

/// CONNACK with its properties in mosquitto's order ([`CONNACK_PROPERTIES`]).
pub(super) fn connack(c: &ConnAck, buf: &mut BytesMut) {
    let p = &*c.properties;
    let mut body = BytesMut::with_capacity(16);
    body.put_u8(c.session_present as u8);
    body.put_u8(c.code);
    props_out::put_block(&mut body, p, &CONNACK_PROPERTIES);
    frame(0x20, &body, buf);
}

/// SUBACK (`first` 0x90) or UNSUBACK (0xB0): packet id, properties, one code per filter.
pub(super) fn suback(first: u8, s: &SubAck, buf: &mut BytesMut) {
    let mut body = BytesMut::with_capacity(3 + s.codes.len());
    body.put_u16(s.pkid);
    props_out::put_block(&mut body, &s.properties, &REASON_AND_USER);
    body.put_slice(&s.codes);
    frame(first, &body, buf);
}

/// DISCONNECT-shaped packets: nothing for 0x00 without properties, the code alone without
/// properties, else the code and the properties `ids` allows.
fn reason_packet(first: u8, r: &Reason, buf: &mut BytesMut, ids: &[u8]) {
    let mut body = BytesMut::with_capacity(2);
    if r.code != 0 || !r.properties.is_empty() {
        body.put_u8(r.code);
    }
    if !r.properties.is_empty() {
        props_out::put_block(&mut body, &r.properties, ids);
    }
    frame(first, &body, buf);
}

/// Reason String, then the User Properties: what every acknowledgement may carry.
const REASON_AND_USER: [u8; 2] = [0x1F, 0x26];

/// CONNACK's properties in mosquitto's order: Topic Alias Maximum, Server Keep Alive and
/// Assigned Client Identifier (added as it accepts the CONNECT, in `handle_connect.c`), then
/// Retain Available, Maximum Packet Size, Receive Maximum and Maximum QoS (added by
/// `send__connack`); the ones mosquitto never sends follow in identifier order.
const CONNACK_PROPERTIES: [u8; 17] = [
    0x22, 0x13, 0x12, 0x15, 0x16, 0x25, 0x27, 0x21, 0x24, 0x11, 0x1A, 0x1C, 0x28, 0x29, 0x2A, 0x1F,
    0x26,
];

fn frame(first: u8, body: &[u8], buf: &mut BytesMut) {
    buf.put_u8(first);
    put_varint(buf, body.len());
    buf.put_slice(body);
}
