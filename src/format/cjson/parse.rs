//! cJSON's parser (`cJSON_ParseWithOpts` with a required end), with the leniencies `%J`
//! inherits: a UTF-8 BOM, any byte up to 0x20 as whitespace, raw control bytes and invalid
//! UTF-8 inside strings, numbers read by `strtod`, invalid `\u` digits read as 0.

use super::Value;
use std::borrow::Cow;

/// cJSON's `CJSON_NESTING_LIMIT`.
const NESTING_LIMIT: usize = 1000;

/// Parses `input` as a whole JSON document, `None` where mosquitto reports invalid JSON.
///
/// mosquitto hands cJSON the NUL-terminated payload and then insists the parse ended at
/// `payloadlen`, so any NUL byte makes the payload invalid.
pub fn parse(input: &[u8]) -> Option<Value<'static>> {
    if input.contains(&0) {
        return None;
    }
    let start = if input.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    let mut parser = Parser {
        input,
        pos: start,
        depth: 0,
    };
    parser.skip_whitespace();
    let value = parser.value()?;
    parser.skip_whitespace();
    (parser.pos == input.len()).then_some(value)
}

struct Parser<'i> {
    input: &'i [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(|b| b <= b' ') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, literal: &[u8]) -> bool {
        let found = self.input[self.pos..].starts_with(literal);
        if found {
            self.pos += literal.len();
        }
        found
    }

    fn value(&mut self) -> Option<Value<'static>> {
        match self.peek()? {
            b'n' if self.eat(b"null") => Some(Value::Null),
            b'f' if self.eat(b"false") => Some(Value::Bool(false)),
            b't' if self.eat(b"true") => Some(Value::Bool(true)),
            b'"' => self.string().map(|s| Value::String(Cow::Owned(s))),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            b'[' => self.nested(Self::array),
            b'{' => self.nested(Self::object),
            _ => None,
        }
    }

    /// Runs a container parser one level deeper, failing past cJSON's nesting limit.
    fn nested(&mut self, parse: fn(&mut Self) -> Option<Value<'static>>) -> Option<Value<'static>> {
        if self.depth >= NESTING_LIMIT {
            return None;
        }
        self.depth += 1;
        let value = parse(self);
        self.depth -= 1;
        value
    }

    fn array(&mut self) -> Option<Value<'static>> {
        self.pos += 1; // '['
        self.skip_whitespace();
        let mut items = Vec::new();
        if self.eat(b"]") {
            return Some(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            items.push(self.value()?);
            self.skip_whitespace();
            if !self.eat(b",") {
                break;
            }
        }
        self.eat(b"]").then_some(Value::Array(items))
    }

    fn object(&mut self) -> Option<Value<'static>> {
        self.pos += 1; // '{'
        self.skip_whitespace();
        let mut members = Vec::new();
        if self.eat(b"}") {
            return Some(Value::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return None;
            }
            let key = self.string()?;
            self.skip_whitespace();
            if !self.eat(b":") {
                return None;
            }
            self.skip_whitespace();
            members.push((Cow::Owned(key), self.value()?));
            self.skip_whitespace();
            if !self.eat(b",") {
                break;
            }
        }
        self.eat(b"}").then_some(Value::Object(members))
    }

    /// A string starting at its opening quote; the result may hold NUL from `\u0000`.
    fn string(&mut self) -> Option<Vec<u8>> {
        let start = self.pos + 1;
        let mut end = start;
        while end < self.input.len() && self.input[end] != b'"' {
            end += if self.input[end] == b'\\' { 2 } else { 1 };
        }
        if end >= self.input.len() {
            return None;
        }
        let text = unescape(&self.input[start..end])?;
        self.pos = end + 1;
        Some(text)
    }

    /// The longest `strtod` prefix of the following number characters. (Upstream cJSON 1.7.15
    /// copies at most 63 of them; Debian's patched build, which mosquitto 2.0.11 runs on, reads
    /// them all.)
    fn number(&mut self) -> Option<f64> {
        let rest = &self.input[self.pos..];
        let copied = rest
            .iter()
            .take_while(|b| matches!(b, b'0'..=b'9' | b'+' | b'-' | b'e' | b'E' | b'.'))
            .count();
        let len = strtod_prefix(&rest[..copied])?;
        let text = std::str::from_utf8(&rest[..len]).ok()?;
        let n = text.parse::<f64>().ok()?;
        self.pos += len;
        Some(n)
    }
}

/// Length of the decimal number `strtod` reads from the start of `s`, `None` if it reads none.
fn strtod_prefix(s: &[u8]) -> Option<usize> {
    let digits_from = |i: usize| s[i..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = usize::from(matches!(s.first(), Some(b'+' | b'-')));
    let int_digits = digits_from(i);
    i += int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        frac_digits = digits_from(i + 1);
        i += 1 + frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(s.get(i + 1), Some(b'+' | b'-')));
        let exp_digits = digits_from(i + 1 + sign);
        if exp_digits > 0 {
            i += 1 + sign + exp_digits;
        }
    }
    Some(i)
}

/// Resolves the escapes of a string body (the bytes between the quotes).
fn unescape(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] != b'\\' {
            out.push(body[i]);
            i += 1;
            continue;
        }
        let simple = match body.get(i + 1)? {
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            c @ (b'"' | b'\\' | b'/') => Some(*c),
            b'u' => None,
            _ => return None,
        };
        match simple {
            Some(b) => {
                out.push(b);
                i += 2;
            }
            None => i += utf16_escape(&body[i..], &mut out)?,
        }
    }
    Some(out)
}

/// Decodes `\uXXXX` (or a `\uXXXX\uXXXX` surrogate pair) at the start of `s` into UTF-8,
/// returning how many bytes it used. Lone or reversed surrogates are errors.
fn utf16_escape(s: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    let first = hex4(s.get(2..6)?);
    if (0xdc00..=0xdfff).contains(&first) {
        return None;
    }
    let (code, used) = if (0xd800..=0xdbff).contains(&first) {
        if s.get(6..8)? != b"\\u" {
            return None;
        }
        let second = hex4(s.get(8..12)?);
        if !(0xdc00..=0xdfff).contains(&second) {
            return None;
        }
        (0x10000 + (((first & 0x3ff) << 10) | (second & 0x3ff)), 12)
    } else {
        (first, 6)
    };
    let c = char::from_u32(code)?;
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    Some(used)
}

/// cJSON's `parse_hex4`, which yields 0 for any non-hex digit.
fn hex4(digits: &[u8]) -> u32 {
    let mut code = 0;
    for &d in digits {
        match char::from(d).to_digit(16) {
            Some(v) => code = code * 16 + v,
            None => return 0,
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::cjson::print;

    /// Parses and reprints compactly, as `%J` does.
    fn reprint(input: &[u8]) -> Option<String> {
        let value = parse(input)?;
        let mut out = Vec::new();
        print(&value, false, &mut out);
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    #[test]
    fn reformats_like_mosquitto_sub() {
        // Payloads and outputs from mosquitto_sub 2.0.11 -F %J.
        let input = br#"{"a": 1.50, "b":[1,2e3,  -0.0, 1e20, 123456789012], "c":"x\u00e9\ud83d\ude00\n\"", "a":null, "t":true}"#;
        let want = "{\"a\":1.5,\"b\":[1,2000,-0,1e+20,123456789012],\"c\":\"x\u{e9}\u{1f600}\\n\\\"\",\"a\":null,\"t\":true}";
        assert_eq!(reprint(input).as_deref(), Some(want));
        let input = br#"[1e400, "\u0000x", "\uZZZZy", 1.]"#;
        assert_eq!(reprint(input).as_deref(), Some(r#"[null,"","",1]"#));
        let input = b"\x01[01, -1.e5, 0.1, 1e-5, 123456789012345678, 0.30000000000000004]\t";
        let want = "[1,-100000,0.1,1e-05,1.2345678901234568e+17,0.3]";
        assert_eq!(reprint(input).as_deref(), Some(want));
        assert_eq!(reprint(b"{\"a\":1} ").as_deref(), Some(r#"{"a":1}"#));
    }

    #[test]
    fn accepts_cjson_leniencies() {
        assert_eq!(reprint(b"\xef\xbb\xbf 1").as_deref(), Some("1"));
        assert_eq!(
            reprint(b"\"a\x01\xff\"").as_deref(),
            Some("\"a\\u0001\u{fffd}\"")
        );
        assert_eq!(reprint(b"\"\\/\"").as_deref(), Some("\"/\""));
        assert_eq!(reprint(b"-5.").as_deref(), Some("-5"));
    }

    #[test]
    fn rejects_what_cjson_rejects() {
        let bad: &[&[u8]] = &[
            b"nope",
            b"",
            b"{} x",
            b"{}\0",
            b"[1,]",
            b"{\"a\"}",
            b"{a:1}",
            b"+1",
            b".5",
            b"1e",
            b"-",
            b"\"abc",
            b"\"\\x\"",
            b"\"\\ud800\"",
            b"\"\\udc00\\ud800\"",
            b"\"ab\\",
            b"[1 2]",
            b"nul",
            b"\xef\xbb",
        ];
        for input in bad {
            assert_eq!(reprint(input), None, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn nesting_limit_is_1000() {
        let deep = |n: usize| [vec![b'['; n], vec![b']'; n]].concat();
        assert!(parse(&deep(1000)).is_some());
        assert!(parse(&deep(1001)).is_none());
    }

    #[test]
    fn long_numbers_are_read_whole() {
        // mosquitto_sub 2.0.11 on Debian 12 (libcjson1 1.7.15-1+deb12u4).
        let ones = |n: usize| "1".repeat(n);
        assert_eq!(
            reprint(ones(63).as_bytes()).as_deref(),
            Some("1.1111111111111112e+62")
        );
        assert_eq!(
            reprint(ones(64).as_bytes()).as_deref(),
            Some("1.1111111111111112e+63")
        );
        assert_eq!(
            reprint(ones(300).as_bytes()).as_deref(),
            Some("1.1111111111111112e+299")
        );
        let tiny = format!("0.{}1", "0".repeat(300));
        assert_eq!(reprint(tiny.as_bytes()).as_deref(), Some("1e-301"));
    }
}
