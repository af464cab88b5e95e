//! cJSON's printer: `cJSON_PrintUnformatted` and, when pretty, `cJSON_Print` (tab indents,
//! `"key":<TAB>value`, `", "` between array items).

use super::Value;
use crate::format::printf::c_str;

/// Appends `value` as cJSON prints it.
pub fn print(value: &Value, pretty: bool, out: &mut Vec<u8>) {
    Printer { pretty, out }.value(value, 0);
}

struct Printer<'o> {
    pretty: bool,
    out: &'o mut Vec<u8>,
}

impl Printer<'_> {
    /// `depth` is the nesting level of `value`'s container, which sets pretty indents.
    fn value(&mut self, value: &Value, depth: usize) {
        match value {
            Value::Null => self.out.extend_from_slice(b"null"),
            Value::Bool(true) => self.out.extend_from_slice(b"true"),
            Value::Bool(false) => self.out.extend_from_slice(b"false"),
            Value::Number(n) => number(*n, self.out),
            Value::String(s) => string(s, self.out),
            Value::Array(items) => self.array(items, depth),
            Value::Object(members) => self.object(members, depth),
        }
    }

    fn array(&mut self, items: &[Value], depth: usize) {
        self.out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
                if self.pretty {
                    self.out.push(b' ');
                }
            }
            self.value(item, depth + 1);
        }
        self.out.push(b']');
    }

    fn object(&mut self, members: &[(std::borrow::Cow<[u8]>, Value)], depth: usize) {
        let inner = depth + 1;
        self.out.push(b'{');
        self.newline();
        for (i, (key, value)) in members.iter().enumerate() {
            self.indent(inner);
            string(key, self.out);
            self.out.push(b':');
            if self.pretty {
                self.out.push(b'\t');
            }
            self.value(value, inner);
            if i + 1 < members.len() {
                self.out.push(b',');
            }
            self.newline();
        }
        self.indent(depth);
        self.out.push(b'}');
    }

    fn newline(&mut self) {
        if self.pretty {
            self.out.push(b'\n');
        }
    }

    fn indent(&mut self, depth: usize) {
        if self.pretty {
            crate::format::printf::pad(self.out, b'\t', depth);
        }
    }
}

/// A JSON string the way cJSON's `print_string_ptr` escapes it: only `"`, `\` and control
/// bytes are escaped; everything else, invalid UTF-8 included, is copied. It ends at NUL.
pub fn string(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in c_str(s) {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0x0f)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// cJSON's `print_number`: `%1.15g`, or `%1.17g` when 15 digits do not read back as (nearly)
/// the same double; NaN and infinities print `null`.
fn number(n: f64, out: &mut Vec<u8>) {
    if !n.is_finite() {
        out.extend_from_slice(b"null");
        return;
    }
    let short = format_g(n, 15);
    let round_trips = short.parse::<f64>().is_ok_and(|back| nearly_equal(back, n));
    let text = if round_trips { short } else { format_g(n, 17) };
    out.extend_from_slice(text.as_bytes());
}

/// cJSON's `compare_double`: equal within one epsilon of the larger magnitude.
fn nearly_equal(a: f64, b: f64) -> bool {
    (a - b).abs() <= a.abs().max(b.abs()) * f64::EPSILON
}

/// C's `%1.<precision>g` for a finite `n`.
fn format_g(n: f64, precision: usize) -> String {
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let scientific = format!("{:.*e}", precision - 1, n);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    if exponent < -4 || exponent >= precision as i64 {
        let sign = if exponent < 0 { '-' } else { '+' };
        let mantissa = strip_fraction_zeros(mantissa);
        format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
    } else {
        let decimals = (precision as i64 - 1 - exponent).max(0) as usize;
        strip_fraction_zeros(&format!("{n:.decimals$}")).to_string()
    }
}

/// `%g` drops trailing zeros of the fraction, and the point when nothing is left after it.
fn strip_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn printed(value: &Value, pretty: bool) -> Vec<u8> {
        let mut out = Vec::new();
        print(value, pretty, &mut out);
        out
    }

    fn num(n: f64) -> String {
        String::from_utf8(printed(&Value::Number(n), false)).unwrap()
    }

    #[test]
    fn numbers_match_cjson() {
        // Each pair was printed by mosquitto_sub 2.0.11 (cJSON 1.7.15) from a `%J` payload.
        let cases = [
            (1.5, "1.5"),
            (2e3, "2000"),
            (-0.0, "-0"),
            (1e20, "1e+20"),
            (123456789012.0, "123456789012"),
            (-1e5, "-100000"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (0.30000000000000004, "0.3"),
            (f64::INFINITY, "null"),
            (1.0, "1"),
        ];
        for (n, want) in cases {
            assert_eq!(num(n), want, "{n:e}");
        }
    }

    #[test]
    fn g_format_edges() {
        assert_eq!(format_g(1e15, 15), "1e+15");
        assert_eq!(format_g(999999999999999.0, 15), "999999999999999");
        assert_eq!(format_g(0.0001, 15), "0.0001");
        assert_eq!(format_g(-1.25e-300, 15), "-1.25e-300");
        assert_eq!(format_g(f64::MAX, 17), "1.7976931348623157e+308");
    }

    #[test]
    fn strings_escape_like_cjson() {
        let mut out = Vec::new();
        string(b"a\x01b\xff\xc3\xa9\"\\/\x7f\x08\x0c\n\r\t\0zz", &mut out);
        assert_eq!(
            out,
            b"\"a\\u0001b\xff\xc3\xa9\\\"\\\\/\x7f\\b\\f\\n\\r\\t\""
        );
    }

    #[test]
    fn pretty_layout_matches_cjson() {
        // mosquitto_sub -F %J --pretty with payload {"a": {"b":[1,{}], "e":[], "o":{}}}.
        let key = |k: &'static str| Cow::Borrowed(k.as_bytes());
        let inner = Value::Object(vec![
            (
                key("b"),
                Value::Array(vec![Value::int(1), Value::Object(vec![])]),
            ),
            (key("e"), Value::Array(vec![])),
            (key("o"), Value::Object(vec![])),
        ]);
        let v = Value::Object(vec![(key("a"), inner)]);
        let want = "{\n\t\"a\":\t{\n\t\t\"b\":\t[1, {\n\t\t\t}],\n\t\t\"e\":\t[],\n\t\t\"o\":\t{\n\t\t}\n\t}\n}";
        assert_eq!(String::from_utf8(printed(&v, true)).unwrap(), want);
        let want = r#"{"a":{"b":[1,{}],"e":[],"o":{}}}"#;
        assert_eq!(String::from_utf8(printed(&v, false)).unwrap(), want);
    }
}
