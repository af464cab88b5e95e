//! A JSON model that reads and writes exactly like cJSON 1.7.15, the library mosquitto_sub
//! builds `%j`/`%J` output with.
//!
//! serde_json cannot stand in for it: cJSON keeps duplicate keys, writes strings as raw
//! bytes (invalid UTF-8 included), stops strings at NUL, prints numbers with `%1.15g` and
//! indents with tabs. [`parse`] and [`print`] reproduce those rules; the [`serde::Serialize`]
//! impl only feeds the coloured terminal view.

mod parse;
mod print;

pub use parse::parse;
pub use print::print;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use std::borrow::Cow;

/// One cJSON item. Strings and keys are bytes because cJSON never checks UTF-8.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Number(f64),
    String(Cow<'a, [u8]>),
    Array(Vec<Value<'a>>),
    /// Members in insertion order; duplicate keys are kept, as cJSON does.
    Object(Vec<(Cow<'a, [u8]>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// A string borrowing `bytes`.
    pub fn bytes(bytes: &'a [u8]) -> Value<'a> {
        Value::String(Cow::Borrowed(bytes))
    }

    /// A number from any integer mosquitto puts in its JSON (all fit an `f64` exactly).
    pub fn int(n: impl Into<f64>) -> Value<'a> {
        Value::Number(n.into())
    }
}

/// The text a C string holds: up to the first NUL, lossily decoded for display.
fn display_str(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(super::printf::c_str(bytes))
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            // Integral values print as integers, as cJSON shows them, not as `1.0`.
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
                serializer.serialize_i64(*n as i64)
            }
            Value::Number(n) => serializer.serialize_f64(*n),
            Value::String(s) => serializer.serialize_str(&display_str(s)),
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(&display_str(key), value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_in_order_with_duplicates() {
        let v = Value::Object(vec![
            (Cow::Borrowed(&b"b"[..]), Value::int(1)),
            (Cow::Borrowed(&b"a"[..]), Value::Number(1.5)),
            (Cow::Borrowed(&b"b"[..]), Value::bytes(b"x\xffy\0z")),
            (
                Cow::Borrowed(&b"n"[..]),
                Value::Array(vec![Value::Null, Value::Bool(true)]),
            ),
        ]);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(
            json,
            "{\"b\":1,\"a\":1.5,\"b\":\"x\u{fffd}y\",\"n\":[null,true]}"
        );
    }
}
