//! Syntax check of a `-F` format string, so that a typo fails before connecting, as in mosquitto.

/// Conversions accepted after `%` (flags, width and precision aside).
const CONVERSIONS: &str = "%ACDEFIlmPpqRSrtjJUxX";
/// Characters accepted after `\`.
const ESCAPES: &str = "\\0aenrtv";
const INCOMPLETE_FORMAT: &str = "Error: Incomplete format specifier.";

/// Returns the format unchanged, or mosquitto's message for its first error.
pub fn check(format: &str) -> Result<String, String> {
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        i = match chars[i] {
            '%' => conversion(&chars, i + 1)?,
            '@' if i + 1 == chars.len() => return Err(INCOMPLETE_FORMAT.into()),
            '@' => i + 2,
            '\\' => escape(&chars, i + 1)?,
            _ => i + 1,
        };
    }
    Ok(format.to_string())
}

/// Checks `[0-][width][.precision]conversion` starting at `i`; returns the index after it.
fn conversion(chars: &[char], mut i: usize) -> Result<usize, String> {
    if matches!(chars.get(i), Some('0' | '-')) {
        i += 1;
    }
    i = skip_digits(chars, i);
    if chars.get(i) == Some(&'.') {
        i = skip_digits(chars, i + 1);
    }
    match chars.get(i) {
        None => Err(INCOMPLETE_FORMAT.into()),
        Some(c) if CONVERSIONS.contains(*c) => Ok(i + 1),
        Some(c) => Err(format!("Error: Invalid format specifier '{c}'.")),
    }
}

fn skip_digits(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(char::is_ascii_digit) {
        i += 1;
    }
    i
}

fn escape(chars: &[char], i: usize) -> Result<usize, String> {
    match chars.get(i) {
        None => Err("Error: Incomplete escape specifier.".into()),
        Some(c) if ESCAPES.contains(*c) => Ok(i + 1),
        Some(c) => Err(format!("Error: Invalid escape specifier '{c}'.")),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn accepts_mosquitto_formats() {
        for f in [
            "%t %p",
            "%-10.5t|%05l",
            "@Y-@m-@dT@H %%",
            "%j\\n\\0",
            "plain",
        ] {
            assert_eq!(check(f), Ok(f.to_string()), "{f}");
        }
    }

    #[test]
    fn rejects_like_mosquitto() {
        let err = |f: &str| check(f).unwrap_err();
        assert_eq!(err("%z"), "Error: Invalid format specifier 'z'.");
        assert_eq!(err("abc%"), "Error: Incomplete format specifier.");
        assert_eq!(err("%10"), "Error: Incomplete format specifier.");
        assert_eq!(err("%-"), "Error: Incomplete format specifier.");
        assert_eq!(err("x@"), "Error: Incomplete format specifier.");
        assert_eq!(err("\\"), "Error: Incomplete escape specifier.");
        assert_eq!(err("\\q"), "Error: Invalid escape specifier 'q'.");
    }
}
