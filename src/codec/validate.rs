//! The protocol checks rumqttc's codec skips: framing limits, fixed-header flags, topic names
//! versus filters and packet identifiers.

use super::{Error, Packet};
use crate::topic::{is_filter, is_name};

/// Header length and remaining length of the frame at the start of `buf`, `None` until the
/// length bytes are all there. More than four length bytes is malformed.
pub fn frame(buf: &[u8]) -> Result<Option<(usize, usize)>, Error> {
    let lengths = buf.get(1..).unwrap_or_default();
    Ok(varint(lengths)?.map(|(remaining, len)| (1 + len, remaining)))
}

/// The variable byte integer at the start of `buf` and how many bytes it took, `None` when
/// `buf` ends first. More than four bytes is malformed.
pub(super) fn varint(buf: &[u8]) -> Result<Option<(usize, usize)>, Error> {
    let mut value = 0usize;
    for (i, &byte) in buf.iter().take(4).enumerate() {
        value |= usize::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= 4 {
        return Err(malformed("variable byte integer longer than four bytes"));
    }
    Ok(None)
}

/// Rejects reserved packet types and fixed-header flags the spec fixes (MQTT-2.2.2-2).
pub fn fixed_header_flags(byte: u8) -> Result<(), Error> {
    let flags = byte & 0x0F;
    let ok = match byte >> 4 {
        0 => false,
        3 => (flags >> 1) & 3 != 3 && !((flags >> 1) & 3 == 0 && flags & 0x08 != 0),
        6 | 8 | 10 => flags == 0x02,
        _ => flags == 0,
    };
    if ok {
        Ok(())
    } else {
        Err(malformed(&format!("invalid fixed header {byte:#04x}")))
    }
}

/// The subscription options bytes of an MQTT 5 SUBSCRIBE `body` (after the fixed header),
/// which rumqttc does not check: their reserved bits must be 0 (MQTT-3.8.3-5; mosquitto
/// closes with 0x81).
pub fn subscription_options(body: &[u8]) -> Result<(), Error> {
    let truncated = || malformed("SUBSCRIBE truncated");
    let lengths = body.get(2..).unwrap_or_default();
    let (props_len, len_bytes) = varint(lengths)?.ok_or_else(truncated)?;
    let mut at = 2 + len_bytes + props_len;
    while at < body.len() {
        let len = body.get(at..at + 2).ok_or_else(truncated)?;
        at += 2 + usize::from(u16::from_be_bytes([len[0], len[1]]));
        if body.get(at).ok_or_else(truncated)? & 0xC0 != 0 {
            return Err(malformed("SUBSCRIBE reserved option bits set"));
        }
        at += 1;
    }
    Ok(())
}

/// Semantic checks on a decoded packet: what the peer sent must mean something.
pub fn packet(packet: &Packet) -> Result<(), Error> {
    match packet {
        // mosquitto calls these protocol errors (0x82), not malformed packets.
        Packet::Publish(p) => {
            if p.qos != super::QoS::AtMostOnce && p.pkid == 0 {
                return Err(Error::Protocol("PUBLISH with packet id 0"));
            }
            // An empty topic is only legal with an MQTT 5 topic alias.
            let aliased = p.topic.is_empty() && p.properties.topic_alias.is_some();
            if !aliased && !is_name(&p.topic) {
                return Err(Error::Protocol("invalid PUBLISH topic"));
            }
        }
        Packet::Subscribe(s) => {
            check_pkid(s.pkid)?;
            if s.filters.is_empty() {
                return Err(malformed("SUBSCRIBE without topic filters"));
            }
            for f in &s.filters {
                check_filter(&f.filter)?;
                if f.retain_handling > 2 {
                    return Err(malformed("invalid retain handling"));
                }
            }
        }
        Packet::Unsubscribe(u) => {
            check_pkid(u.pkid)?;
            if u.filters.is_empty() {
                return Err(malformed("UNSUBSCRIBE without topic filters"));
            }
            u.filters.iter().try_for_each(|f| check_filter(f))?;
        }
        Packet::Connect(c) => {
            if let Some(w) = &c.will {
                check_topic(&w.topic)?;
            }
            // MQTT-3.1.2-24 and 3.1.2.11.3: both limits must be above 0.
            let p = &c.properties;
            if p.maximum_packet_size == Some(0) || p.receive_maximum == Some(0) {
                return Err(Error::Protocol("maximum packet size or receive maximum 0"));
            }
        }
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => {
            check_pkid(a.pkid)?
        }
        _ => {}
    }
    Ok(())
}

fn malformed(what: &str) -> Error {
    Error::Malformed(what.to_string())
}

fn check_pkid(pkid: u16) -> Result<(), Error> {
    if pkid == 0 {
        return Err(malformed("packet id 0"));
    }
    Ok(())
}

fn check_topic(topic: &str) -> Result<(), Error> {
    if !is_name(topic) {
        return Err(malformed(&format!("invalid topic name {topic:?}")));
    }
    Ok(())
}

fn check_filter(filter: &str) -> Result<(), Error> {
    if !is_filter(filter) {
        return Err(malformed(&format!("invalid topic filter {filter:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_remaining_length() {
        assert_eq!(frame(&[0x30]).unwrap(), None);
        assert_eq!(frame(&[0x30, 0x00]).unwrap(), Some((2, 0)));
        assert_eq!(frame(&[0x30, 0x80, 0x01]).unwrap(), Some((3, 128)));
        assert_eq!(
            frame(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F]).unwrap(),
            Some((5, 268_435_455))
        );
        assert!(frame(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).is_err());
    }

    #[test]
    fn checks_fixed_header_flags() {
        assert!(fixed_header_flags(0x30).is_ok());
        assert!(fixed_header_flags(0x3B).is_ok()); // dup, qos 1, retain
        assert!(fixed_header_flags(0x36).is_err()); // qos 3
        assert!(fixed_header_flags(0x38).is_err()); // dup with qos 0
        assert!(fixed_header_flags(0x82).is_ok());
        assert!(fixed_header_flags(0x80).is_err());
        assert!(fixed_header_flags(0x62).is_ok());
        assert!(fixed_header_flags(0xC1).is_err());
        assert!(fixed_header_flags(0x00).is_err());
    }
}
