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

use crate::broker::message::{Message, Origin};
use crate::broker::session::{Delivery, Inflight, SessionImage, SubOptions};
use crate::broker::tree::ClientId;
use crate::codec::{Properties, QoS};
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

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

/// A moment as both clocks see it, to turn `Instant`s into wall-clock time and back.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    pub instant: Instant,
    pub wall: SystemTime,
}

impl Clock {
    /// Now.
    pub fn now() -> Clock {
        Clock {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    fn to_wall(self, at: Instant) -> u64 {
        let wall = match at.checked_duration_since(self.instant) {
            Some(ahead) => self.wall + ahead,
            None => self.wall - self.instant.duration_since(at),
        };
        millis(wall)
    }

    /// The `Instant` of wall-clock `ms`; a moment already past becomes now.
    fn to_instant(self, ms: u64) -> Instant {
        let left = wall(ms).duration_since(self.wall).unwrap_or(Duration::ZERO);
        self.instant + left
    }
}

fn millis(t: SystemTime) -> u64 {
    let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

fn wall(ms: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(ms)
}

/// The snapshot; `O` is how a message records its publisher, which changed in versions 2
/// and 3.
#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
struct Body<O = Option<StoredOrigin>> {
    /// Unix milliseconds; 0 when unknown.
    saved_at: u64,
    messages: Vec<StoredMessage<O>>,
    /// Indexes into `messages`.
    retained: Vec<u32>,
    sessions: Vec<StoredSession>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct StoredMessage<O = Option<StoredOrigin>> {
    topic: String,
    payload: Bytes,
    qos: u8,
    retain: bool,
    payload_format_indicator: Option<u8>,
    content_type: Option<String>,
    response_topic: Option<String>,
    correlation_data: Option<Bytes>,
    user_properties: Vec<(String, String)>,
    /// Unix milliseconds when the message expires.
    expires_at: Option<u64>,
    origin: O,
}

/// The client that published a message; `None` in a message for the broker's own.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq, Hash, Clone)]
struct StoredOrigin {
    client_id: String,
    username: Option<String>,
    /// The listener's port; 0 when unknown.
    listener: u16,
}

/// Version 1's publisher: the client id alone.
type V1Origin = Option<String>;

/// Version 2's publisher: no listener.
type V2Origin = Option<V2StoredOrigin>;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct V2StoredOrigin {
    client_id: String,
    username: Option<String>,
}

impl V2StoredOrigin {
    fn upgrade(self) -> StoredOrigin {
        StoredOrigin {
            client_id: self.client_id,
            username: self.username,
            listener: 0,
        }
    }
}

impl<O> Body<O> {
    /// An older version's body as this version's, its messages' publishers converted by
    /// `origin`.
    fn map_origins(self, origin: impl Fn(O) -> Option<StoredOrigin>) -> Body {
        let messages = self.messages.into_iter().map(|m| m.map_origin(&origin));
        Body {
            saved_at: self.saved_at,
            messages: messages.collect(),
            retained: self.retained,
            sessions: self.sessions,
        }
    }
}

impl<O> StoredMessage<O> {
    /// The same message with its publisher converted by `origin`, as another version has it.
    fn map_origin<P>(self, origin: impl FnOnce(O) -> P) -> StoredMessage<P> {
        StoredMessage {
            topic: self.topic,
            payload: self.payload,
            qos: self.qos,
            retain: self.retain,
            payload_format_indicator: self.payload_format_indicator,
            content_type: self.content_type,
            response_topic: self.response_topic,
            correlation_data: self.correlation_data,
            user_properties: self.user_properties,
            expires_at: self.expires_at,
            origin: origin(self.origin),
        }
    }
}

#[derive(Serialize, Deserialize, Default, Debug, PartialEq)]
struct StoredSession {
    client_id: String,
    expiry: u32,
    /// Unix milliseconds when the client left; `None` if it was connected.
    left_at: Option<u64>,
    subscriptions: Vec<StoredSubscription>,
    queue: Vec<StoredDelivery>,
    inflight: Vec<StoredInflight>,
    incoming: Vec<u16>,
    next_pkid: u16,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct StoredSubscription {
    filter: String,
    qos: u8,
    no_local: bool,
    retain_as_published: bool,
    id: Option<u32>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct StoredDelivery {
    /// Index into `Body::messages`.
    message: u32,
    qos: u8,
    retain: bool,
    sub_ids: Vec<u32>,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct StoredInflight {
    pkid: u16,
    delivery: StoredDelivery,
    released: bool,
}

/// The index of `msg` in `messages`, adding it the first time it is seen.
fn intern(
    messages: &mut Vec<StoredMessage>,
    seen: &mut HashMap<*const Message, u32>,
    msg: &Arc<Message>,
    now: Clock,
) -> u32 {
    *seen.entry(Arc::as_ptr(msg)).or_insert_with(|| {
        let p = &msg.properties;
        messages.push(StoredMessage {
            topic: msg.topic.clone(),
            payload: msg.payload.clone(),
            qos: msg.qos as u8,
            retain: msg.retain,
            payload_format_indicator: p.payload_format_indicator,
            content_type: p.content_type.clone(),
            response_topic: p.response_topic.clone(),
            correlation_data: p.correlation_data.clone(),
            user_properties: p.user_properties.clone(),
            expires_at: msg.expires.map(|at| now.to_wall(at)),
            origin: msg.origin.as_deref().map(|o| StoredOrigin {
                client_id: o.client_id.to_string(),
                username: o.username.as_deref().map(str::to_string),
                listener: o.listener,
            }),
        });
        (messages.len() - 1) as u32
    })
}

impl StoredSession {
    fn fill(&mut self, image: &SessionImage, mut intern: impl FnMut(&Arc<Message>) -> u32) {
        let mut delivery = |d: &Delivery| StoredDelivery {
            message: intern(&d.msg),
            qos: d.qos as u8,
            retain: d.retain,
            sub_ids: d.sub_ids.clone(),
        };
        self.expiry = image.expiry;
        self.left_at = image.left.map(millis);
        self.subscriptions = image
            .subscriptions
            .iter()
            .map(|(filter, o)| StoredSubscription {
                filter: filter.clone(),
                qos: o.qos as u8,
                no_local: o.no_local,
                retain_as_published: o.retain_as_published,
                id: o.id,
            })
            .collect();
        self.queue = image.queue.iter().map(&mut delivery).collect();
        self.inflight = image
            .inflight
            .iter()
            .map(|m| StoredInflight {
                pkid: m.pkid,
                delivery: delivery(&m.delivery),
                released: m.released,
            })
            .collect();
        self.incoming = image.incoming.clone();
        self.next_pkid = image.next_pkid;
    }
}

fn qos(v: u8) -> Result<QoS, FormatError> {
    QoS::from_u8(v).ok_or(FormatError::Invalid("QoS"))
}

impl Body {
    fn into_state(self, now: Clock) -> Result<Snapshot, FormatError> {
        let mut origins = HashMap::new();
        let messages = self
            .messages
            .into_iter()
            .map(|m| m.into_message(now, &mut origins).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let message = |i: u32| {
            let found = messages.get(i as usize).cloned();
            found.ok_or(FormatError::Invalid("message index"))
        };
        let retained = self
            .retained
            .into_iter()
            .map(message)
            .collect::<Result<_, _>>()?;
        let mut ids = std::collections::HashSet::new();
        let sessions = self
            .sessions
            .into_iter()
            .map(|s| {
                if !ids.insert(s.client_id.clone()) {
                    return Err(FormatError::Invalid("duplicate client id"));
                }
                Ok((s.client_id.as_str().into(), s.into_image(&message)?))
            })
            .collect::<Result<_, FormatError>>()?;
        Ok(Snapshot {
            saved_at: (self.saved_at > 0).then(|| wall(self.saved_at)),
            retained,
            sessions,
        })
    }
}

impl StoredMessage {
    /// The message, its publisher shared with the other messages from the same one (through
    /// `origins`), as in the running broker.
    fn into_message(
        self,
        now: Clock,
        origins: &mut HashMap<StoredOrigin, Arc<Origin>>,
    ) -> Result<Message, FormatError> {
        let properties = Properties {
            payload_format_indicator: self.payload_format_indicator,
            content_type: self.content_type,
            response_topic: self.response_topic,
            correlation_data: self.correlation_data,
            user_properties: self.user_properties,
            ..Properties::default()
        };
        Ok(Message {
            topic: self.topic,
            payload: self.payload,
            qos: qos(self.qos)?,
            retain: self.retain,
            properties: properties.into(),
            expires: self.expires_at.map(|ms| now.to_instant(ms)),
            origin: self.origin.map(|o| {
                let origin = |o: &StoredOrigin| {
                    Arc::new(Origin {
                        client_id: o.client_id.as_str().into(),
                        username: o.username.as_deref().map(Box::from),
                        listener: o.listener,
                    })
                };
                origins.entry(o).or_insert_with_key(origin).clone()
            }),
        })
    }
}

type Lookup<'a> = dyn Fn(u32) -> Result<Arc<Message>, FormatError> + 'a;

impl StoredDelivery {
    fn into_delivery(self, message: &Lookup<'_>) -> Result<Delivery, FormatError> {
        Ok(Delivery {
            msg: message(self.message)?,
            qos: qos(self.qos)?,
            retain: self.retain,
            sub_ids: self.sub_ids,
        })
    }
}

impl StoredSession {
    fn into_image(self, message: &Lookup<'_>) -> Result<SessionImage, FormatError> {
        let subscriptions = self
            .subscriptions
            .into_iter()
            .map(|s| {
                let opts = SubOptions {
                    qos: qos(s.qos)?,
                    no_local: s.no_local,
                    retain_as_published: s.retain_as_published,
                    id: s.id,
                };
                Ok((s.filter, opts))
            })
            .collect::<Result<_, FormatError>>()?;
        let queue = self
            .queue
            .into_iter()
            .map(|d| d.into_delivery(message))
            .collect::<Result<_, _>>()?;
        let inflight = self
            .inflight
            .into_iter()
            .map(|m| {
                Ok(Inflight {
                    pkid: m.pkid,
                    delivery: m.delivery.into_delivery(message)?,
                    released: m.released,
                })
            })
            .collect::<Result<_, FormatError>>()?;
        Ok(SessionImage {
            subscriptions,
            queue,
            inflight,
            incoming: self.incoming,
            next_pkid: self.next_pkid,
            expiry: self.expiry,
            left: self.left_at.map(wall),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
