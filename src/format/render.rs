//! Rendering a compiled `-F` template for one message (mosquitto's `formatted_print`).

use super::mosquitto_json::{self, PayloadAs};
use super::printf::{self, Spec};
use super::template::{Field, Piece, Template};
use super::JsonStyle;
use crate::codec::Publish;
use chrono::{DateTime, FixedOffset};
use std::io::Write;

/// Appends `template` for `msg`. Like mosquitto, a field that cannot print (`%J` on a payload
/// that is not JSON, `%f`/`%d` on one of the wrong length) prints nothing and the rest still
/// prints; the errors come back afterwards, each as mosquitto writes it to stderr (its own
/// line ending included, or none), in the order of the fields.
pub fn render(
    template: &Template,
    msg: &Publish,
    now: &DateTime<FixedOffset>,
    style: JsonStyle,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let mut errors = String::new();
    for piece in &template.pieces {
        match piece {
            Piece::Text(text) => out.extend_from_slice(text),
            Piece::Time(field) => field.write(now, out),
            Piece::Field(field, spec) => {
                if let Err(e) = self::field(*field, *spec, msg, now, style, out) {
                    errors.push_str(&e);
                }
            }
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(errors),
    }
}

fn json(
    msg: &Publish,
    now: &DateTime<FixedOffset>,
    payload_as: PayloadAs,
    style: JsonStyle,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    match mosquitto_json::object(msg, now, payload_as) {
        Some(object) => {
            style.write(&object, out);
            Ok(())
        }
        None => Err(format!(
            "Error: Message payload is not valid JSON on topic {}.\n",
            msg.topic
        )),
    }
}

/// One `%` field; `%J`, `%f` and `%d` can fail.
fn field(
    field: Field,
    spec: Spec,
    msg: &Publish,
    now: &DateTime<FixedOffset>,
    style: JsonStyle,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let props = &msg.properties;
    match field {
        Field::Json(payload_as) => return json(msg, now, payload_as, style, out),
        Field::TopicAlias => optional_int(props.topic_alias.map(i64::from), spec, out),
        // mosquitto prints these u32 properties through an `int`.
        Field::MessageExpiry => {
            let expiry = props.message_expiry_interval.map(|v| i64::from(v as i32));
            optional_int(expiry, spec, out);
        }
        Field::SubscriptionId => {
            let first = props.subscription_identifiers.first();
            optional_int(first.map(|&v| i64::from(v as i32)), spec, out);
        }
        Field::PayloadFormat => {
            optional_int(props.payload_format_indicator.map(i64::from), spec, out)
        }
        Field::ContentType => match &props.content_type {
            Some(ct) => printf::string(out, ct.as_bytes(), spec),
            None => printf::blank_string(out, spec),
        },
        Field::ResponseTopic => {
            if let Some(rt) = &props.response_topic {
                printf::string(out, rt.as_bytes(), spec);
            }
        }
        Field::CorrelationData => {
            if let Some(cd) = &props.correlation_data {
                out.extend_from_slice(cd);
            }
        }
        Field::UserProperties => user_properties(msg, out),
        Field::Iso8601 => {
            let iso = now.format("%Y-%m-%dT%H:%M:%S%z").to_string();
            printf::string(out, iso.as_bytes(), spec);
        }
        Field::UnixTime => {
            let _ = write!(
                out,
                "{}.{:09}",
                now.timestamp(),
                now.timestamp_subsec_nanos()
            );
        }
        Field::PayloadLen => printf::int(out, msg.payload.len() as i64, spec),
        Field::Mid => printf::int(out, i64::from(msg.pkid), spec),
        Field::Payload(encoding) => printf::payload(out, &msg.payload, encoding, spec),
        // mosquitto 2.1 (formatted_print_percent): nothing printed, and its error without a
        // line ending.
        Field::Float => match <[u8; 4]>::try_from(&msg.payload[..]) {
            Ok(bytes) => printf::float(out, f64::from(f32::from_ne_bytes(bytes)), spec),
            Err(_) => return Err("requested float printing, but non-float data received".into()),
        },
        Field::Double => match <[u8; 8]>::try_from(&msg.payload[..]) {
            Ok(bytes) => printf::float(out, f64::from_ne_bytes(bytes), spec),
            Err(_) => return Err("requested double printing, but non-double data received".into()),
        },
        Field::Qos => out.push(b'0' + msg.qos as u8),
        Field::Retain => out.push(if msg.retain { b'1' } else { b'0' }),
        Field::Topic => printf::string(out, msg.topic.as_bytes(), spec),
    }
    Ok(())
}

/// A numeric property, or `width` pad bytes when the message lacks it.
fn optional_int(value: Option<i64>, spec: Spec, out: &mut Vec<u8>) {
    match value {
        Some(v) => printf::int(out, v, spec),
        None => printf::blank_number(out, spec),
    }
}

/// `%P`: `key:value` pairs separated by spaces, as C strings.
fn user_properties(msg: &Publish, out: &mut Vec<u8>) {
    for (i, (k, v)) in msg.properties.user_properties.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(printf::c_str(k.as_bytes()));
        out.push(b':');
        out.extend_from_slice(printf::c_str(v.as_bytes()));
    }
}
