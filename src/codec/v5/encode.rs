//! MQTT 5 packets written: by hand where mosquitto's bytes differ from rumqttc's (CONNECT,
//! SUBSCRIBE and the [`short`] forms), through rumqttc for the rest, once reason codes are
//! checked against the tables in [`super`].

use super::{
    connack_reason, malformed, puback_reason, pubcomp_reason, pubrec_reason, pubrel_reason,
    qos_out, some_if, suback_reason, unsuback_reason,
};
use crate::codec::{props_out, short};
use crate::codec::{Ack, ConnAck, Connect, Error, Packet, Properties, Reason, Subscribe};
use bytes::{BufMut, Bytes, BytesMut};
use rumqttc::v5::mqttbytes::v5;

/// Encodes one packet as MQTT 5.
pub(in crate::codec) fn encode(packet: &Packet, buf: &mut BytesMut) -> Result<(), Error> {
    let packet = match packet {
        Packet::Disconnect(r) => return encode_disconnect(r, buf),
        Packet::ConnAck(c) => return encode_connack(c, buf),
        Packet::Auth(r) => return encode_auth(r, buf),
        Packet::Connect(c) => return encode_connect(c, buf),
        // Only the reference `publish_tests` hold `encode_publish` to: `encode` never comes here.
        Packet::Publish(p) => v5::Packet::Publish(v5::Publish {
            dup: p.dup,
            qos: qos_out(p.qos),
            retain: p.retain,
            topic: Bytes::copy_from_slice(p.topic.as_bytes()),
            pkid: p.pkid,
            payload: p.payload.clone(),
            properties: publish_props_out(&p.properties),
        }),
        Packet::PubAck(a) => return checked_ack(0x40, a, puback_reason, buf),
        Packet::PubRec(a) => return checked_ack(0x50, a, pubrec_reason, buf),
        Packet::PubRel(a) => return checked_ack(0x62, a, pubrel_reason, buf),
        Packet::PubComp(a) => return checked_ack(0x70, a, pubcomp_reason, buf),
        Packet::Subscribe(s) => return encode_subscribe(s, buf),
        Packet::SubAck(s) => {
            for &code in &s.codes {
                suback_reason(code)?;
            }
            short::suback(0x90, s, buf);
            return Ok(());
        }
        Packet::Unsubscribe(u) => v5::Packet::Unsubscribe(v5::Unsubscribe {
            pkid: u.pkid,
            filters: u.filters.clone(),
            properties: some_if(u.properties.user_properties.is_empty(), || {
                v5::UnsubscribeProperties {
                    user_properties: u.properties.user_properties.clone(),
                }
            }),
        }),
        Packet::UnsubAck(u) => {
            for &code in &u.codes {
                unsuback_reason(code)?;
            }
            short::suback(0xB0, u, buf);
            return Ok(());
        }
        Packet::PingReq => v5::Packet::PingReq(v5::PingReq),
        Packet::PingResp => v5::Packet::PingResp(v5::PingResp),
    };
    packet.write(buf, None).map(|_| ()).map_err(malformed)
}

/// CONNECT by hand, so its properties and its will's go out in the order given (`-D`), as
/// mosquitto_pub sends them; without an order, in rumqttc's.
fn encode_connect(c: &Connect, buf: &mut BytesMut) -> Result<(), Error> {
    let mut body = BytesMut::new();
    crate::codec::publish::put_string(&mut body, b"MQTT");
    body.put_u8(5);
    let will = c.will.as_ref();
    let flags = u8::from(c.clean_start) << 1
        | will.map_or(0, |w| 0x04 | (w.qos as u8) << 3 | u8::from(w.retain) << 5)
        | u8::from(c.password.is_some()) << 6
        | u8::from(c.username.is_some()) << 7;
    body.put_u8(flags);
    body.put_u16(c.keep_alive);
    props_out::put_block(&mut body, &c.properties, &CONNECT_PROPERTIES);
    put_field(&mut body, c.client_id.as_bytes(), "client id")?;
    if let Some(w) = will {
        props_out::put_block(&mut body, &w.properties, &WILL_PROPERTIES);
        put_field(&mut body, w.topic.as_bytes(), "will topic")?;
        put_field(&mut body, &w.payload, "will payload")?;
    }
    if let Some(username) = &c.username {
        put_field(&mut body, username.as_bytes(), "user name")?;
    }
    if let Some(password) = &c.password {
        put_field(&mut body, password, "password")?;
    }
    buf.put_u8(0x10);
    crate::codec::publish::put_varint(buf, body.len());
    buf.put_slice(&body);
    Ok(())
}

/// A CONNECT's properties in rumqttc's order, for those `-D` did not order.
const CONNECT_PROPERTIES: [u8; 9] = [0x11, 0x21, 0x27, 0x22, 0x19, 0x17, 0x26, 0x15, 0x16];
/// A will's properties in rumqttc's order.
const WILL_PROPERTIES: [u8; 7] = [0x18, 0x01, 0x02, 0x03, 0x08, 0x09, 0x26];

/// A length-prefixed field, which must fit its 16-bit length.
fn put_field(body: &mut BytesMut, bytes: &[u8], what: &str) -> Result<(), Error> {
    if bytes.len() > usize::from(u16::MAX) {
        return Err(Error::Malformed(format!("{what} longer than 65,535 bytes")));
    }
    crate::codec::publish::put_string(body, bytes);
    Ok(())
}

/// SUBSCRIBE by hand, so `-D subscribe` properties go out in the order given, as
/// mosquitto_sub sends them.
fn encode_subscribe(s: &Subscribe, buf: &mut BytesMut) -> Result<(), Error> {
    let mut body = BytesMut::new();
    body.put_u16(s.pkid);
    props_out::put_block(&mut body, &s.properties, &[0x0B, 0x26]);
    for f in &s.filters {
        put_field(&mut body, f.filter.as_bytes(), "topic filter")?;
        body.put_u8(
            f.qos as u8
                | u8::from(f.no_local) << 2
                | u8::from(f.retain_as_published) << 3
                | f.retain_handling.min(2) << 4,
        );
    }
    buf.put_u8(0x82);
    crate::codec::publish::put_varint(buf, body.len());
    buf.put_slice(&body);
    Ok(())
}

/// An acknowledgement in mosquitto's short form, once `table` knows its reason code.
fn checked_ack<T>(
    first: u8,
    a: &Ack,
    table: fn(u8) -> Result<T, Error>,
    buf: &mut BytesMut,
) -> Result<(), Error> {
    table(a.reason)?;
    short::ack(first, a, buf);
    Ok(())
}

/// DISCONNECT in mosquitto's short forms, for reason codes the spec lists.
fn encode_disconnect(r: &Reason, buf: &mut BytesMut) -> Result<(), Error> {
    v5::DisconnectReasonCode::try_from(r.code).map_err(malformed)?;
    short::disconnect(r, buf);
    Ok(())
}

/// AUTH: we never start enhanced authentication, so a bare reason code is all we send.
fn encode_auth(r: &Reason, buf: &mut BytesMut) -> Result<(), Error> {
    if !r.properties.is_empty() {
        return Err(Error::Malformed("AUTH properties are not supported".into()));
    }
    short::auth(r, buf);
    Ok(())
}

/// CONNACK in mosquitto's property order, for MQTT 5 codes only (3.1.1's 1-5 are not MQTT 5).
fn encode_connack(c: &ConnAck, buf: &mut BytesMut) -> Result<(), Error> {
    if c.code != 0 && c.code < 0x80 {
        return Err(Error::Malformed(format!(
            "CONNACK code {:#04x} is not MQTT 5",
            c.code
        )));
    }
    connack_reason(c.code)?;
    short::connack(c, buf);
    Ok(())
}

fn publish_props_out(p: &Properties) -> Option<v5::PublishProperties> {
    let props = v5::PublishProperties {
        payload_format_indicator: p.payload_format_indicator,
        message_expiry_interval: p.message_expiry_interval,
        topic_alias: p.topic_alias,
        response_topic: p.response_topic.clone(),
        correlation_data: p.correlation_data.clone(),
        user_properties: p.user_properties.clone(),
        subscription_identifiers: p
            .subscription_identifiers
            .iter()
            .map(|&i| i as usize)
            .collect(),
        content_type: p.content_type.clone(),
    };
    some_if(props == v5::PublishProperties::default(), || props)
}
