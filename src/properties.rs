//! `-D CMD NAME VALUE`: MQTT 5 properties from the command line, checked the way mosquitto's
//! `client_props.c` and `mosquitto_property_check_all` check them, with their messages.
//!
//! Command and property names are case-insensitive, as in mosquitto. Every packet mosquitto can
//! name is recognised so that e.g. `puback` gets "not supported" rather than "invalid command".

use bytes::Bytes;

use crate::codec::Properties;

/// The `-D` properties sorted by the packet they go into.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommandProperties {
    pub connect: Properties,
    pub publish: Properties,
    pub subscribe: Properties,
    pub unsubscribe: Properties,
    pub disconnect: Properties,
    /// Properties of the last will (carried in CONNECT's will).
    pub will: Properties,
}

/// Packets mosquitto's `mosquitto_string_to_command` knows; their names are the variants'
/// (matched case-insensitively through `Debug`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    Connect,
    Connack,
    Publish,
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
    Subscribe,
    Suback,
    Unsubscribe,
    Unsuback,
    Disconnect,
    Auth,
    Will,
}

/// How a property's value is written on the wire, which decides how it is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Byte,
    Int16,
    Int32,
    VarInt,
    Binary,
    Text,
    Pair,
}

/// One property: its name, value kind and the packets the MQTT 5 spec allows it in.
struct Spec {
    name: &'static str,
    kind: Kind,
    allowed: &'static [Cmd],
}

use Cmd::*;

const ACKS: &[Cmd] = &[
    Connack, Puback, Pubrec, Pubrel, Pubcomp, Suback, Unsuback, Disconnect, Auth,
];
const ALL: &[Cmd] = &[
    Connect,
    Connack,
    Publish,
    Puback,
    Pubrec,
    Pubrel,
    Pubcomp,
    Subscribe,
    Suback,
    Unsubscribe,
    Unsuback,
    Disconnect,
    Auth,
    Will,
];

/// The packets `-D` can fill, with the label of mosquitto's per-packet error, in the order
/// mosquitto checks them.
const SUPPORTED: [(Cmd, &str); 6] = [
    (Connect, "CONNECT"),
    (Publish, "PUBLISH"),
    (Subscribe, "SUBSCRIBE"),
    (Unsubscribe, "UNSUBSCRIBE"),
    (Disconnect, "DISCONNECT"),
    (Will, "Will"),
];

const SPECS: [Spec; 27] = [
    spec("payload-format-indicator", Kind::Byte, &[Publish, Will]),
    spec("message-expiry-interval", Kind::Int32, &[Publish, Will]),
    spec("content-type", Kind::Text, &[Publish, Will]),
    spec("response-topic", Kind::Text, &[Publish, Will]),
    spec("correlation-data", Kind::Binary, &[Publish, Will]),
    spec(
        "subscription-identifier",
        Kind::VarInt,
        &[Publish, Subscribe],
    ),
    spec(
        "session-expiry-interval",
        Kind::Int32,
        &[Connect, Connack, Disconnect],
    ),
    spec("assigned-client-identifier", Kind::Text, &[Connack]),
    spec("server-keep-alive", Kind::Int16, &[Connack]),
    spec(
        "authentication-method",
        Kind::Text,
        &[Connect, Connack, Auth],
    ),
    spec(
        "authentication-data",
        Kind::Binary,
        &[Connect, Connack, Auth],
    ),
    spec("request-problem-information", Kind::Byte, &[Connect]),
    spec("will-delay-interval", Kind::Int32, &[Will]),
    spec("request-response-information", Kind::Byte, &[Connect]),
    spec("response-information", Kind::Text, &[Connack]),
    spec("server-reference", Kind::Text, &[Connack, Disconnect]),
    spec("reason-string", Kind::Text, ACKS),
    spec("receive-maximum", Kind::Int16, &[Connect, Connack]),
    spec("topic-alias-maximum", Kind::Int16, &[Connect, Connack]),
    spec("topic-alias", Kind::Int16, &[Publish]),
    spec("maximum-qos", Kind::Byte, &[Connack]),
    spec("retain-available", Kind::Byte, &[Connack]),
    spec("user-property", Kind::Pair, ALL),
    spec("maximum-packet-size", Kind::Int32, &[Connect, Connack]),
    spec("wildcard-subscription-available", Kind::Byte, &[Connack]),
    spec("subscription-identifier-available", Kind::Byte, &[Connack]),
    spec("shared-subscription-available", Kind::Byte, &[Connack]),
];

const fn spec(name: &'static str, kind: Kind, allowed: &'static [Cmd]) -> Spec {
    Spec {
        name,
        kind,
        allowed,
    }
}

/// A parsed value, before it lands in a [`Properties`] field.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Value {
    Number(u32),
    Text(String),
    Pair(String, String),
}

/// One accepted `-D`, in command-line order.
struct Entry {
    cmd: Cmd,
    spec: &'static Spec,
    value: Value,
}

/// True when `-D` was given at all: mosquitto then speaks MQTT 5 whatever `-V` says.
pub fn forces_v5(raw: &[Vec<String>]) -> bool {
    !raw.is_empty()
}

/// Parses every `-D` (each `[CMD, NAME, VALUE]` or `[CMD, user-property, KEY, VALUE]`).
///
/// Errors are mosquitto's complete messages, reported in mosquitto's order: the first bad
/// `-D` in command-line order, then per-packet checks (duplicates, forbidden zero values).
pub fn parse(raw: &[Vec<String>]) -> Result<CommandProperties, String> {
    let entries = raw
        .iter()
        .map(|d| parse_one(d))
        .collect::<Result<Vec<_>, _>>()?;
    let mut props = CommandProperties::default();
    for (cmd, label) in SUPPORTED {
        let mine: Vec<&Entry> = entries.iter().filter(|e| e.cmd == cmd).collect();
        check_all(&mine).map_err(|why| format!("Error in {label} properties: {why}"))?;
        let target = props.slot(cmd);
        for entry in mine {
            store(target, entry.spec.name, entry.value.clone());
        }
    }
    Ok(props)
}

impl CommandProperties {
    /// The packet `cmd` fills; only the [`SUPPORTED`] packets reach here.
    fn slot(&mut self, cmd: Cmd) -> &mut Properties {
        match cmd {
            Connect => &mut self.connect,
            Publish => &mut self.publish,
            Subscribe => &mut self.subscribe,
            Unsubscribe => &mut self.unsubscribe,
            Disconnect => &mut self.disconnect,
            _ => &mut self.will,
        }
    }
}

fn parse_one(d: &[String]) -> Result<Entry, String> {
    let [cmd_name, prop_name, rest @ ..] = d else {
        return Err(NOT_ENOUGH.to_string());
    };
    let cmd = *ALL
        .iter()
        .find(|c| format!("{c:?}").eq_ignore_ascii_case(cmd_name))
        .ok_or("Error: Invalid command given in --property argument.")?;
    let spec = SPECS
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(prop_name))
        .ok_or("Error: Invalid property name given in --property argument.")?;
    if !spec.allowed.contains(&cmd) {
        return Err(format!(
            "Error: {prop_name} property not allowed for {cmd_name} in --property argument."
        ));
    }
    let supported = SUPPORTED.iter().any(|&(c, _)| c == cmd);
    if !supported || (cmd == Publish && spec.name == "subscription-identifier") {
        return Err(format!(
            "Error: {prop_name} property not supported for {cmd_name} in --property argument."
        ));
    }
    let (value, used) = match (spec.kind, rest) {
        (Kind::Pair, [key, value, ..]) => (Value::Pair(key.clone(), value.clone()), 2),
        (Kind::Pair, _) | (_, []) => return Err(NOT_ENOUGH.to_string()),
        (_, [value, ..]) => (parse_value(spec, prop_name, value)?, 1),
    };
    if let Some(extra) = rest.get(used) {
        return Err(format!("Error: Unknown option '{extra}'."));
    }
    Ok(Entry { cmd, spec, value })
}

const NOT_ENOUGH: &str = "Error: --property argument given but not enough arguments specified.";

fn parse_value(spec: &Spec, typed_name: &str, value: &str) -> Result<Value, String> {
    let max = match spec.kind {
        Kind::Byte => u32::from(u8::MAX),
        Kind::Int16 => u32::from(u16::MAX),
        Kind::Int32 => u32::MAX,
        Kind::VarInt => 268_435_455,
        Kind::Binary if value.len() > usize::from(u16::MAX) => {
            return Err(format!(
                "Error: Property value too long for property {typed_name}."
            ))
        }
        Kind::Binary | Kind::Text | Kind::Pair => return Ok(Value::Text(value.to_string())),
    };
    let n: i64 = value
        .parse()
        .map_err(|_| format!("Error: Property value '{value}' not a number."))?;
    let min = if spec.kind == Kind::VarInt { 1 } else { 0 };
    match u32::try_from(n) {
        Ok(n) if (min..=max).contains(&n) => Ok(Value::Number(n)),
        _ => Err(format!(
            "Error: Property value ({n}) out of range for property {typed_name}."
        )),
    }
}

/// mosquitto_property_check_all: no duplicates (but user properties), and values the
/// protocol forbids. The texts are `mosquitto_strerror`'s.
fn check_all(entries: &[&Entry]) -> Result<(), &'static str> {
    for (i, e) in entries.iter().enumerate() {
        let repeatable = e.spec.kind == Kind::Pair;
        if !repeatable && entries[i + 1..].iter().any(|o| o.spec.name == e.spec.name) {
            return Err("Duplicate property in property list");
        }
        if forbidden_value(e.spec.name, &e.value) {
            return Err("A network protocol error occurred when communicating with the broker.");
        }
    }
    Ok(())
}

fn forbidden_value(name: &str, value: &Value) -> bool {
    let Value::Number(n) = *value else {
        return false;
    };
    match name {
        "request-problem-information" | "request-response-information" => n > 1,
        "maximum-packet-size" | "receive-maximum" | "topic-alias" => n == 0,
        _ => false,
    }
}

/// Puts one checked value into its [`Properties`] field.
fn store(p: &mut Properties, name: &str, value: Value) {
    if let Some(id) = wire_id(name) {
        p.order.0.push(id);
    }
    match value {
        Value::Pair(k, v) => p.user_properties.push((k, v)),
        Value::Text(s) => store_text(p, name, s),
        Value::Number(n) => store_number(p, name, n),
    }
}

/// The identifier of a property the clients send, whose `-D` order is kept on the wire
/// (PUBLISH, CONNECT, will, SUBSCRIBE, UNSUBSCRIBE and DISCONNECT properties), as
/// mosquitto's clients keep it.
fn wire_id(name: &str) -> Option<u8> {
    Some(match name {
        "payload-format-indicator" => 0x01,
        "message-expiry-interval" => 0x02,
        "content-type" => 0x03,
        "response-topic" => 0x08,
        "correlation-data" => 0x09,
        "subscription-identifier" => 0x0B,
        "session-expiry-interval" => 0x11,
        "authentication-method" => 0x15,
        "authentication-data" => 0x16,
        "request-problem-information" => 0x17,
        "will-delay-interval" => 0x18,
        "request-response-information" => 0x19,
        "receive-maximum" => 0x21,
        "topic-alias-maximum" => 0x22,
        "server-reference" => 0x1C,
        "reason-string" => 0x1F,
        "topic-alias" => 0x23,
        "user-property" => 0x26,
        "maximum-packet-size" => 0x27,
        _ => return None,
    })
}

fn store_text(p: &mut Properties, name: &str, s: String) {
    match name {
        "content-type" => p.content_type = Some(s),
        "response-topic" => p.response_topic = Some(s),
        "correlation-data" => p.correlation_data = Some(Bytes::from(s)),
        "authentication-method" => p.authentication_method = Some(s),
        "authentication-data" => p.authentication_data = Some(Bytes::from(s)),
        _ => {}
    }
}

/// Only properties some supported packet allows arrive here, so the narrowing casts are exact
/// (their ranges were checked by `parse_value`).
fn store_number(p: &mut Properties, name: &str, n: u32) {
    let byte = || u8::try_from(n).ok();
    let short = || u16::try_from(n).ok();
    match name {
        "payload-format-indicator" => p.payload_format_indicator = byte(),
        "message-expiry-interval" => p.message_expiry_interval = Some(n),
        "subscription-identifier" => p.subscription_identifiers.push(n),
        "session-expiry-interval" => p.session_expiry_interval = Some(n),
        "request-problem-information" => p.request_problem_information = byte(),
        "will-delay-interval" => p.will_delay_interval = Some(n),
        "request-response-information" => p.request_response_information = byte(),
        "receive-maximum" => p.receive_maximum = short(),
        "topic-alias-maximum" => p.topic_alias_maximum = short(),
        "topic-alias" => p.topic_alias = short(),
        "maximum-packet-size" => p.maximum_packet_size = Some(n),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
