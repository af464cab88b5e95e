//! MQTT 5 wire format through `rumqttc::v5::mqttbytes::v5`.
//!
//! rumqttc keeps its reason-code tables private, so the tables below restate them. It reads
//! every packet but PUBLISH and AUTH; what a broker answers with (acknowledgements, CONNACK,
//! SUBACK, UNSUBACK, DISCONNECT, AUTH) is written by [`short`] in mosquitto's forms, once the
//! reason codes are checked against these tables.

mod encode;

use super::{
    Ack, ConnAck, Connect, Error, Packet, Properties, Props, QoS, Reason, SubAck, Subscribe,
    Subscription, Unsubscribe, Version, Will,
};
use bytes::{Bytes, BytesMut};
pub(super) use encode::encode;
use rumqttc::v5::mqttbytes::{self as mb, v5};

/// Maps rumqttc reason enums to and from their wire bytes; enums listed together share a table.
macro_rules! codes {
    ([$($enum:ty, $to:ident, $from:ident);+] $table:tt) => {
        $(codes!(@one $enum, $to, $from $table);)+
    };
    (@one $enum:ty, $to:ident, $from:ident { $($variant:ident = $code:expr),* $(,)? }) => {
        fn $to(value: &$enum) -> u8 {
            match value { $(<$enum>::$variant => $code),* }
        }
        fn $from(code: u8) -> Result<$enum, Error> {
            match code {
                $($code => Ok(<$enum>::$variant),)*
                other => Err(Error::Malformed(format!("invalid reason code {other:#04x}"))),
            }
        }
    };
}

codes!([
    v5::PubAckReason, puback_code, puback_reason;
    v5::PubRecReason, pubrec_code, pubrec_reason] {
    Success = 0x00, NoMatchingSubscribers = 0x10, UnspecifiedError = 0x80,
    ImplementationSpecificError = 0x83, NotAuthorized = 0x87, TopicNameInvalid = 0x90,
    PacketIdentifierInUse = 0x91, QuotaExceeded = 0x97, PayloadFormatInvalid = 0x99,
});
codes!([
    v5::PubRelReason, pubrel_code, pubrel_reason;
    v5::PubCompReason, pubcomp_code, pubcomp_reason] {
    Success = 0x00, PacketIdentifierNotFound = 0x92,
});
codes!([v5::UnsubAckReason, unsuback_code, unsuback_reason] {
    Success = 0x00, NoSubscriptionExisted = 0x11, UnspecifiedError = 0x80,
    ImplementationSpecificError = 0x83, NotAuthorized = 0x87, TopicFilterInvalid = 0x8F,
    PacketIdentifierInUse = 0x91,
});
codes!([v5::ConnectReturnCode, connack_code, connack_reason] {
    Success = 0x00, UnspecifiedError = 0x80, MalformedPacket = 0x81, ProtocolError = 0x82,
    ImplementationSpecificError = 0x83, UnsupportedProtocolVersion = 0x84,
    ClientIdentifierNotValid = 0x85, BadUserNamePassword = 0x86, NotAuthorized = 0x87,
    ServerUnavailable = 0x88, ServerBusy = 0x89, Banned = 0x8A, BadAuthenticationMethod = 0x8C,
    TopicNameInvalid = 0x90, PacketTooLarge = 0x95, QuotaExceeded = 0x97,
    PayloadFormatInvalid = 0x99, RetainNotSupported = 0x9A, QoSNotSupported = 0x9B,
    UseAnotherServer = 0x9C, ServerMoved = 0x9D, ConnectionRateExceeded = 0x9F,
    // 3.1.1-only codes that share rumqttc's enum; never produced by `connack_reason`'s callers.
    RefusedProtocolVersion = 0x01, BadClientId = 0x02, ServiceUnavailable = 0x03,
});

fn suback_code(value: &v5::SubscribeReasonCode) -> u8 {
    use v5::SubscribeReasonCode as R;
    match value {
        R::Success(qos) => *qos as u8,
        R::Failure | R::Unspecified => 0x80,
        R::ImplementationSpecific => 0x83,
        R::NotAuthorized => 0x87,
        R::TopicFilterInvalid => 0x8F,
        R::PkidInUse => 0x91,
        R::QuotaExceeded => 0x97,
        R::SharedSubscriptionsNotSupported => 0x9E,
        R::SubscriptionIdNotSupported => 0xA1,
        R::WildcardSubscriptionsNotSupported => 0xA2,
    }
}

fn suback_reason(code: u8) -> Result<v5::SubscribeReasonCode, Error> {
    use v5::SubscribeReasonCode as R;
    Ok(match code {
        0..=2 => R::Success(qos_out(QoS::from_u8(code).unwrap_or_default())),
        0x80 => R::Unspecified,
        0x83 => R::ImplementationSpecific,
        0x87 => R::NotAuthorized,
        0x8F => R::TopicFilterInvalid,
        0x91 => R::PkidInUse,
        0x97 => R::QuotaExceeded,
        0x9E => R::SharedSubscriptionsNotSupported,
        0xA1 => R::SubscriptionIdNotSupported,
        0xA2 => R::WildcardSubscriptionsNotSupported,
        other => {
            return Err(Error::Malformed(format!(
                "invalid SUBACK code {other:#04x}"
            )))
        }
    })
}

qos_conversions!(rumqttc::v5::mqttbytes::QoS);

fn malformed(e: mb::Error) -> Error {
    Error::Malformed(e.to_string())
}

fn utf8(bytes: Bytes, what: &str) -> Result<String, Error> {
    String::from_utf8(bytes.to_vec()).map_err(|_| Error::Malformed(format!("{what} is not UTF-8")))
}

/// `Some(props)` unless `props` is empty, as rumqttc expects for "no properties".
fn some_if<T>(empty: bool, build: impl FnOnce() -> T) -> Option<T> {
    (!empty).then(build)
}

/// Reason string and user properties: the property set of every acknowledgement read.
macro_rules! ack_props {
    ($ty:ident, $in:ident) => {
        fn $in(p: Option<v5::$ty>) -> Properties {
            p.map(|p| Properties {
                reason_string: p.reason_string,
                user_properties: p.user_properties,
                ..Properties::default()
            })
            .unwrap_or_default()
        }
    };
}

ack_props!(PubAckProperties, puback_props_in);
ack_props!(PubRecProperties, pubrec_props_in);
ack_props!(PubRelProperties, pubrel_props_in);
ack_props!(PubCompProperties, pubcomp_props_in);
ack_props!(SubAckProperties, suback_props_in);
ack_props!(UnsubAckProperties, unsuback_props_in);

fn connect_props_in(p: Option<v5::ConnectProperties>) -> Properties {
    let Some(p) = p else {
        return Properties::default();
    };
    Properties {
        session_expiry_interval: p.session_expiry_interval,
        receive_maximum: p.receive_maximum,
        maximum_packet_size: p.max_packet_size,
        topic_alias_maximum: p.topic_alias_max,
        request_response_information: p.request_response_info,
        request_problem_information: p.request_problem_info,
        user_properties: p.user_properties,
        authentication_method: p.authentication_method,
        authentication_data: p.authentication_data,
        ..Properties::default()
    }
}

fn will_props_in(p: Option<v5::LastWillProperties>) -> Properties {
    let Some(p) = p else {
        return Properties::default();
    };
    Properties {
        will_delay_interval: p.delay_interval,
        payload_format_indicator: p.payload_format_indicator,
        message_expiry_interval: p.message_expiry_interval,
        content_type: p.content_type,
        response_topic: p.response_topic,
        correlation_data: p.correlation_data,
        user_properties: p.user_properties,
        ..Properties::default()
    }
}

fn connack_props_in(p: Option<v5::ConnAckProperties>) -> Properties {
    let Some(p) = p else {
        return Properties::default();
    };
    Properties {
        session_expiry_interval: p.session_expiry_interval,
        receive_maximum: p.receive_max,
        maximum_qos: p.max_qos,
        retain_available: p.retain_available,
        maximum_packet_size: p.max_packet_size,
        assigned_client_identifier: p.assigned_client_identifier,
        topic_alias_maximum: p.topic_alias_max,
        reason_string: p.reason_string,
        user_properties: p.user_properties,
        wildcard_subscription_available: p.wildcard_subscription_available,
        subscription_identifier_available: p.subscription_identifiers_available,
        shared_subscription_available: p.shared_subscription_available,
        server_keep_alive: p.server_keep_alive,
        response_information: p.response_information,
        server_reference: p.server_reference,
        authentication_method: p.authentication_method,
        authentication_data: p.authentication_data,
        ..Properties::default()
    }
}

fn disconnect_props_in(p: Option<v5::DisconnectProperties>) -> Properties {
    let Some(p) = p else {
        return Properties::default();
    };
    Properties {
        session_expiry_interval: p.session_expiry_interval,
        reason_string: p.reason_string,
        user_properties: p.user_properties,
        server_reference: p.server_reference,
        ..Properties::default()
    }
}

/// Decodes one whole MQTT 5 frame.
pub(super) fn decode(mut frame: BytesMut) -> Result<Packet, Error> {
    match (frame[0] >> 4, frame.len()) {
        // rumqttc rejects the short DISCONNECT forms the spec allows (and its own client sends).
        (14, 2) => return Ok(Packet::Disconnect(Reason::default())),
        (14, 3) => {
            return Ok(Packet::Disconnect(Reason {
                code: frame[2],
                properties: Props::default(),
            }))
        }
        // An MQTT 3 broker answers an MQTT 5 CONNECT with its own CONNACK, code 1 ("unacceptable
        // protocol version") and no properties; libmosquitto reads it as 0x84, and so do we.
        (2, 4) if frame[3] == 1 => {
            return Ok(Packet::ConnAck(ConnAck {
                session_present: false,
                code: super::UNSUPPORTED_PROTOCOL_VERSION,
                properties: Props::default(),
            }))
        }
        (15, _) => return decode_auth(frame.freeze()),
        (3, _) => return super::publish_in::decode(frame.freeze(), true).map(Packet::Publish),
        (8, _) => {
            let (header_len, _) = super::validate::frame(&frame)?.unwrap_or((2, 0));
            super::validate::subscription_options(&frame[header_len..])?;
        }
        _ => {}
    }
    let will_order = match frame[0] {
        0x10 => will_order(&frame).unwrap_or_default(),
        _ => Vec::new(),
    };
    let packet = v5::Packet::read(&mut frame, None).map_err(malformed)?;
    Ok(match packet {
        v5::Packet::Connect(c, will, login) => {
            let mut connect = connect_in(c, will, login)?;
            if let Some(will) = &mut connect.will {
                will.properties.order = super::WireOrder(will_order);
            }
            Packet::Connect(Box::new(connect))
        }
        v5::Packet::ConnAck(c) => Packet::ConnAck(ConnAck {
            session_present: c.session_present,
            code: connack_code(&c.code),
            properties: connack_props_in(c.properties).into(),
        }),
        // Read by `publish_in` above: rumqttc never sees a PUBLISH frame.
        v5::Packet::Publish(_) => return Err(Error::Malformed("unexpected PUBLISH".into())),
        v5::Packet::PubAck(a) => Packet::PubAck(ack(
            a.pkid,
            puback_code(&a.reason),
            puback_props_in(a.properties),
        )),
        v5::Packet::PubRec(a) => Packet::PubRec(ack(
            a.pkid,
            pubrec_code(&a.reason),
            pubrec_props_in(a.properties),
        )),
        v5::Packet::PubRel(a) => Packet::PubRel(ack(
            a.pkid,
            pubrel_code(&a.reason),
            pubrel_props_in(a.properties),
        )),
        v5::Packet::PubComp(a) => Packet::PubComp(ack(
            a.pkid,
            pubcomp_code(&a.reason),
            pubcomp_props_in(a.properties),
        )),
        v5::Packet::Subscribe(s) => Packet::Subscribe(subscribe_in(s)?),
        v5::Packet::SubAck(s) => Packet::SubAck(SubAck {
            pkid: s.pkid,
            codes: s.return_codes.iter().map(suback_code).collect(),
            properties: suback_props_in(s.properties).into(),
        }),
        v5::Packet::Unsubscribe(u) => Packet::Unsubscribe(Unsubscribe {
            pkid: u.pkid,
            filters: u.filters,
            properties: Properties {
                user_properties: u.properties.map(|p| p.user_properties).unwrap_or_default(),
                ..Properties::default()
            }
            .into(),
        }),
        v5::Packet::UnsubAck(u) => Packet::UnsubAck(SubAck {
            pkid: u.pkid,
            codes: u.reasons.iter().map(unsuback_code).collect(),
            properties: unsuback_props_in(u.properties).into(),
        }),
        v5::Packet::PingReq(_) => Packet::PingReq,
        v5::Packet::PingResp(_) => Packet::PingResp,
        v5::Packet::Disconnect(d) => Packet::Disconnect(Reason {
            code: d.reason_code as u8,
            properties: disconnect_props_in(d.properties).into(),
        }),
        v5::Packet::Auth(_) => return decode_auth(frame.freeze()),
    })
}

fn ack(pkid: u16, reason: u8, properties: Properties) -> Ack {
    Ack {
        pkid,
        reason,
        properties: properties.into(),
    }
}

fn connect_in(
    c: v5::Connect,
    will: Option<v5::LastWill>,
    login: Option<v5::Login>,
) -> Result<Connect, Error> {
    let will = match will {
        Some(w) => Some(Will {
            topic: utf8(w.topic, "will topic")?,
            payload: w.message,
            qos: qos_in(w.qos),
            retain: w.retain,
            properties: will_props_in(w.properties),
        }),
        None => None,
    };
    let (username, password) = match login {
        Some(l) => (
            Some(l.username).filter(|u| !u.is_empty()),
            Some(Bytes::from(l.password)).filter(|p| !p.is_empty()),
        ),
        None => (None, None),
    };
    Ok(Connect {
        version: Version::V5,
        client_id: c.client_id,
        clean_start: c.clean_start,
        keep_alive: c.keep_alive,
        username,
        password,
        will,
        properties: connect_props_in(c.properties),
    })
}

fn subscribe_in(s: v5::Subscribe) -> Result<Subscribe, Error> {
    let filters = s
        .filters
        .into_iter()
        .map(|f| Subscription {
            filter: f.path,
            qos: qos_in(f.qos),
            no_local: f.nolocal,
            retain_as_published: f.preserve_retain,
            retain_handling: match f.retain_forward_rule {
                v5::RetainForwardRule::OnEverySubscribe => 0,
                v5::RetainForwardRule::OnNewSubscribe => 1,
                v5::RetainForwardRule::Never => 2,
            },
        })
        .collect();
    let (id, user_properties) = s
        .properties
        .map(|p| (p.id, p.user_properties))
        .unwrap_or_default();
    // MQTT 5 3.8.2.1.2 (mosquitto 2.0.11 closes with 0x81 instead).
    if id == Some(0) {
        return Err(Error::Protocol("subscription identifier 0"));
    }
    Ok(Subscribe {
        pkid: s.pkid,
        filters,
        properties: Properties {
            subscription_identifiers: id.map(|id| vec![id as u32]).unwrap_or_default(),
            user_properties,
            ..Properties::default()
        }
        .into(),
    })
}

/// The identifiers of a CONNECT's will properties in wire order (see [`super::WireOrder`]),
/// which rumqttc does not keep; `None` without a will, or where the frame does not parse
/// (rumqttc then says why).
fn will_order(frame: &[u8]) -> Option<Vec<u8>> {
    let (mut at, _) = super::validate::frame(frame).ok()??;
    at += string_size(frame.get(at..)?)?;
    let flags = *frame.get(at + 1)?;
    if flags & 0x04 == 0 {
        return None;
    }
    at += 4; // level, flags, keep alive
    let (len, n) = super::validate::varint(frame.get(at..)?).ok()??;
    at += n + len;
    at += string_size(frame.get(at..)?)?; // client id
    let (len, n) = super::validate::varint(frame.get(at..)?).ok()??;
    let mut block = frame.get(at + n..at + n + len)?;
    let mut order = Vec::new();
    while let Some((&id, rest)) = block.split_first() {
        let size = match id {
            0x01 => 1,
            0x02 | 0x18 => 4,
            0x03 | 0x08 | 0x09 => string_size(rest)?,
            0x26 => {
                let key = string_size(rest)?;
                key + string_size(rest.get(key..)?)?
            }
            _ => return None,
        };
        order.push(id);
        block = rest.get(size..)?;
    }
    Some(order)
}

/// The size of the length-prefixed string or binary field `bytes` starts with.
fn string_size(bytes: &[u8]) -> Option<usize> {
    let len = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
    Some(2 + usize::from(len))
}

/// AUTH by hand: rumqttc has no packet type 15 in its dispatcher and keeps its reason
/// type private. We never take part in enhanced authentication, so the reason code is all
/// that matters; the properties are skipped.
fn decode_auth(frame: Bytes) -> Result<Packet, Error> {
    let (header_len, _) = super::validate::frame(&frame)?.unwrap_or((2, 0));
    let code = frame.get(header_len).copied().unwrap_or(0);
    Ok(Packet::Auth(Reason {
        code,
        properties: Props::default(),
    }))
}
