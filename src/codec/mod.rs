//! MQTT packets in one version-neutral model, read and written with rumqttc's `mqttbytes`.
//!
//! Client, broker and bench all speak through this module, so rumqttc's two disjoint type
//! universes (v4 and v5) and its codec defects stay here: `v4` and `v5` translate at the edge,
//! [`validate`] adds the checks `mqttbytes` skips, and the few packets it gets wrong are
//! framed by hand. Swapping the codec means rewriting this module only. PUBLISH, the packet on
//! every hot path, skips rumqttc both ways: [`encode_publish`] writes it from borrowed parts
//! (building and cloning a packet per message dominated the broker's CPU), and `publish_in`
//! reads it at both levels (rumqttc also miscounts MQTT 5 subscription identifiers).

/// `qos_in`/`qos_out` between our QoS and one of rumqttc's two QoS enums (alike, but distinct
/// types for v4 and v5).
macro_rules! qos_conversions {
    ($theirs:path) => {
        fn qos_in(qos: $theirs) -> QoS {
            use $theirs as Theirs;
            match qos {
                Theirs::AtMostOnce => QoS::AtMostOnce,
                Theirs::AtLeastOnce => QoS::AtLeastOnce,
                Theirs::ExactlyOnce => QoS::ExactlyOnce,
            }
        }

        fn qos_out(qos: QoS) -> $theirs {
            use $theirs as Theirs;
            match qos {
                QoS::AtMostOnce => Theirs::AtMostOnce,
                QoS::AtLeastOnce => Theirs::AtLeastOnce,
                QoS::ExactlyOnce => Theirs::ExactlyOnce,
            }
        }
    };
}

mod packet_ids;
mod props_out;
mod publish;
mod publish_in;
mod short;
mod v4;
mod v5;
pub mod validate;

#[cfg(test)]
mod publish_tests;
#[cfg(test)]
mod tests;

pub use packet_ids::PacketIds;
pub use publish::{encode_publish, PublishRef};

use bytes::{Bytes, BytesMut};

/// Protocol level of a connection, fixed by its CONNECT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// MQTT 3.1 (`MQIsdp`, level 3): framed like 3.1.1 after CONNECT.
    V31,
    /// MQTT 3.1.1 (level 4).
    V311,
    /// MQTT 5 (level 5).
    V5,
}

impl Version {
    /// True for MQTT 5, the only level with properties and reason codes on the wire.
    pub fn is_v5(self) -> bool {
        self == Version::V5
    }
}

/// Quality of service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum QoS {
    #[default]
    AtMostOnce = 0,
    AtLeastOnce = 1,
    ExactlyOnce = 2,
}

impl QoS {
    /// The QoS for a wire value, `None` for 3 and above.
    pub fn from_u8(v: u8) -> Option<QoS> {
        match v {
            0 => Some(QoS::AtMostOnce),
            1 => Some(QoS::AtLeastOnce),
            2 => Some(QoS::ExactlyOnce),
            _ => None,
        }
    }
}

/// Every MQTT 5 property, flat: each packet uses the subset the spec allows for it.
///
/// One struct instead of one per packet keeps the `-D` parser, the output formatter and the
/// broker's forwarding rules free of per-packet plumbing. Empty for MQTT 3.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties {
    pub payload_format_indicator: Option<u8>,
    pub message_expiry_interval: Option<u32>,
    pub content_type: Option<String>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<Bytes>,
    pub subscription_identifiers: Vec<u32>,
    pub session_expiry_interval: Option<u32>,
    pub assigned_client_identifier: Option<String>,
    pub server_keep_alive: Option<u16>,
    pub authentication_method: Option<String>,
    pub authentication_data: Option<Bytes>,
    pub request_problem_information: Option<u8>,
    pub will_delay_interval: Option<u32>,
    pub request_response_information: Option<u8>,
    pub response_information: Option<String>,
    pub server_reference: Option<String>,
    pub reason_string: Option<String>,
    pub receive_maximum: Option<u16>,
    pub topic_alias_maximum: Option<u16>,
    pub topic_alias: Option<u16>,
    pub maximum_qos: Option<u8>,
    pub retain_available: Option<u8>,
    pub user_properties: Vec<(String, String)>,
    pub maximum_packet_size: Option<u32>,
    pub wildcard_subscription_available: Option<u8>,
    pub subscription_identifier_available: Option<u8>,
    pub shared_subscription_available: Option<u8>,
    /// The order a PUBLISH's properties came in, for writing them back in it.
    pub order: WireOrder,
}

/// The identifiers of a PUBLISH's properties in the order they were read from the wire or
/// given with `-D` (0x26 once per user property), so a forwarded message or a client's
/// publish keeps mosquitto's byte order. Empty for properties built in code, which are
/// written in a fixed order. Not part of what the properties mean: any two compare equal.
#[derive(Clone, Debug, Default)]
pub struct WireOrder(pub Vec<u8>);

impl PartialEq for WireOrder {
    fn eq(&self, _: &WireOrder) -> bool {
        true
    }
}

impl Eq for WireOrder {}

impl Properties {
    /// True when no property is set, so MQTT 5 encoders can write a zero length.
    pub fn is_empty(&self) -> bool {
        *self == Properties::default()
    }
}

/// A packet's [`Properties`], boxed, and not allocated at all while empty (always in MQTT 3).
///
/// Packets move by value from the socket through the codec, the connection and the client
/// to the tool, so a packet must stay small: inline, `Properties` would make every packet
/// several times larger and those moves would dominate `mqtk sub`'s CPU (figures in
/// `benches/NOTES.md`). Reads go through `Deref` (an empty set when absent); a write
/// through `DerefMut` allocates the box first.
#[derive(Clone, Default)]
pub struct Props(Option<Box<Properties>>);

/// What an absent [`Props`] reads as.
static NO_PROPERTIES: std::sync::LazyLock<Properties> =
    std::sync::LazyLock::new(Properties::default);

impl std::ops::Deref for Props {
    type Target = Properties;

    fn deref(&self) -> &Properties {
        self.0.as_deref().unwrap_or(&NO_PROPERTIES)
    }
}

impl std::ops::DerefMut for Props {
    fn deref_mut(&mut self) -> &mut Properties {
        self.0.get_or_insert_with(Box::default)
    }
}

impl Props {
    /// True when no property is set; no lookup when none was ever allocated.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|p| p.is_empty())
    }

    /// The properties to change, `None` when there are none: for hot paths that only strip
    /// properties and must not allocate for a packet without any.
    pub fn present_mut(&mut self) -> Option<&mut Properties> {
        self.0.as_deref_mut()
    }
}

impl From<Properties> for Props {
    fn from(properties: Properties) -> Props {
        Props((!properties.is_empty()).then(|| Box::new(properties)))
    }
}

impl PartialEq for Props {
    fn eq(&self, other: &Props) -> bool {
        **self == **other
    }
}

impl Eq for Props {}

impl std::fmt::Debug for Props {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connect {
    pub version: Version,
    pub client_id: String,
    pub clean_start: bool,
    pub keep_alive: u16,
    pub username: Option<String>,
    pub password: Option<Bytes>,
    pub will: Option<Will>,
    pub properties: Properties,
}

/// The last will carried by CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Will {
    pub topic: String,
    pub payload: Bytes,
    pub qos: QoS,
    pub retain: bool,
    pub properties: Properties,
}

/// CONNACK; `code` is the wire value (3.1.1: 0-5, MQTT 5: a reason code).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnAck {
    pub session_present: bool,
    pub code: u8,
    pub properties: Props,
}

/// PUBLISH. The topic may be empty in MQTT 5 when a topic alias stands for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Publish {
    pub dup: bool,
    pub qos: QoS,
    pub retain: bool,
    pub topic: String,
    pub pkid: u16,
    pub payload: Bytes,
    pub properties: Props,
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP share this shape; `reason` is 0 for success.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ack {
    pub pkid: u16,
    pub reason: u8,
    pub properties: Props,
}

impl Ack {
    /// A successful acknowledgement of `pkid` without properties.
    pub fn new(pkid: u16) -> Ack {
        Ack {
            pkid,
            ..Ack::default()
        }
    }
}

/// One topic filter of a SUBSCRIBE with its options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscription {
    pub filter: String,
    pub qos: QoS,
    pub no_local: bool,
    pub retain_as_published: bool,
    /// 0: send retained on subscribe, 1: only if new, 2: never.
    pub retain_handling: u8,
}

/// SUBSCRIBE.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subscribe {
    pub pkid: u16,
    pub filters: Vec<Subscription>,
    pub properties: Props,
}

/// SUBACK and UNSUBACK: one wire code per filter (granted QoS or a failure reason).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubAck {
    pub pkid: u16,
    pub codes: Vec<u8>,
    pub properties: Props,
}

/// UNSUBSCRIBE.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unsubscribe {
    pub pkid: u16,
    pub filters: Vec<String>,
    pub properties: Props,
}

/// DISCONNECT and AUTH: a reason code and properties (always 0 and empty in 3.1.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reason {
    pub code: u8,
    pub properties: Props,
}

/// One MQTT control packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    Connect(Box<Connect>),
    ConnAck(ConnAck),
    Publish(Publish),
    PubAck(Ack),
    PubRec(Ack),
    PubRel(Ack),
    PubComp(Ack),
    Subscribe(Subscribe),
    SubAck(SubAck),
    Unsubscribe(Unsubscribe),
    UnsubAck(SubAck),
    PingReq,
    PingResp,
    Disconnect(Reason),
    Auth(Reason),
}

/// MQTT 5's reason code "Unsupported Protocol Version".
pub const UNSUPPORTED_PROTOCOL_VERSION: u8 = 0x84;

/// Why bytes could not be decoded or a packet encoded. Every variant ends the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The peer sent something the protocol forbids; the text says what.
    Malformed(String),
    /// A well-formed packet that breaks a rule of the protocol (MQTT 5 reason 0x82), where
    /// mosquitto says protocol error rather than malformed packet.
    Protocol(&'static str),
    /// CONNECT named a protocol we do not speak (MQTT 5 reason 0x84).
    UnsupportedVersion(u8),
    /// The packet is larger than the agreed maximum (MQTT 5 reason 0x95).
    TooLarge { size: usize, max: usize },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Malformed(what) => write!(f, "malformed packet: {what}"),
            Error::Protocol(what) => write!(f, "protocol error: {what}"),
            Error::UnsupportedVersion(level) => write!(f, "unsupported protocol level {level}"),
            Error::TooLarge { size, max } => {
                write!(f, "packet of {size} bytes exceeds the maximum of {max}")
            }
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The MQTT 5 DISCONNECT reason code that tells the peer why it is being closed.
    pub fn reason_code(&self) -> u8 {
        match self {
            Error::Malformed(_) => 0x81,
            Error::Protocol(_) => 0x82,
            Error::UnsupportedVersion(_) => UNSUPPORTED_PROTOCOL_VERSION,
            Error::TooLarge { .. } => 0x95,
        }
    }
}

/// The size of the packet at the start of `buf` once all of it is there, `Ok(None)` while
/// more bytes are needed; an error for a malformed length or a packet over `max`. What
/// [`decode`] waits for, so a reader can wait for it without decoding.
pub fn whole_frame(buf: &[u8], max: usize) -> Result<Option<usize>, Error> {
    let Some((header_len, remaining)) = validate::frame(buf)? else {
        return Ok(None);
    };
    let size = header_len + remaining;
    if size > max {
        return Err(Error::TooLarge { size, max });
    }
    Ok((buf.len() >= size).then_some(size))
}

/// Decodes the next whole packet from `buf`, `Ok(None)` when more bytes are needed.
///
/// `version` is the connection's level; before CONNECT (a server's first packet) pass `None`
/// and the level is read from the CONNECT itself. `max` bounds the whole packet size.
pub fn decode(
    buf: &mut BytesMut,
    version: Option<Version>,
    max: usize,
) -> Result<Option<Packet>, Error> {
    let Some(size) = whole_frame(buf, max)? else {
        return Ok(None);
    };
    let frame = buf.split_to(size);
    validate::fixed_header_flags(frame[0])?;
    let packet = match version {
        None => v4::decode_connect(frame)?,
        Some(Version::V5) => v5::decode(frame)?,
        Some(_) => v4::decode(frame)?,
    };
    validate::packet(&packet)?;
    Ok(Some(packet))
}

/// Appends `packet` to `buf` as `version` frames it; on error nothing is appended.
///
/// PUBLISH, every publishing client's hot path, goes through [`encode_publish`] like the
/// broker's deliveries: no copy of topic and properties per message, and an over-long string
/// is an error where rumqttc would silently truncate its length.
pub fn encode(packet: &Packet, version: Version, buf: &mut BytesMut) -> Result<(), Error> {
    if let Packet::Publish(p) = packet {
        return encode_publish(&p.into(), version, usize::MAX, buf).map(|_| ());
    }
    let start = buf.len();
    let result = if version.is_v5() {
        v5::encode(packet, buf)
    } else {
        v4::encode(packet, buf)
    };
    if result.is_err() {
        buf.truncate(start);
    }
    result
}
