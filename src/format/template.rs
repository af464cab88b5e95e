//! Compiling a `-F` template once into pieces, with mosquitto's `check_format` errors.

use super::mosquitto_json::PayloadAs;
use super::printf::{Encoding, Spec};
use super::strftime::TimeField;

const INCOMPLETE: &str = "Error: Incomplete format specifier.";

/// A compiled `-F` template.
#[derive(Clone, Debug)]
pub struct Template {
    pub pieces: Vec<Piece>,
    /// Whether any piece reads the clock, so messages without one skip it.
    pub needs_clock: bool,
}

/// One run of output.
#[derive(Clone, Debug)]
pub enum Piece {
    /// Literal bytes: plain text, `%%`, `@@` and `\` escapes.
    Text(Vec<u8>),
    /// A `%` field with its flags.
    Field(Field, Spec),
    /// An `@` strftime field.
    Time(TimeField),
}

/// What a `%` field prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    TopicAlias,
    ContentType,
    CorrelationData,
    MessageExpiry,
    PayloadFormat,
    Iso8601,
    Json(PayloadAs),
    PayloadLen,
    Mid,
    UserProperties,
    Payload(Encoding),
    /// `%f` (mosquitto 2.1): a 4-byte payload as an IEEE-754 float.
    Float,
    /// `%d` (mosquitto 2.1): an 8-byte payload as an IEEE-754 double.
    Double,
    Qos,
    ResponseTopic,
    Retain,
    SubscriptionId,
    Topic,
    UnixTime,
}

impl Field {
    /// The field for conversion byte `c`, `None` for `%%` and unknown bytes.
    fn from_byte(c: u8) -> Option<Field> {
        Some(match c {
            b'A' => Field::TopicAlias,
            b'C' => Field::ContentType,
            b'D' => Field::CorrelationData,
            b'd' => Field::Double,
            b'E' => Field::MessageExpiry,
            b'F' => Field::PayloadFormat,
            b'f' => Field::Float,
            b'I' => Field::Iso8601,
            b'j' => Field::Json(PayloadAs::String),
            b'J' => Field::Json(PayloadAs::Json),
            b'l' => Field::PayloadLen,
            b'm' => Field::Mid,
            b'P' => Field::UserProperties,
            b'p' => Field::Payload(Encoding::Raw),
            b'q' => Field::Qos,
            b'R' => Field::ResponseTopic,
            b'r' => Field::Retain,
            b'S' => Field::SubscriptionId,
            b't' => Field::Topic,
            b'U' => Field::UnixTime,
            b'x' => Field::Payload(Encoding::Hex),
            b'X' => Field::Payload(Encoding::UpperHex),
            _ => return None,
        })
    }

    fn reads_clock(self) -> bool {
        matches!(self, Field::Iso8601 | Field::Json(_) | Field::UnixTime)
    }
}

impl Template {
    /// Compiles `template`; the error is the line mosquitto_sub prints before its usage hint.
    pub fn parse(template: &str) -> Result<Template, String> {
        let mut parser = Parser {
            template,
            bytes: template.as_bytes(),
            pos: 0,
            pieces: Vec::new(),
        };
        parser.run()?;
        let needs_clock = parser.pieces.iter().any(|p| match p {
            Piece::Field(field, _) => field.reads_clock(),
            Piece::Time(_) => true,
            Piece::Text(_) => false,
        });
        Ok(Template {
            pieces: parser.pieces,
            needs_clock,
        })
    }
}

struct Parser<'t> {
    template: &'t str,
    bytes: &'t [u8],
    pos: usize,
    pieces: Vec<Piece>,
}

impl Parser<'_> {
    fn run(&mut self) -> Result<(), String> {
        while let Some(b) = self.next() {
            match b {
                b'%' => self.percent()?,
                b'@' => self.at()?,
                b'\\' => self.escape()?,
                _ => self.text(&[b]),
            }
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    /// Appends literal bytes, merging them into the previous text piece.
    fn text(&mut self, bytes: &[u8]) {
        match self.pieces.last_mut() {
            Some(Piece::Text(text)) => text.extend_from_slice(bytes),
            _ => self.pieces.push(Piece::Text(bytes.to_vec())),
        }
    }

    /// The character at byte `pos`, for error messages.
    fn char_at(&self, pos: usize) -> char {
        self.template[pos..].chars().next().unwrap_or('?')
    }

    /// `%[-][0][width][.precision][separator]X`, after the `%`.
    fn percent(&mut self) -> Result<(), String> {
        let mut spec = Spec::default();
        match self.peek() {
            Some(b'-') => {
                spec.left = true;
                self.pos += 1;
                // "%-0…": mosquitto still takes the 0 as the zero flag (and as a width digit).
                spec.zero = self.peek() == Some(b'0');
            }
            Some(b'0') => {
                spec.zero = true;
                self.pos += 1;
            }
            _ => {}
        }
        spec.width = self.digits()?;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            spec.precision = Some(self.digits()?);
        }
        spec.separator = self.separator();
        let at = self.pos;
        let c = self.next().ok_or(INCOMPLETE)?;
        match Field::from_byte(c) {
            Some(field) => self.pieces.push(Piece::Field(field, spec)),
            None if c == b'%' => self.text(b"%"),
            None => {
                let c = self.char_at(at);
                return Err(format!("Error: Invalid format specifier '{c}'."));
            }
        }
        Ok(())
    }

    /// mosquitto 2.1's hex separator (`%.2:x`): one of its punctuation bytes, taken only when
    /// a conversion follows it, so every template 2.0 accepted or rejected keeps its meaning.
    fn separator(&mut self) -> Option<u8> {
        const SEPARATORS: &[u8] = b"!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~ ";
        let sep = self.peek().filter(|b| SEPARATORS.contains(b))?;
        let next = *self.bytes.get(self.pos + 1)?;
        Field::from_byte(next)?;
        self.pos += 1;
        Some(sep)
    }

    /// A run of decimal digits (0 when there is none), limited to C's `int`.
    fn digits(&mut self) -> Result<usize, String> {
        let mut n: usize = 0;
        while let Some(d @ b'0'..=b'9') = self.peek() {
            n = n * 10 + usize::from(d - b'0');
            if n > i32::MAX as usize {
                return Err("Error: Field width too large.".to_string());
            }
            self.pos += 1;
        }
        Ok(n)
    }

    /// `@@` or an `@X` strftime field, after the `@`.
    fn at(&mut self) -> Result<(), String> {
        match self.next().ok_or(INCOMPLETE)? {
            b'@' => self.text(b"@"),
            c => self.pieces.push(Piece::Time(TimeField::new(c))),
        }
        Ok(())
    }

    /// A `\` escape, after the backslash.
    fn escape(&mut self) -> Result<(), String> {
        let at = self.pos;
        let byte = match self.next().ok_or("Error: Incomplete escape specifier.")? {
            b'\\' => b'\\',
            b'0' => 0,
            b'a' => 0x07,
            b'e' => 0x1b,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0b,
            _ => {
                let c = self.char_at(at);
                return Err(format!("Error: Invalid escape specifier '{c}'."));
            }
        };
        self.text(&[byte]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(template: &str) -> String {
        Template::parse(template).err().unwrap_or_default()
    }

    #[test]
    fn accepts_mosquitto_sub_templates() {
        for f in [
            "%t %p",
            "%-10.5t|%05l",
            "@Y-@m-@dT@H %%",
            "%j\\n\\0",
            "plain",
            "%f%.3d",
            "%.4x %.2:X %-8.1_x %:t",
        ] {
            assert!(Template::parse(f).is_ok(), "{f}");
        }
    }

    #[test]
    fn errors_match_mosquitto_sub() {
        // stderr of mosquitto_sub 2.0.11 -F '<template>'.
        let cases = [
            ("[%z%5]", "Error: Invalid format specifier 'z'."),
            ("[%-]", "Error: Invalid format specifier ']'."),
            ("[%", "Error: Incomplete format specifier."),
            ("[%5", "Error: Incomplete format specifier."),
            ("%-", "Error: Incomplete format specifier."),
            ("%5.", "Error: Incomplete format specifier."),
            ("%.5", "Error: Incomplete format specifier."),
            ("[@", "Error: Incomplete format specifier."),
            ("[\\", "Error: Incomplete escape specifier."),
            ("[\\q\\\\]", "Error: Invalid escape specifier 'q'."),
            ("%0-5p", "Error: Invalid format specifier '-'."),
            ("%é", "Error: Invalid format specifier 'é'."),
            ("%99999999999p", "Error: Field width too large."),
        ];
        for (template, want) in cases {
            assert_eq!(error(template), want, "{template}");
        }
    }

    #[test]
    fn compiles_flags_and_merges_text() {
        let t = Template::parse("a%%b@@\\n%-010.3t%x").unwrap();
        assert!(!t.needs_clock);
        assert_eq!(t.pieces.len(), 3);
        assert!(matches!(&t.pieces[0], Piece::Text(text) if text == b"a%b@\n"));
        let spec = Spec {
            left: true,
            zero: true,
            width: 10,
            precision: Some(3),
            separator: None,
        };
        assert!(matches!(&t.pieces[1], Piece::Field(Field::Topic, s) if *s == spec));
        let hex = Field::Payload(Encoding::Hex);
        assert!(matches!(&t.pieces[2], Piece::Field(f, s) if *f == hex && *s == Spec::default()));
    }

    #[test]
    fn hex_separator_only_before_a_conversion() {
        let t = Template::parse("%.2:x%5~t").unwrap();
        let specs: Vec<_> = t
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Field(_, s) => Some((s.precision, s.separator)),
                _ => None,
            })
            .collect();
        assert_eq!(specs, [(Some(2), Some(b':')), (None, Some(b'~'))]);
        assert_eq!(error("%.2:"), "Error: Invalid format specifier ':'.");
        assert_eq!(error("%::x"), "Error: Invalid format specifier ':'.");
    }

    #[test]
    fn clock_only_when_needed() {
        assert!(Template::parse("@Y").unwrap().needs_clock);
        assert!(Template::parse("%j").unwrap().needs_clock);
        assert!(!Template::parse("%t %p").unwrap().needs_clock);
    }
}
