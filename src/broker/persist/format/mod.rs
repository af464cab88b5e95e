//! The persistence file: a fixed header around a postcard-serialized snapshot.
//!
//! Header (24 bytes, little-endian): the magic `mqtkdb\r\n`, the format version (u32), the
//! body length (u64) and the body's CRC-32 (u32). The length and checksum tell a truncated or
//! damaged file from a good one before anything is decoded; the version lets a later mqtk
//! refuse, or convert, what it cannot read. postcard is compact, keeps binary payloads as
//! they are and is a maintained serde format.
//!
//! A message queued for many sessions is stored once and referred to by index, as it is
//! shared in memory. Version 2 added each message's publisher's username beside its client
//! id, and version 3 the port of the listener it came through, for `check_retain_source`
//! after a restart. Older files still load: version 2 messages with an unknown listener,
//! version 1 messages without a known publisher. Times are wall-clock milliseconds since the
//! Unix epoch: an `Instant` means nothing to the next process, and message and session expiry
//! must keep counting while the broker is down.
//!
//! Here: the header, its checks and the version dispatch; [`schema`] holds the serialized
//! types of each version and their conversions, [`clock`] the time conversions.

use crate::broker::message::Message;
use crate::broker::session::SessionImage;
use crate::broker::tree::ClientId;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

mod clock;
mod schema;

use clock::millis;
pub use clock::Clock;
use schema::{intern, Body, StoredSession, V1Origin, V2Origin, V2StoredOrigin};

const MAGIC: &[u8; 8] = b"mqtkdb\r\n";
/// The format this mqtk writes; it reads this one, [`V2`] and [`V1`].
const VERSION: u32 = 3;
/// The format before messages recorded their publisher's listener.
const V2: u32 = 2;
/// The format before messages recorded their publisher's username.
const V1: u32 = 1;
const HEADER: usize = 24;
/// The start of a mosquitto database, to say what it is rather than just "not ours".
const MOSQUITTO_MAGIC: &[u8] = b"\x00\xB5\x00mosquitto db";

/// The broker state a file holds.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// When the snapshot was taken: sessions that were online then left at that time.
    pub saved_at: Option<SystemTime>,
    pub retained: Vec<Arc<Message>>,
    pub sessions: Vec<(ClientId, SessionImage)>,
}

/// Why a file cannot be loaded; printed after its path.
#[derive(Debug, PartialEq, Eq)]
pub enum FormatError {
    /// Shorter than its header says.
    Truncated,
    /// No mqtk magic.
    NotOurs,
    /// mosquitto's own database.
    Mosquitto,
    /// A format version this mqtk does not read.
    Version(u32),
    /// Longer than its header says, by this many bytes.
    Trailing(u64),
    Checksum,
    /// The body does not decode.
    Decode(String),
    /// The body decodes but refers to something impossible.
    Invalid(&'static str),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Truncated => write!(f, "is truncated"),
            FormatError::NotOurs => write!(f, "is not an mqtk persistence file"),
            FormatError::Mosquitto => write!(f, "is a mosquitto database, which mqtk cannot read"),
            FormatError::Version(v) => write!(
                f,
                "has format version {v}, this mqtk reads versions {V1} to {VERSION}"
            ),
            FormatError::Trailing(n) => write!(f, "is corrupt ({n} bytes after the data)"),
            FormatError::Checksum => write!(f, "is corrupt (checksum mismatch)"),
            FormatError::Decode(why) => write!(f, "is corrupt ({why})"),
            FormatError::Invalid(what) => write!(f, "is corrupt (invalid {what})"),
        }
    }
}

/// Serializes `state` into the file's bytes; `now` relates `Instant`s to wall-clock time.
pub fn encode(state: &Snapshot, now: Clock) -> std::io::Result<Vec<u8>> {
    let mut body = Body {
        saved_at: state.saved_at.map_or(0, millis),
        ..Body::default()
    };
    let mut interned = HashMap::new();
    body.retained = state
        .retained
        .iter()
        .map(|m| intern(&mut body.messages, &mut interned, m, now))
        .collect();
    body.sessions = state
        .sessions
        .iter()
        .map(|(id, image)| {
            let mut stored = StoredSession {
                client_id: id.to_string(),
                ..StoredSession::default()
            };
            stored.fill(image, |m| intern(&mut body.messages, &mut interned, m, now));
            stored
        })
        .collect();
    let bytes = postcard::to_stdvec(&body).map_err(std::io::Error::other)?;
    Ok(frame(VERSION, &bytes))
}

/// A file of format `version` around the serialized `body`.
fn frame(version: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Checks and decodes a file's bytes.
pub fn decode(bytes: &[u8], now: Clock) -> Result<Snapshot, FormatError> {
    if bytes.starts_with(MOSQUITTO_MAGIC) {
        return Err(FormatError::Mosquitto);
    }
    let Some(header) = bytes.get(..HEADER) else {
        let ours = MAGIC.starts_with(&bytes[..bytes.len().min(MAGIC.len())]);
        return Err(if ours {
            FormatError::Truncated
        } else {
            FormatError::NotOurs
        });
    };
    let (magic, rest) = header.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err(FormatError::NotOurs);
    }
    let (version, rest) = rest.split_at(4);
    let (len, crc) = rest.split_at(8);
    let version = u32::from_le_bytes(version.try_into().unwrap_or_default());
    if ![VERSION, V2, V1].contains(&version) {
        return Err(FormatError::Version(version));
    }
    let len = u64::from_le_bytes(len.try_into().unwrap_or_default());
    let crc = u32::from_le_bytes(crc.try_into().unwrap_or_default());
    let body = &bytes[HEADER..];
    let have = body.len() as u64;
    if have < len {
        return Err(FormatError::Truncated);
    }
    if have > len {
        return Err(FormatError::Trailing(have - len));
    }
    if crc32fast::hash(body) != crc {
        return Err(FormatError::Checksum);
    }
    let decode_error = |e: postcard::Error| FormatError::Decode(e.to_string());
    let body: Body = match version {
        // With the client id alone, `check_retain_source` would judge the publisher by the
        // anonymous rules: it becomes unknown.
        V1 => postcard::from_bytes::<Body<V1Origin>>(body)
            .map_err(decode_error)?
            .map_origins(|_| None),
        V2 => postcard::from_bytes::<Body<V2Origin>>(body)
            .map_err(decode_error)?
            .map_origins(|o| o.map(V2StoredOrigin::upgrade)),
        _ => postcard::from_bytes(body).map_err(decode_error)?,
    };
    body.into_state(now)
}

#[cfg(test)]
mod tests {
    use super::clock::wall;
    use super::schema::StoredOrigin;
    use super::*;
    use crate::broker::message::Origin;
    use crate::broker::session::{Delivery, Inflight, SubOptions};
    use crate::codec::{Properties, QoS};
    use bytes::Bytes;
    use serde::Serialize;
    use std::time::{Duration, Instant};

    fn origin(client_id: &str, username: Option<&str>) -> Option<Arc<Origin>> {
        origin_on(client_id, username, 1883)
    }

    /// A publisher that came through the listener on port `listener`.
    fn origin_on(client_id: &str, username: Option<&str>, listener: u16) -> Option<Arc<Origin>> {
        Some(Arc::new(Origin {
            client_id: client_id.into(),
            username: username.map(Box::from),
            listener,
        }))
    }

    fn message(
        topic: &str,
        qos: QoS,
        expires: Option<Instant>,
        origin: Option<Arc<Origin>>,
    ) -> Arc<Message> {
        let properties = Properties {
            payload_format_indicator: Some(1),
            content_type: Some("text/plain".into()),
            response_topic: Some("reply".into()),
            correlation_data: Some(Bytes::from_static(b"\x00\xffid")),
            user_properties: vec![("k".into(), "v".into()), ("k".into(), "w".into())],
            ..Properties::default()
        };
        Arc::new(Message {
            topic: topic.into(),
            payload: Bytes::from_static(b"\x00binary\xff"),
            qos,
            retain: true,
            properties: properties.into(),
            expires,
            origin,
        })
    }

    fn delivery(msg: &Arc<Message>, qos: QoS, sub_ids: Vec<u32>) -> Delivery {
        Delivery {
            msg: msg.clone(),
            qos,
            retain: false,
            sub_ids,
        }
    }

    /// A state using every field: a message shared by the retained store, a queue and the
    /// in-flight window, v5 properties, subscription options and both in-flight states.
    fn sample(now: Clock) -> Snapshot {
        sample_from(now, origin("origin", Some("alice")))
    }

    /// [`sample`] with messages published by `publisher`.
    fn sample_from(now: Clock, publisher: Option<Arc<Origin>>) -> Snapshot {
        let shared = message(
            "r/1",
            QoS::AtLeastOnce,
            Some(now.instant + Duration::from_secs(60)),
            publisher.clone(),
        );
        let other = message("q/2", QoS::ExactlyOnce, None, publisher);
        let subscriptions = vec![
            ("q/#".to_string(), SubOptions::default()),
            (
                "$share/g/r/+".to_string(),
                SubOptions {
                    qos: QoS::ExactlyOnce,
                    no_local: true,
                    retain_as_published: true,
                    id: Some(268_435_455),
                },
            ),
        ];
        let image = SessionImage {
            subscriptions,
            queue: vec![
                delivery(&shared, QoS::AtLeastOnce, vec![1, 2]),
                delivery(&other, QoS::ExactlyOnce, vec![]),
            ],
            inflight: vec![
                Inflight {
                    pkid: 7,
                    delivery: delivery(&other, QoS::ExactlyOnce, vec![3]),
                    released: true,
                },
                Inflight {
                    pkid: 65535,
                    delivery: delivery(&shared, QoS::AtLeastOnce, vec![]),
                    released: false,
                },
            ],
            incoming: vec![1, 65535],
            next_pkid: 65535,
            expiry: u32::MAX,
            left: Some(wall(millis(now.wall) - 5000)),
        };
        let online = SessionImage {
            expiry: 30,
            ..SessionImage::default()
        };
        Snapshot {
            saved_at: Some(wall(millis(now.wall))),
            retained: vec![shared],
            sessions: vec![("c1".into(), image), ("c2".into(), online)],
        }
    }

    /// Every field as text, `Instant`s as wall-clock milliseconds.
    fn dump(state: &Snapshot, now: Clock) -> String {
        let msg = |m: &Message| {
            let expires = m.expires.map(|at| now.to_wall(at));
            let p = &m.properties;
            format!(
                "{:?} {:?} {:?} {} {p:?} {:?} {expires:?}\n",
                m.topic, m.payload, m.qos, m.retain, m.origin
            )
        };
        let mut out = format!("{:?}\n", state.saved_at);
        for m in &state.retained {
            out += &msg(m);
        }
        for (id, s) in &state.sessions {
            out += &format!(
                "{id} {} {:?} {:?} {}\n",
                s.expiry, s.left, s.incoming, s.next_pkid
            );
            out += &format!("{:?}\n", s.subscriptions);
            for d in s.queue.iter().chain(s.inflight.iter().map(|m| &m.delivery)) {
                out += &format!("{} {:?} {} {:?}\n", msg(&d.msg), d.qos, d.retain, d.sub_ids);
            }
            for m in &s.inflight {
                out += &format!("{} {}\n", m.pkid, m.released);
            }
        }
        out
    }

    #[test]
    fn round_trips_every_field_and_shares_messages() {
        let now = Clock::now();
        let state = sample(now);
        let back = decode(&encode(&state, now).unwrap(), now).unwrap();
        assert_eq!(dump(&back, now), dump(&state, now));
        let (_, image) = &back.sessions[0];
        assert!(Arc::ptr_eq(&back.retained[0], &image.queue[0].msg));
        assert!(Arc::ptr_eq(
            &image.queue[1].msg,
            &image.inflight[0].delivery.msg
        ));
        assert_eq!(image.queue[0].msg.remaining_expiry(now.instant), Some(60));
    }

    #[test]
    fn expiry_counts_while_the_broker_is_down() {
        let now = Clock::now();
        let bytes = encode(&sample(now), now).unwrap();
        let later = Clock {
            instant: now.instant,
            wall: now.wall + Duration::from_secs(45),
        };
        let back = decode(&bytes, later).unwrap();
        assert_eq!(back.retained[0].remaining_expiry(now.instant), Some(15));
        let after = Clock {
            wall: now.wall + Duration::from_secs(61),
            ..later
        };
        assert!(decode(&bytes, after).unwrap().retained[0].expired(now.instant));
    }

    #[test]
    fn rejects_damaged_files() {
        let now = Clock::now();
        let good = encode(&sample(now), now).unwrap();
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x01;
        assert_eq!(decode(&flipped, now).unwrap_err(), FormatError::Checksum);
        assert_eq!(
            decode(&good[..good.len() - 3], now).unwrap_err(),
            FormatError::Truncated
        );
        assert_eq!(
            decode(&good[..10], now).unwrap_err(),
            FormatError::Truncated
        );
        assert_eq!(decode(b"", now).unwrap_err(), FormatError::Truncated);
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(decode(&longer, now).unwrap_err(), FormatError::Trailing(1));
        let mut version = good.clone();
        version[8] = 9;
        assert_eq!(decode(&version, now).unwrap_err(), FormatError::Version(9));
        assert_eq!(
            decode(b"hello world", now).unwrap_err(),
            FormatError::NotOurs
        );
        let mosquitto = b"\x00\xB5\x00mosquitto db\x00\x00\x00\x06";
        assert_eq!(decode(mosquitto, now).unwrap_err(), FormatError::Mosquitto);
    }

    /// A file of format `version` around `body`.
    fn framed<O: Serialize>(version: u32, body: &Body<O>) -> Vec<u8> {
        frame(version, &postcard::to_stdvec(body).unwrap())
    }

    #[test]
    fn publishers_survive_and_are_shared_again() {
        let now = Clock::now();
        let from = |topic, origin| message(topic, QoS::AtMostOnce, None, origin);
        let state = Snapshot {
            retained: vec![
                from("a", origin("c1", Some("alice"))),
                from("b", origin("c1", Some("alice"))),
                from("c", origin("c1", None)),
                from("d", None),
                from("e", origin_on("c1", None, 8883)),
            ],
            ..Snapshot::default()
        };
        let back = decode(&encode(&state, now).unwrap(), now).unwrap();
        let origins: Vec<_> = back.retained.iter().map(|m| m.origin.clone()).collect();
        let expected = [
            origin("c1", Some("alice")),
            origin("c1", Some("alice")),
            origin("c1", None),
            None,
            origin_on("c1", None, 8883),
        ];
        assert_eq!(origins, expected);
        let (a, b) = (origins[0].as_ref().unwrap(), origins[1].as_ref().unwrap());
        assert!(Arc::ptr_eq(a, b), "one publisher, one allocation");
    }

    /// The body of [`sample`] as an older version wrote it, its publishers converted by
    /// `origin`.
    fn older<O>(now: Clock, origin: impl Fn(Option<StoredOrigin>) -> O) -> Body<O> {
        let body: Body =
            postcard::from_bytes(&encode(&sample(now), now).unwrap()[HEADER..]).unwrap();
        Body {
            saved_at: body.saved_at,
            messages: body
                .messages
                .into_iter()
                .map(|m| m.map_origin(&origin))
                .collect(),
            retained: body.retained,
            sessions: body.sessions,
        }
    }

    #[test]
    fn version_1_files_load_without_publishers() {
        let now = Clock::now();
        let v1 = older(now, |o| o.map(|o| o.client_id));
        let back = decode(&framed(V1, &v1), now).unwrap();
        assert_eq!(dump(&back, now), dump(&sample_from(now, None), now));
        assert!(dump(&sample(now), now).contains("alice"));
    }

    #[test]
    fn version_2_files_load_with_unknown_listeners() {
        let now = Clock::now();
        let v2 = older(now, |o| {
            o.map(|o| V2StoredOrigin {
                client_id: o.client_id,
                username: o.username,
            })
        });
        let back = decode(&framed(V2, &v2), now).unwrap();
        let publisher = origin_on("origin", Some("alice"), 0);
        assert_eq!(dump(&back, now), dump(&sample_from(now, publisher), now));
        assert!(dump(&sample(now), now).contains("1883"));
    }

    #[test]
    fn rejects_a_well_framed_body_that_makes_no_sense() {
        let now = Clock::now();
        let frame = |body: &Body| framed(VERSION, body);
        let dangling = Body {
            retained: vec![3],
            ..Body::default()
        };
        let error = decode(&frame(&dangling), now).unwrap_err();
        assert_eq!(error, FormatError::Invalid("message index"));
        let mut bad_qos =
            postcard::from_bytes::<Body>(&encode(&sample(now), now).unwrap()[HEADER..]).unwrap();
        bad_qos.messages[0].qos = 3;
        let error = decode(&frame(&bad_qos), now).unwrap_err();
        assert_eq!(error, FormatError::Invalid("QoS"));
        bad_qos.messages[0].qos = 1;
        bad_qos.sessions[1].client_id = "c1".into();
        let error = decode(&frame(&bad_qos), now).unwrap_err();
        assert_eq!(error, FormatError::Invalid("duplicate client id"));
        let garbage = super::frame(V1, &[0xff, 0xff]);
        assert!(matches!(decode(&garbage, now), Err(FormatError::Decode(_))));
    }
}
