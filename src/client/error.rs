//! Why a client session ended, in the words mosquitto's clients print for it.

use crate::codec::UNSUPPORTED_PROTOCOL_VERSION;
use std::io;

/// Why a session ended; each maps to mosquitto's exit status.
#[derive(Debug)]
pub enum ClientError {
    /// The stream to the broker could not be opened.
    Transport(crate::transport::ConnectError),
    /// The broker refused CONNECT with this CONNACK code, in an MQTT 5 session or not.
    Refused { code: u8, mqtt5: bool },
    /// The connection failed or was lost.
    Io(io::Error),
    /// The broker sent DISCONNECT (MQTT 5) with this reason.
    Disconnected(Box<crate::codec::Reason>),
    /// No PINGRESP within the keepalive interval.
    KeepaliveTimeout,
    /// The broker broke the protocol.
    Protocol(String),
    /// The tool's own input was unusable (a `--replay` record): the one-line error.
    Input(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Transport(e @ crate::transport::ConnectError::Io(_)) => {
                write!(f, "Error: {e}")
            }
            ClientError::Transport(e) => write!(f, "{e}"),
            // mosquitto_pub and mosquitto_sub add advice when an MQTT 3 broker turned MQTT 5 away.
            ClientError::Refused { code, mqtt5: true } if *code == UNSUPPORTED_PROTOCOL_VERSION => {
                write!(
                f,
                "Connection error: {}. Try connecting to an MQTT v5 broker, or use MQTT v3.x mode.",
                reason_text(*code)
            )
            }
            ClientError::Refused { code, mqtt5: true } => {
                write!(f, "Connection error: {}", reason_text(*code))
            }
            ClientError::Refused { code, .. } => {
                write!(f, "Connection error: {}", connack_text(*code))
            }
            ClientError::Io(e) => write!(f, "{e}"),
            ClientError::Disconnected(r) => match &r.properties.reason_string {
                Some(text) => write!(f, "Disconnected by the broker: {text}"),
                None => write!(f, "Disconnected by the broker (reason {:#04x})", r.code),
            },
            ClientError::KeepaliveTimeout => write!(f, "Keepalive timeout"),
            ClientError::Protocol(what) => write!(f, "Protocol error: {what}"),
            ClientError::Input(what) => write!(f, "Error: {what}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

/// The words of libmosquitto's `mosquitto_connack_string` for an MQTT 3.1/3.1.1 CONNACK code.
pub fn connack_text(code: u8) -> &'static str {
    match code {
        0 => "Connection Accepted.",
        1 => "Connection Refused: unacceptable protocol version.",
        2 => "Connection Refused: identifier rejected.",
        3 => "Connection Refused: broker unavailable.",
        4 => "Connection Refused: bad user name or password.",
        5 => "Connection Refused: not authorised.",
        _ => "Connection Refused: unknown reason.",
    }
}

/// The words of libmosquitto's `mosquitto_reason_string` for an MQTT 5 reason code.
pub fn reason_text(code: u8) -> &'static str {
    match code {
        0x00 => "Success",
        0x01 => "Granted QoS 1",
        0x02 => "Granted QoS 2",
        0x04 => "Disconnect with Will Message",
        0x10 => "No matching subscribers",
        0x11 => "No subscription existed",
        0x18 => "Continue authentication",
        0x19 => "Re-authenticate",
        0x80 => "Unspecified error",
        0x81 => "Malformed Packet",
        0x82 => "Protocol Error",
        0x83 => "Implementation specific error",
        0x84 => "Unsupported Protocol Version",
        0x85 => "Client Identifier not valid",
        0x86 => "Bad User Name or Password",
        0x87 => "Not authorized",
        0x88 => "Server unavailable",
        0x89 => "Server busy",
        0x8A => "Banned",
        0x8B => "Server shutting down",
        0x8C => "Bad authentication method",
        0x8D => "Keep Alive timeout",
        0x8E => "Session taken over",
        0x8F => "Topic Filter invalid",
        0x90 => "Topic Name invalid",
        0x91 => "Packet Identifier in use",
        0x92 => "Packet Identifier not found",
        0x93 => "Receive Maximum exceeded",
        0x94 => "Topic Alias invalid",
        0x95 => "Packet too large",
        0x96 => "Message rate too high",
        0x97 => "Quota exceeded",
        0x98 => "Administrative action",
        0x99 => "Payload format invalid",
        0x9A => "Retain not supported",
        0x9B => "QoS not supported",
        0x9C => "Use another server",
        0x9D => "Server moved",
        0x9E => "Shared Subscriptions not supported",
        0x9F => "Connection rate exceeded",
        0xA0 => "Maximum connect time",
        0xA1 => "Subscription identifiers not supported",
        0xA2 => "Wildcard Subscriptions not supported",
        _ => "Unknown reason",
    }
}
