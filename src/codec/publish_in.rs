//! PUBLISH read by hand, at both levels. MQTT 5: rumqttc 0.25.1 counts each subscription
//! identifier one byte too long, so a PUBLISH with several of them loses its last properties
//! into the payload (three identifiers `[1, 2, 3]` come out as `[1, 2]` and a payload that
//! starts `0B 03`); brokers send several when overlapping subscriptions match, so clients
//! must read them right. 3.1.1: the same reader without properties skips building rumqttc's
//! packet and converting it, on the hot path of every subscriber and of the broker.
//! Everything else is still decoded by rumqttc.

use super::{Error, Properties, Props, Publish, QoS};
use bytes::{Buf, Bytes};

/// Decodes one whole PUBLISH frame, fixed header included; only MQTT 5 (`v5`) has properties.
pub fn decode(frame: Bytes, v5: bool) -> Result<Publish, Error> {
    let mut r = Reader(frame);
    let first = r.u8()?;
    r.varint()?;
    let qos = match (first >> 1) & 3 {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        2 => QoS::ExactlyOnce,
        _ => return Err(malformed("PUBLISH with QoS 3")),
    };
    let topic = r.string("topic")?;
    let pkid = match qos {
        QoS::AtMostOnce => 0,
        _ => r.u16()?,
    };
    let properties = match v5 {
        true => {
            let len = r.varint()?;
            properties(Reader(r.take(len)?))?.into()
        }
        false => Props::default(),
    };
    Ok(Publish {
        dup: first & 0b1000 != 0,
        qos,
        retain: first & 1 != 0,
        topic,
        pkid,
        payload: r.0,
        properties,
    })
}

/// The PUBLISH properties (MQTT 5 section 3.3.2.3); any other property is malformed.
fn properties(mut r: Reader) -> Result<Properties, Error> {
    let mut p = Properties::default();
    while r.0.has_remaining() {
        let id = r.u8()?;
        p.order.0.push(id);
        match id {
            0x01 => p.payload_format_indicator = Some(r.u8()?),
            0x02 => p.message_expiry_interval = Some(r.u32()?),
            0x03 => p.content_type = Some(r.string("content type")?),
            0x08 => p.response_topic = Some(r.string("response topic")?),
            0x09 => p.correlation_data = Some(r.binary()?),
            0x0B => p.subscription_identifiers.push(r.varint()? as u32),
            0x23 => p.topic_alias = Some(r.u16()?),
            0x26 => {
                let key = r.string("user property")?;
                p.user_properties.push((key, r.string("user property")?));
            }
            id => return Err(malformed(&format!("property 0x{id:02X} in PUBLISH"))),
        }
    }
    Ok(p)
}

fn malformed(what: &str) -> Error {
    Error::Malformed(what.to_string())
}

fn short() -> Error {
    malformed("PUBLISH shorter than its lengths say")
}

/// Bounds-checked reads from a frame: a short frame is an error, never a panic.
struct Reader(Bytes);

impl Reader {
    fn take(&mut self, n: usize) -> Result<Bytes, Error> {
        if self.0.remaining() < n {
            return Err(short());
        }
        Ok(self.0.split_to(n))
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, Error> {
        Ok(self.take(2)?.get_u16())
    }

    fn u32(&mut self) -> Result<u32, Error> {
        Ok(self.take(4)?.get_u32())
    }

    fn binary(&mut self) -> Result<Bytes, Error> {
        let len = self.u16()?;
        self.take(len.into())
    }

    fn string(&mut self, what: &str) -> Result<String, Error> {
        let bytes = self.binary()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| malformed(&format!("{what} is not UTF-8")))
    }

    /// A variable byte integer: at most four bytes.
    fn varint(&mut self) -> Result<usize, Error> {
        let (value, len) = super::validate::varint(&self.0)?.ok_or_else(short)?;
        self.0.advance(len);
        Ok(value)
    }
}
