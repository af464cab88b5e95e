//! The C `printf` behaviour mosquitto_sub's `-F` fields inherit, reproduced byte for byte.
//!
//! Widths and precisions count bytes, not characters, because C does; strings stop at the
//! first NUL because they are C strings.

use std::io::Write;
/// Flags, field width and precision of one `%` field: `%-010.3t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spec {
    /// `-`: pad on the right.
    pub left: bool,
    /// `0`: pad numbers (and absent properties) with zeros instead of spaces.
    pub zero: bool,
    /// Minimum width, 0 for none.
    pub width: usize,
    /// `.N`: maximum width for strings, decimals for floats, group size for hex (2.1).
    pub precision: Option<usize>,
    /// mosquitto 2.1's hex separator (`%.2:x`); a space when a group size is given without one.
    pub separator: Option<u8>,
}

/// How `%p`, `%x` and `%X` render the payload bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Raw,
    Hex,
    UpperHex,
}

/// The part of `s` a C string would see: everything before the first NUL.
pub fn c_str(s: &[u8]) -> &[u8] {
    s.iter().position(|&b| b == 0).map_or(s, |nul| &s[..nul])
}

/// Appends `n` copies of `byte`.
pub fn pad(out: &mut Vec<u8>, byte: u8, n: usize) {
    out.resize(out.len() + n, byte);
}

/// The padding byte for fields that honour the `0` flag.
fn pad_byte(spec: Spec) -> u8 {
    if spec.zero {
        b'0'
    } else {
        b' '
    }
}

/// `%d` with the flags: `%-*d`, `%0*d` or `%*d` (as `formatted_print_int`).
pub fn int(out: &mut Vec<u8>, value: i64, spec: Spec) {
    let start = out.len();
    // Writing into a Vec cannot fail.
    let _ = write!(out, "{value}");
    pad_number(out, start, spec.zero, spec);
}

/// The most fractional digits an `f64` has: beyond them C prints zeros, and `format!` would
/// panic on a precision above 65,535.
const MAX_DIGITS: usize = 1_100;

/// `%f` (mosquitto 2.1's `%f`/`%d` payloads): `%-*.*f`, `%0*.*f` or `%*.*f`, six decimals by
/// default; NaN and infinities as C spells them, padded with spaces even with `0`.
pub fn float(out: &mut Vec<u8>, value: f64, spec: Spec) {
    let start = out.len();
    if value.is_sign_negative() {
        out.push(b'-');
    }
    if !value.is_finite() {
        out.extend_from_slice(if value.is_nan() { b"nan" } else { b"inf" });
        return pad_number(out, start, false, spec);
    }
    let precision = spec.precision.unwrap_or(6);
    let _ = write!(out, "{:.*}", precision.min(MAX_DIGITS), value.abs());
    pad(out, b'0', precision.saturating_sub(MAX_DIGITS));
    pad_number(out, start, spec.zero, spec);
}

/// Pads the number written at `out[start..]` to the width: spaces after it with `-`, else
/// zeros after its sign when `zeros`, else spaces before it.
///
/// Padded by hand: `format!`'s width stops at 65,535 (it panics above), C's does not.
fn pad_number(out: &mut Vec<u8>, start: usize, zeros: bool, spec: Spec) {
    let fill = spec.width.saturating_sub(out.len() - start);
    if spec.left {
        return pad(out, b' ', fill);
    }
    let (at, byte) = match zeros {
        true => (start + usize::from(out.get(start) == Some(&b'-')), b'0'),
        false => (start, b' '),
    };
    out.splice(at..at, std::iter::repeat_n(byte, fill));
}

/// `%-*.*s`: at most `precision` bytes of the C string, padded with spaces to `width`.
pub fn string(out: &mut Vec<u8>, value: &[u8], spec: Spec) {
    let value = c_str(value);
    let value = match spec.precision {
        Some(max) => &value[..value.len().min(max)],
        None => value,
    };
    let fill = spec.width.saturating_sub(value.len());
    if !spec.left {
        pad(out, b' ', fill);
    }
    out.extend_from_slice(value);
    if spec.left {
        pad(out, b' ', fill);
    }
}

/// What an absent numeric property prints: `width` pad bytes, whatever the alignment.
pub fn blank_number(out: &mut Vec<u8>, spec: Spec) {
    pad(out, pad_byte(spec), spec.width);
}

/// What an absent content-type prints: `width` spaces.
pub fn blank_string(out: &mut Vec<u8>, spec: Spec) {
    pad(out, b' ', spec.width);
}

/// `%p`, `%x` and `%X` as mosquitto's `write_payload` does them, quirks included.
///
/// A width truncates the payload to `width` bytes (hex: to `width / 2` bytes). With `-` and
/// no width the padding is computed as `-payloadlen` and C's `printf("%*s", -n, "")` turns that
/// into `n` trailing spaces, so `%-p` really prints one space per payload byte after it.
/// A precision groups hex output as mosquitto 2.1 does (2.0 ignores it there).
pub fn payload(out: &mut Vec<u8>, payload: &[u8], encoding: Encoding, spec: Spec) {
    let per_byte = if encoding == Encoding::Raw { 1 } else { 2 };
    let (shown, fill) = if spec.width > 0 {
        let shown = payload.len().min(spec.width) / per_byte;
        (shown, spec.width - shown * per_byte)
    } else {
        // padlen = 0 - payloadlen: only the left-aligned branch prints it (as its magnitude).
        (payload.len(), if spec.left { payload.len() } else { 0 })
    };
    let bytes = &payload[..shown];
    let digits = match encoding {
        Encoding::Raw => {
            return aligned(out, spec, fill, |out| out.extend_from_slice(bytes));
        }
        Encoding::Hex => b"0123456789abcdef",
        Encoding::UpperHex => b"0123456789ABCDEF",
    };
    match spec.precision {
        Some(group @ 1..) => {
            let sep = spec.separator.unwrap_or(b' ');
            Grouped::new(out, group, sep).hex(
                bytes,
                digits,
                (!spec.left).then_some((pad_byte(spec), fill)),
            );
            if spec.left {
                pad(out, b' ', fill);
            }
        }
        _ => aligned(out, spec, fill, |out| hex(out, bytes, digits)),
    }
}

/// Writes `body` with `fill` pad bytes before it, or spaces after it with `-`.
fn aligned(out: &mut Vec<u8>, spec: Spec, fill: usize, body: impl FnOnce(&mut Vec<u8>)) {
    if !spec.left {
        pad(out, pad_byte(spec), fill);
    }
    body(out);
    if spec.left {
        pad(out, b' ', fill);
    }
}

/// Two digits per byte from `digits`.
fn hex(out: &mut Vec<u8>, bytes: &[u8], digits: &[u8; 16]) {
    out.reserve(bytes.len() * 2);
    for &b in bytes {
        out.push(digits[usize::from(b >> 4)]);
        out.push(digits[usize::from(b & 0x0f)]);
    }
}

/// mosquitto 2.1's hex grouping: a separator after every `group` characters, leading padding
/// included, but never after the last digit.
struct Grouped<'o> {
    out: &'o mut Vec<u8>,
    group: usize,
    sep: u8,
    pos: usize,
}

impl<'o> Grouped<'o> {
    fn new(out: &'o mut Vec<u8>, group: usize, sep: u8) -> Self {
        Grouped {
            out,
            group,
            sep,
            pos: 0,
        }
    }

    /// The padding before the digits (`(byte, count)`), then two digits per byte.
    fn hex(mut self, bytes: &[u8], digits: &[u8; 16], padding: Option<(u8, usize)>) {
        if let Some((byte, count)) = padding {
            for _ in 0..count {
                self.put(byte, true);
            }
        }
        for (i, &b) in bytes.iter().enumerate() {
            self.put(digits[usize::from(b >> 4)], true);
            self.put(digits[usize::from(b & 0x0f)], i + 1 < bytes.len());
        }
    }

    fn put(&mut self, byte: u8, more: bool) {
        self.out.push(byte);
        if more && self.pos % self.group == self.group - 1 {
            self.out.push(self.sep);
        }
        self.pos += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(left: bool, zero: bool, width: usize, precision: Option<usize>) -> Spec {
        Spec {
            left,
            zero,
            width,
            precision,
            separator: None,
        }
    }

    fn render(f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        f(&mut out);
        out
    }

    #[test]
    fn int_flags_match_c() {
        assert_eq!(render(|o| int(o, 5, Spec::default())), b"5");
        assert_eq!(render(|o| int(o, 5, spec(false, false, 5, None))), b"    5");
        assert_eq!(render(|o| int(o, 5, spec(true, false, 5, None))), b"5    ");
        assert_eq!(render(|o| int(o, 5, spec(false, true, 5, None))), b"00005");
        assert_eq!(render(|o| int(o, 5, spec(true, true, 5, None))), b"5    ");
        assert_eq!(render(|o| int(o, -1, spec(false, true, 5, None))), b"-0001");
        assert_eq!(
            render(|o| int(o, -1, spec(false, false, 5, None))),
            b"   -1"
        );
    }

    #[test]
    fn float_flags_match_c() {
        let f = |v: f64, s: Spec| String::from_utf8(render(|o| float(o, v, s))).unwrap();
        assert_eq!(f(1.5, Spec::default()), "1.500000");
        assert_eq!(f(-1.5, spec(false, true, 10, Some(2))), "-000001.50");
        assert_eq!(f(2.0, spec(true, true, 6, Some(1))), "2.0   ");
        assert_eq!(f(0.125, spec(false, false, 7, Some(2))), "   0.12");
        assert_eq!(f(f64::NAN, spec(false, true, 5, None)), "  nan");
        assert_eq!(f(f64::NEG_INFINITY, Spec::default()), "-inf");
        assert_eq!(f(1.0, spec(false, false, 0, Some(0))), "1");
        let long = f(0.5, spec(false, false, 0, Some(70_000)));
        assert_eq!((long.len(), &long[..3]), (70_002, "0.5"));
        assert!(long[3..].bytes().all(|b| b == b'0'));
    }

    #[test]
    fn string_counts_bytes_and_stops_at_nul() {
        let s = spec(false, true, 5, None);
        assert_eq!(render(|o| string(o, "é".as_bytes(), s)), b"   \xc3\xa9");
        let s = spec(false, false, 0, Some(1));
        assert_eq!(render(|o| string(o, "é".as_bytes(), s)), b"\xc3");
        let s = spec(true, false, 5, Some(2));
        assert_eq!(render(|o| string(o, b"abc", s)), b"ab   ");
        assert_eq!(render(|o| string(o, b"ab\0cd", Spec::default())), b"ab");
    }

    #[test]
    fn payload_width_truncates() {
        let p = b"hello";
        let cases: [(Encoding, Spec, &[u8]); 10] = [
            (Encoding::Raw, spec(false, false, 10, None), b"     hello"),
            (Encoding::Raw, spec(true, false, 10, None), b"hello     "),
            (Encoding::Raw, spec(false, true, 10, None), b"00000hello"),
            (Encoding::Raw, spec(false, false, 3, None), b"hel"),
            (Encoding::Raw, spec(true, true, 3, None), b"hel"),
            (Encoding::Hex, spec(false, false, 10, None), b"      6865"),
            (Encoding::Hex, spec(false, false, 3, None), b" 68"),
            (Encoding::Hex, spec(true, false, 10, None), b"6865      "),
            (
                Encoding::UpperHex,
                spec(false, true, 10, None),
                b"0000006865",
            ),
            (Encoding::Hex, spec(false, false, 1, None), b" "),
        ];
        for (encoding, s, want) in cases {
            assert_eq!(
                render(|o| payload(o, p, encoding, s)),
                want,
                "{encoding:?} {s:?}"
            );
        }
    }

    #[test]
    fn hex_precision_groups_as_mosquitto_2_1() {
        use Encoding::{Hex, UpperHex};
        let g = |left, zero, width, group, separator| Spec {
            separator,
            ..spec(left, zero, width, Some(group))
        };
        let cases: [(Encoding, Spec, &str); 7] = [
            (Hex, g(false, false, 0, 4, None), "0102 abcd 05"),
            (Hex, g(false, false, 0, 2, Some(b':')), "01:02:ab:cd:05"),
            (UpperHex, g(false, false, 0, 3, Some(b'-')), "010-2AB-CD0-5"),
            (Hex, g(false, false, 0, 10, None), "0102abcd05"),
            // Padding counts towards the groups; a width keeps 2.0's cut (8 / 2 bytes).
            (Hex, g(false, true, 8, 4, Some(b':')), "0000:0102"),
            (Hex, g(true, false, 8, 2, None), "01 02    "),
            // %.0x ignores the precision.
            (Hex, g(false, false, 0, 0, Some(b':')), "0102abcd05"),
        ];
        for (encoding, s, want) in cases {
            let out = render(|o| payload(o, b"\x01\x02\xab\xcd\x05", encoding, s));
            assert_eq!(String::from_utf8(out).unwrap(), want, "{encoding:?} {s:?}");
        }
        // %p ignores it too.
        let raw = Spec {
            separator: Some(b':'),
            ..spec(false, false, 0, Some(2))
        };
        assert_eq!(
            render(|o| payload(o, b"\x01\xab", Encoding::Raw, raw)),
            b"\x01\xab"
        );
    }

    #[test]
    fn left_align_without_width_pads_by_payload_length() {
        let s = spec(true, false, 0, None);
        assert_eq!(
            render(|o| payload(o, b"hello", Encoding::Raw, s)),
            b"hello     "
        );
        let want = b"68656c6c6f     ";
        assert_eq!(render(|o| payload(o, b"hello", Encoding::Hex, s)), want);
        assert_eq!(render(|o| payload(o, b"", Encoding::Raw, s)), b"");
    }

    #[test]
    fn blanks_for_absent_properties() {
        assert_eq!(
            render(|o| blank_number(o, spec(true, true, 3, None))),
            b"000"
        );
        assert_eq!(
            render(|o| blank_number(o, spec(true, false, 3, None))),
            b"   "
        );
        assert_eq!(
            render(|o| blank_string(o, spec(false, true, 3, None))),
            b"   "
        );
    }
}
