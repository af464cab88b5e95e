//! `@X` fields: mosquitto_sub passes `%X` to glibc's `strftime` in the C locale; this maps
//! each conversion character to chrono, or to the literal text glibc prints for it.

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset};
use std::io::Write;

/// Conversions glibc knows (besides `E`/`O` modifiers and `Z`) whose C-locale output chrono
/// reproduces exactly; checked one by one against glibc in the tests.
const CHRONO_SAME_AS_GLIBC: &[u8] = b"ABCDFGHIMPRSTUVWXYabcdeghjklmnprstuwxyz%";

/// One compiled `@X` field.
#[derive(Clone, Debug)]
pub enum TimeField {
    /// `@N`: nanoseconds within the second, 9 digits (mosquitto's own addition).
    Nanos,
    /// `@Z`: the zone abbreviation (see [`zone`] for the approximation).
    Zone,
    /// A conversion chrono formats like glibc.
    Chrono(Vec<Item<'static>>),
    /// A character glibc does not convert: it prints this text instead.
    Literal(Vec<u8>),
}

impl TimeField {
    /// Compiles the field for conversion byte `c` (the byte after `@`).
    pub fn new(c: u8) -> TimeField {
        match c {
            b'N' => TimeField::Nanos,
            b'Z' => TimeField::Zone,
            _ if CHRONO_SAME_AS_GLIBC.contains(&c) => {
                let spec = format!("%{}", char::from(c));
                match StrftimeItems::new(&spec).parse_to_owned() {
                    Ok(items) => TimeField::Chrono(items),
                    Err(_) => TimeField::Literal(glibc_unknown(c)),
                }
            }
            _ => TimeField::Literal(glibc_unknown(c)),
        }
    }

    /// Appends the field for `now`.
    pub fn write(&self, now: &DateTime<FixedOffset>, out: &mut Vec<u8>) {
        match self {
            TimeField::Nanos => {
                let _ = write!(out, "{:09}", now.timestamp_subsec_nanos());
            }
            TimeField::Zone => zone(now, out),
            TimeField::Chrono(items) => {
                // Writing into a Vec cannot fail and every item was parsed from a valid spec.
                let _ = write!(out, "{}", now.format_with_items(items.iter()));
            }
            TimeField::Literal(text) => out.extend_from_slice(text),
        }
    }
}

/// What glibc prints for `%c` when `c` is no conversion: the spec itself, except that a digit
/// is read as a field width, so `%5` comes out right-aligned in 5 columns.
fn glibc_unknown(c: u8) -> Vec<u8> {
    let mut text = Vec::new();
    if c.is_ascii_digit() {
        let width = usize::from(c - b'0');
        text.resize(width.saturating_sub(2), b' ');
    }
    text.extend_from_slice(&[b'%', c]);
    text
}

/// `@Z`. glibc prints the zone's abbreviation ("UTC", "CET"), which chrono cannot know from
/// an offset, so UTC prints "UTC" and any other offset prints as `+01:00`.
fn zone(now: &DateTime<FixedOffset>, out: &mut Vec<u8>) {
    if now.offset().local_minus_utc() == 0 {
        out.extend_from_slice(b"UTC");
    } else {
        let _ = write!(out, "{}", now.offset());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// glibc 2.36 `strftime("%X")` in the C locale, TZ=UTC, at 2020-05-15T00:00:05.
    const GLIBC_UTC: &[(u8, &str)] = &[
        (b'A', "Friday"),
        (b'B', "May"),
        (b'C', "20"),
        (b'D', "05/15/20"),
        (b'E', "%E"),
        (b'F', "2020-05-15"),
        (b'G', "2020"),
        (b'H', "00"),
        (b'I', "12"),
        (b'J', "%J"),
        (b'M', "00"),
        (b'O', "%O"),
        (b'P', "am"),
        (b'R', "00:00"),
        (b'S', "05"),
        (b'T', "00:00:05"),
        (b'U', "19"),
        (b'V', "20"),
        (b'W', "19"),
        (b'X', "00:00:05"),
        (b'Y', "2020"),
        (b'Z', "UTC"),
        (b'a', "Fri"),
        (b'b', "May"),
        (b'c', "Fri May 15 00:00:05 2020"),
        (b'd', "15"),
        (b'e', "15"),
        (b'f', "%f"),
        (b'g', "20"),
        (b'h', "May"),
        (b'j', "136"),
        (b'k', " 0"),
        (b'l', "12"),
        (b'm', "05"),
        (b'n', "\n"),
        (b'p', "AM"),
        (b'q', "%q"),
        (b'r', "12:00:05 AM"),
        (b's', "1589500805"),
        (b't', "\t"),
        (b'u', "5"),
        (b'v', "%v"),
        (b'w', "5"),
        (b'x', "05/15/20"),
        (b'y', "20"),
        (b'z', "+0000"),
        (b'%', "%"),
        (b'+', "%+"),
        (b'.', "%."),
        (b'2', "%2"),
        (b'3', " %3"),
        (b'9', "       %9"),
        (b':', "%:"),
        (b'#', "%#"),
        (b'-', "%-"),
    ];

    fn render(c: u8, now: &DateTime<FixedOffset>) -> String {
        let mut out = Vec::new();
        TimeField::new(c).write(now, &mut out);
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn every_conversion_matches_glibc() {
        let now = chrono::Utc
            .timestamp_opt(1_589_500_805, 0)
            .unwrap()
            .fixed_offset();
        for &(c, want) in GLIBC_UTC {
            assert_eq!(render(c, &now), want, "@{}", char::from(c));
        }
    }

    #[test]
    fn single_digit_day_and_offsets() {
        // glibc, TZ=America/New_York: 2020-05-05T00:00:05-0400.
        let east = FixedOffset::west_opt(4 * 3600).unwrap();
        let now = east.with_ymd_and_hms(2020, 5, 5, 0, 0, 5).unwrap();
        assert_eq!(render(b'c', &now), "Tue May  5 00:00:05 2020");
        assert_eq!(render(b'e', &now), " 5");
        assert_eq!(render(b'z', &now), "-0400");
        assert_eq!(render(b's', &now), "1588651205");
        assert_eq!(render(b'Z', &now), "-04:00");
    }

    #[test]
    fn nanoseconds_are_nine_digits() {
        let now = chrono::Utc.timestamp_opt(0, 1_234).unwrap().fixed_offset();
        assert_eq!(render(b'N', &now), "000001234");
    }
}
