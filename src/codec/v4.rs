//! MQTT 3.1 and 3.1.1 wire format through `rumqttc::mqttbytes::v4`.
//!
//! rumqttc knows only the `MQTT` protocol name, so a 3.1 (`MQIsdp`, level 3) CONNECT is
//! rewritten into its 3.1.1 twin before decoding; every later 3.1 packet is framed like 3.1.1.

use super::{
    Ack, ConnAck, Connect, Error, Packet, Properties, Props, QoS, Reason, SubAck, Subscribe,
    Subscription, Unsubscribe, Version, Will,
};
use bytes::{BufMut, Bytes, BytesMut};
use rumqttc::mqttbytes::{self as mb, v4};

qos_conversions!(rumqttc::mqttbytes::QoS);

fn malformed(e: mb::Error) -> Error {
    Error::Malformed(e.to_string())
}

/// Decodes a server's first packet, which must be CONNECT, at whatever level it names.
pub(super) fn decode_connect(frame: BytesMut) -> Result<Packet, Error> {
    if frame[0] != 0x10 {
        return Err(Error::Malformed("first packet is not CONNECT".into()));
    }
    let (header_len, _) = super::validate::frame(&frame)?.unwrap_or((2, 0));
    let body = &frame[header_len..];
    let name_len = body
        .get(..2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize);
    let name = name_len.and_then(|n| body.get(2..2 + n));
    let level = name_len.and_then(|n| body.get(2 + n)).copied();
    let flags = name_len.and_then(|n| body.get(3 + n)).copied();
    check_connect_flags(level, flags.unwrap_or(0))?;
    match (name, level) {
        (Some(b"MQTT"), Some(4)) => decode(frame),
        (Some(b"MQTT"), Some(5)) => super::v5::decode(frame),
        (Some(b"MQIsdp"), Some(3)) => decode_v31_connect(&frame[header_len + 9..]),
        (Some(b"MQTT" | b"MQIsdp"), Some(level)) => Err(Error::UnsupportedVersion(level)),
        _ => Err(Error::Malformed("unknown protocol name".into())),
    }
}

/// The connect flags mosquitto refuses before reading further (and closes without CONNACK):
/// the reserved bit in 3.1.1 and 5 (MQTT-3.1.2-3), and below MQTT 5 a password without a
/// user name (MQTT-3.1.2-22).
fn check_connect_flags(level: Option<u8>, flags: u8) -> Result<(), Error> {
    if flags & 0x01 != 0 && level >= Some(4) {
        return Err(Error::Protocol("reserved connect flag set"));
    }
    if flags & 0xC0 == 0x40 && level < Some(5) {
        return Err(Error::Protocol("password without user name"));
    }
    Ok(())
}

/// Re-frames a 3.1 CONNECT's body (everything after name and level) as 3.1.1 and decodes it.
fn decode_v31_connect(rest: &[u8]) -> Result<Packet, Error> {
    let mut frame = BytesMut::with_capacity(rest.len() + 12);
    frame.put_u8(0x10);
    super::publish::put_varint(&mut frame, rest.len() + 7);
    frame.put_slice(b"\x00\x04MQTT\x04");
    frame.put_slice(rest);
    match decode(frame)? {
        Packet::Connect(mut c) => {
            c.version = Version::V31;
            Ok(Packet::Connect(c))
        }
        _ => Err(Error::Malformed("CONNECT expected".into())),
    }
}

/// Encodes a 3.1 CONNECT: the 3.1.1 form with protocol name `MQIsdp` and level 3 in place of
/// `MQTT` and 4; the rest of the packet is the same in both.
fn encode_v31_connect(c: &Connect, buf: &mut BytesMut) -> Result<(), Error> {
    let mut v311 = BytesMut::new();
    v4::Packet::Connect(connect_out(c)?)
        .write(&mut v311, usize::MAX)
        .map_err(malformed)?;
    let Some((header, _)) = super::validate::frame(&v311)? else {
        return Err(Error::Malformed("CONNECT frame cut short".into()));
    };
    let rest = &v311[header + 7..];
    buf.put_u8(0x10);
    super::publish::put_varint(buf, rest.len() + 9);
    buf.put_slice(b"\x00\x06MQIsdp\x03");
    buf.put_slice(rest);
    Ok(())
}

/// Decodes one whole 3.1.1 frame.
pub(super) fn decode(mut frame: BytesMut) -> Result<Packet, Error> {
    if frame[0] >> 4 == 3 {
        return super::publish_in::decode(frame.freeze(), false).map(Packet::Publish);
    }
    let packet = v4::Packet::read(&mut frame, usize::MAX).map_err(malformed)?;
    Ok(match packet {
        v4::Packet::Connect(c) => Packet::Connect(Box::new(connect_in(c))),
        v4::Packet::ConnAck(c) => Packet::ConnAck(ConnAck {
            session_present: c.session_present,
            code: c.code as u8,
            properties: Props::default(),
        }),
        // Read by `publish_in` above: rumqttc never sees a PUBLISH frame.
        v4::Packet::Publish(_) => return Err(Error::Malformed("unexpected PUBLISH".into())),
        v4::Packet::PubAck(a) => Packet::PubAck(Ack::new(a.pkid)),
        v4::Packet::PubRec(a) => Packet::PubRec(Ack::new(a.pkid)),
        v4::Packet::PubRel(a) => Packet::PubRel(Ack::new(a.pkid)),
        v4::Packet::PubComp(a) => Packet::PubComp(Ack::new(a.pkid)),
        v4::Packet::Subscribe(s) => Packet::Subscribe(Subscribe {
            pkid: s.pkid,
            filters: s
                .filters
                .into_iter()
                .map(|f| Subscription {
                    filter: f.path,
                    qos: qos_in(f.qos),
                    ..Subscription::default()
                })
                .collect(),
            properties: Props::default(),
        }),
        v4::Packet::SubAck(s) => Packet::SubAck(SubAck {
            pkid: s.pkid,
            codes: s.return_codes.iter().map(suback_code).collect(),
            properties: Props::default(),
        }),
        v4::Packet::Unsubscribe(u) => Packet::Unsubscribe(Unsubscribe {
            pkid: u.pkid,
            filters: u.topics,
            properties: Props::default(),
        }),
        v4::Packet::UnsubAck(u) => Packet::UnsubAck(SubAck {
            pkid: u.pkid,
            ..SubAck::default()
        }),
        v4::Packet::PingReq => Packet::PingReq,
        v4::Packet::PingResp => Packet::PingResp,
        v4::Packet::Disconnect => Packet::Disconnect(Reason::default()),
    })
}

fn suback_code(code: &v4::SubscribeReasonCode) -> u8 {
    match code {
        v4::SubscribeReasonCode::Success(qos) => *qos as u8,
        v4::SubscribeReasonCode::Failure => 0x80,
    }
}

fn connect_in(c: v4::Connect) -> Connect {
    let (username, password) = match c.login {
        Some(l) => (
            Some(l.username).filter(|u| !u.is_empty()),
            Some(Bytes::from(l.password)).filter(|p| !p.is_empty()),
        ),
        None => (None, None),
    };
    Connect {
        version: Version::V311,
        client_id: c.client_id,
        clean_start: c.clean_session,
        keep_alive: c.keep_alive,
        username,
        password,
        will: c.last_will.map(|w| Will {
            topic: w.topic,
            payload: w.message,
            qos: qos_in(w.qos),
            retain: w.retain,
            properties: Properties::default(),
        }),
        properties: Properties::default(),
    }
}

/// Encodes one packet as 3.1.1 (or 3.1, which differs only in CONNECT).
pub(super) fn encode(packet: &Packet, buf: &mut BytesMut) -> Result<(), Error> {
    let packet = match packet {
        // A CONNECT names its own level: 3.1 is written as 3.1 whatever the connection's.
        Packet::Connect(c) if c.version == Version::V31 => return encode_v31_connect(c, buf),
        Packet::Connect(c) => v4::Packet::Connect(connect_out(c)?),
        Packet::ConnAck(c) => {
            v4::Packet::ConnAck(v4::ConnAck::new(connack_code(c.code)?, c.session_present))
        }
        // Only the reference `publish_tests` hold `encode_publish` to: `encode` never comes here.
        Packet::Publish(p) => v4::Packet::Publish(v4::Publish {
            dup: p.dup,
            qos: qos_out(p.qos),
            retain: p.retain,
            topic: p.topic.clone(),
            pkid: p.pkid,
            payload: p.payload.clone(),
        }),
        Packet::PubAck(a) => v4::Packet::PubAck(v4::PubAck::new(a.pkid)),
        Packet::PubRec(a) => v4::Packet::PubRec(v4::PubRec::new(a.pkid)),
        Packet::PubRel(a) => v4::Packet::PubRel(v4::PubRel::new(a.pkid)),
        Packet::PubComp(a) => v4::Packet::PubComp(v4::PubComp::new(a.pkid)),
        Packet::Subscribe(s) => v4::Packet::Subscribe(v4::Subscribe {
            pkid: s.pkid,
            filters: s
                .filters
                .iter()
                .map(|f| v4::SubscribeFilter::new(f.filter.clone(), qos_out(f.qos)))
                .collect(),
        }),
        Packet::SubAck(s) => v4::Packet::SubAck(v4::SubAck::new(
            s.pkid,
            s.codes.iter().map(|&c| suback_reason(c)).collect(),
        )),
        Packet::Unsubscribe(u) => v4::Packet::Unsubscribe(v4::Unsubscribe {
            pkid: u.pkid,
            topics: u.filters.clone(),
        }),
        Packet::UnsubAck(u) => v4::Packet::UnsubAck(v4::UnsubAck::new(u.pkid)),
        Packet::PingReq => v4::Packet::PingReq,
        Packet::PingResp => v4::Packet::PingResp,
        Packet::Disconnect(_) => v4::Packet::Disconnect,
        Packet::Auth(_) => return Err(Error::Malformed("AUTH does not exist in MQTT 3".into())),
    };
    packet.write(buf, usize::MAX).map(|_| ()).map_err(malformed)
}

fn suback_reason(code: u8) -> v4::SubscribeReasonCode {
    match QoS::from_u8(code) {
        Some(qos) => v4::SubscribeReasonCode::Success(qos_out(qos)),
        None => v4::SubscribeReasonCode::Failure,
    }
}

fn connack_code(code: u8) -> Result<v4::ConnectReturnCode, Error> {
    use v4::ConnectReturnCode as C;
    Ok(match code {
        0 => C::Success,
        1 => C::RefusedProtocolVersion,
        2 => C::BadClientId,
        3 => C::ServiceUnavailable,
        4 => C::BadUserNamePassword,
        5 => C::NotAuthorized,
        other => {
            return Err(Error::Malformed(format!(
                "CONNACK code {other} is not MQTT 3"
            )))
        }
    })
}

fn connect_out(c: &Connect) -> Result<v4::Connect, Error> {
    let password = match &c.password {
        Some(p) => String::from_utf8(p.to_vec())
            .map_err(|_| Error::Malformed("password is not UTF-8".into()))?,
        None => String::new(),
    };
    // rumqttc writes no user name flag for an empty one; a password alone is not 3.1.1.
    let username = c.username.clone().unwrap_or_default();
    if username.is_empty() && !password.is_empty() {
        return Err(Error::Malformed("3.1.1 password without user name".into()));
    }
    let login = (!username.is_empty()).then(|| v4::Login::new(username, password));
    Ok(v4::Connect {
        protocol: mb::Protocol::V4,
        keep_alive: c.keep_alive,
        client_id: c.client_id.clone(),
        clean_session: c.clean_start,
        last_will: c.will.as_ref().map(|w| v4::LastWill {
            topic: w.topic.clone(),
            message: w.payload.clone(),
            qos: qos_out(w.qos),
            retain: w.retain,
        }),
        login,
    })
}
