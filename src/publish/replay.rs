//! `pub --replay`: the records `sub --json` writes (or `sub -F %j`'s mosquitto objects) as
//! messages again, each with its topic, payload, QoS, retain flag and MQTT 5 properties, and
//! with `--replay-timing` at the spacing their `tst` fields recorded.
//!
//! Subscription identifiers and topic aliases are not replayed: the broker that delivered
//! the message set them for that one subscriber.

use super::lines::LineReader;
use crate::codec::{Properties, Props, Publish, QoS};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};
use std::time::Duration;
use tokio::io::AsyncRead;
use tokio::time::Instant;

/// One record: the message, and when it was received if the record says.
#[derive(Debug, PartialEq)]
pub struct Record {
    pub publish: Publish,
    pub tst: Option<DateTime<FixedOffset>>,
}

/// Reads one record line; the error names what is wrong with it.
pub fn parse(line: &[u8]) -> Result<Record, String> {
    let value: Value = serde_json::from_slice(line).map_err(|e| format!("not JSON ({e})"))?;
    let Value::Object(record) = value else {
        return Err("not a JSON object".into());
    };
    let topic = match record.get("topic") {
        Some(Value::String(t)) if !t.is_empty() => t.clone(),
        _ => return Err("no \"topic\" string".into()),
    };
    if !crate::topic::is_name(&topic) {
        return Err(format!("\"topic\" {topic:?} is not a topic name"));
    }
    let qos = match record.get("qos") {
        None => QoS::AtMostOnce,
        Some(v) => v
            .as_u64()
            .and_then(|q| QoS::from_u8(u8::try_from(q).ok()?))
            .ok_or("\"qos\" is not 0, 1 or 2")?,
    };
    let publish = Publish {
        topic,
        qos,
        retain: flag(record.get("retain")).ok_or("\"retain\" is not a boolean")?,
        payload: payload(&record)?,
        properties: properties(record.get("properties"))?.into(),
        ..Publish::default()
    };
    let tst = match record.get("tst") {
        None => None,
        Some(Value::String(t)) => Some(timestamp(t).ok_or("\"tst\" is not a timestamp")?),
        Some(_) => return Err("\"tst\" is not a string".into()),
    };
    Ok(Record { publish, tst })
}

/// `--json`'s boolean, or mosquitto's `0`/`1`; absent is false.
fn flag(value: Option<&Value>) -> Option<bool> {
    match value {
        None => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(v) => v.as_u64().filter(|&n| n <= 1).map(|n| n == 1),
    }
}

/// `payload` as text, `payload_base64` as binary; `null` (mosquitto's empty payload) is
/// empty, and any other JSON value (`%J`'s embedded payload) is its compact text.
fn payload(record: &Map<String, Value>) -> Result<Bytes, String> {
    if let Some(encoded) = record.get("payload_base64") {
        let text = encoded
            .as_str()
            .ok_or("\"payload_base64\" is not a string")?;
        let bytes = BASE64
            .decode(text)
            .map_err(|e| format!("\"payload_base64\" is not base64 ({e})"))?;
        return Ok(bytes.into());
    }
    Ok(match record.get("payload") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(other) => Bytes::from(other.to_string()),
    })
}

/// The PUBLISH properties under the names `--json` and mosquitto's `%j` give them; user
/// properties as `--json`'s `[key, value]` pairs or `%j`'s object.
fn properties(value: Option<&Value>) -> Result<Properties, String> {
    let Some(value) = value else {
        return Ok(Properties::default());
    };
    let map = value.as_object().ok_or("\"properties\" is not an object")?;
    let number = |name: &str| -> Result<Option<u32>, String> {
        map.get(name)
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or(format!("\"{name}\" is not a number"))
            })
            .transpose()
    };
    let text = |name: &str| -> Result<Option<String>, String> {
        map.get(name)
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or(format!("\"{name}\" is not a string"))
            })
            .transpose()
    };
    let correlation = match (
        text("correlation-data")?,
        map.get("correlation-data-base64"),
    ) {
        (Some(text), _) => Some(Bytes::from(text)),
        (None, Some(v)) => {
            let text = v
                .as_str()
                .ok_or("\"correlation-data-base64\" is not a string")?;
            Some(BASE64.decode(text).map_err(|e| e.to_string())?.into())
        }
        (None, None) => None,
    };
    let format = number("payload-format-indicator")?;
    Ok(Properties {
        payload_format_indicator: format
            .map(|f| u8::try_from(f).map_err(|_| "\"payload-format-indicator\" is over 255"))
            .transpose()?,
        message_expiry_interval: number("message-expiry-interval")?,
        content_type: text("content-type")?,
        response_topic: text("response-topic")?,
        correlation_data: correlation,
        user_properties: user_properties(map.get("user-properties"))?,
        ..Properties::default()
    })
}

fn user_properties(value: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let pair = |k: &Value, v: &Value| Some((k.as_str()?.to_string(), v.as_str()?.to_string()));
    let bad = || "\"user-properties\" are not [key, value] string pairs".to_string();
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(pairs)) => pairs
            .iter()
            .map(|p| match p.as_array().map(Vec::as_slice) {
                Some([k, v]) => pair(k, v).ok_or_else(bad),
                _ => Err(bad()),
            })
            .collect(),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| pair(&Value::String(k.clone()), v).ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

/// `--json`'s RFC 3339, or mosquitto's `2026-12-06T03:20:01.123456Z+0000`.
fn timestamp(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.fZ%z"))
        .ok()
}

/// `--replay-timing`: when each record is due, from its `tst` relative to the first record's,
/// divided by `--speed`. Records without `tst`, or before the first, are due at once.
pub struct Pacer {
    speed: f64,
    origin: Option<(DateTime<FixedOffset>, Instant)>,
}

impl Pacer {
    pub fn new(speed: f64) -> Pacer {
        Pacer {
            speed,
            origin: None,
        }
    }

    /// When the record received at `tst` is to be sent.
    pub fn due(&mut self, tst: Option<DateTime<FixedOffset>>) -> Instant {
        let now = Instant::now();
        let Some(tst) = tst else {
            return now;
        };
        let (first, started) = *self.origin.get_or_insert((tst, now));
        let offset = (tst - first).to_std().unwrap_or_default();
        started + Duration::from_secs_f64(offset.as_secs_f64() / self.speed)
    }
}

/// `--replay`'s state between records.
pub(super) struct Replay {
    pacer: Option<Pacer>,
    /// The next record's message, read but not yet due.
    held: Option<(Instant, Publish)>,
    line: u64,
    /// MQTT 5 properties are sent only with MQTT 5; the first record with some says so.
    v5: bool,
    warned: bool,
    /// The last message sent was QoS 2: see `LineStream::ordered`.
    pub(super) after_qos2: bool,
    /// The one-line error for the first record that could not be read; replay stops there.
    pub(super) failed: Option<String>,
}

impl Replay {
    pub(super) fn new(speed: Option<f64>, v5: bool) -> Replay {
        Replay {
            pacer: speed.map(Pacer::new),
            held: None,
            line: 0,
            v5,
            warned: false,
            after_qos2: false,
            failed: None,
        }
    }

    /// The next message if it is due; reads the next record when none is held.
    pub(super) fn next<R: AsyncRead + Unpin>(
        &mut self,
        lines: &mut LineReader<R>,
    ) -> Option<Publish> {
        while self.held.is_none() && self.failed.is_none() {
            let (_, line) = lines.next_line()?;
            self.line += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match parse(&line) {
                Ok(record) => {
                    let due = self
                        .pacer
                        .as_mut()
                        .map_or_else(Instant::now, |p| p.due(record.tst));
                    self.held = Some((due, self.versioned(record.publish)));
                }
                Err(why) => self.failed = Some(format!("--replay line {}: {why}", self.line)),
            }
        }
        let publish = match &self.held {
            Some((due, _)) if *due <= Instant::now() => self.held.take().map(|(_, p)| p)?,
            _ => return None,
        };
        self.after_qos2 = publish.qos == QoS::ExactlyOnce;
        Some(publish)
    }

    /// Drops MQTT 5 properties for an MQTT 3.1.1 session, warning once.
    fn versioned(&mut self, mut publish: Publish) -> Publish {
        if !self.v5 && !publish.properties.is_empty() {
            if !self.warned {
                eprintln!("Warning: the records carry MQTT 5 properties, sent only with -V 5");
                self.warned = true;
            }
            publish.properties = Props::default();
        }
        publish
    }

    /// When the held message is due.
    pub(super) fn wake(&self) -> Option<Instant> {
        self.held.as_ref().map(|(due, _)| *due)
    }

    /// True once no further record will come: the input ended or a record was bad.
    pub(super) fn done<R: AsyncRead + Unpin>(&self, lines: &LineReader<R>) -> bool {
        self.held.is_none() && (self.failed.is_some() || lines.finished())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_sub_json_and_mosquitto_percent_j_write() {
        let ours = br#"{"tst":"2026-12-06T03:20:01.500000+01:00","topic":"a/b","qos":1,"retain":true,"mid":3,"payload_base64":"AP8=","properties":{"payload-format-indicator":0,"message-expiry-interval":60,"content-type":"x","response-topic":"r","correlation-data-base64":"AQI=","subscription-identifiers":[4],"user-properties":[["k","1"],["k","2"]]}}"#;
        let r = parse(ours).unwrap();
        assert_eq!(
            (&r.publish.topic[..], r.publish.qos, r.publish.retain),
            ("a/b", QoS::AtLeastOnce, true)
        );
        assert_eq!(&r.publish.payload[..], b"\x00\xff");
        let p = &r.publish.properties;
        assert_eq!(
            p.user_properties,
            [("k".into(), "1".into()), ("k".into(), "2".into())]
        );
        assert_eq!(p.correlation_data.as_deref(), Some(&b"\x01\x02"[..]));
        assert_eq!(
            (p.message_expiry_interval, p.payload_format_indicator),
            (Some(60), Some(0))
        );
        assert!(p.subscription_identifiers.is_empty(), "not replayed");
        let theirs = br#"{"tst":"2026-12-06T03:20:02.000000Z+0100","topic":"t","qos":0,"retain":0,"payloadlen":0,"properties":{"user-properties":{"a":"b"}},"payload":null}"#;
        let t = parse(theirs).unwrap();
        assert_eq!((t.publish.retain, t.publish.payload.len()), (false, 0));
        assert_eq!(
            t.publish.properties.user_properties,
            [("a".into(), "b".into())]
        );
        let gap = t.tst.unwrap() - r.tst.unwrap();
        assert_eq!(gap.num_milliseconds(), 500);
        let embedded = parse(br#"{"topic":"t","payload":{"x":1}}"#).unwrap();
        assert_eq!(&embedded.publish.payload[..], br#"{"x":1}"#);
    }

    #[test]
    fn says_what_is_wrong_with_a_line() {
        for (line, why) in [
            (&b"nope"[..], "not JSON"),
            (b"[1]", "not a JSON object"),
            (br#"{"payload":"x"}"#, "no \"topic\""),
            (br#"{"topic":"a/#"}"#, "not a topic name"),
            (br#"{"topic":"t","qos":3}"#, "\"qos\""),
            (br#"{"topic":"t","retain":"yes"}"#, "\"retain\""),
            (br#"{"topic":"t","payload_base64":"!"}"#, "base64"),
            (br#"{"topic":"t","tst":"yesterday"}"#, "\"tst\""),
            (
                br#"{"topic":"t","properties":{"user-properties":[["k"]]}}"#,
                "pairs",
            ),
        ] {
            let e = parse(line).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn paces_by_the_recorded_spacing_over_the_speed() {
        let at = |s: &str| timestamp(s);
        let mut pacer = Pacer::new(2.0);
        let start = pacer.due(at("2026-12-06T00:00:10Z"));
        let later = pacer.due(at("2026-12-06T00:00:14Z"));
        assert_eq!(later - start, Duration::from_secs(2));
        let earlier = pacer.due(at("2026-12-06T00:00:09Z"));
        assert!(earlier <= Instant::now());
    }
}
