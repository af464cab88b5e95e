//! Bench's option values: durations with units, percentages and payload sizes, each
//! refused with a one-line message at argument time.

use std::time::Duration;

/// A duration with a unit (`ns`, `us`, `ms`, `s`, `m`, `h`); a bare number is in seconds.
pub fn seconds(s: &str) -> Result<Duration, String> {
    parse_duration(s, 1.0)
}

/// A duration with a unit; a bare number is in milliseconds (emqtt-bench's `-I`).
pub fn millis(s: &str) -> Result<Duration, String> {
    parse_duration(s, 1e-3)
}

fn parse_duration(s: &str, bare_unit: f64) -> Result<Duration, String> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let scale = match unit {
        "" => bare_unit,
        "ns" => 1e-9,
        "us" | "µs" => 1e-6,
        "ms" => 1e-3,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "Error: invalid duration '{s}' (use 500ms, 10s, 2m...)"
            ))
        }
    };
    number
        .parse::<f64>()
        .ok()
        .and_then(|n| Duration::try_from_secs_f64(n * scale).ok())
        .ok_or_else(|| format!("Error: invalid duration '{s}' (use 500ms, 10s, 2m...)"))
}

/// A percentage, with or without a trailing `%`.
pub fn percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!("Error: invalid percentage '{s}' (0-100)")),
    }
}

/// `-s`: room for the bench header, and no more than MQTT's packet limit.
pub fn payload_size(s: &str) -> Result<usize, String> {
    let min = super::payload::HEADER_LEN;
    match s.parse::<usize>() {
        Ok(n) if (min..=256 * 1024 * 1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "Error: --size must be between {min} (the bench header) and 268435456"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_a_default_unit() {
        assert_eq!(seconds("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(seconds("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(millis("250"), Ok(Duration::from_millis(250)));
        assert_eq!(millis("200us"), Ok(Duration::from_micros(200)));
        assert!(seconds("10x").is_err());
        assert!(seconds("-1s").is_err());
        assert!(seconds("").is_err());
    }

    #[test]
    fn percentages_accept_a_sign() {
        assert_eq!(percent("0.5%"), Ok(0.5));
        assert_eq!(percent("1"), Ok(1.0));
        assert!(percent("101").is_err());
    }
}
