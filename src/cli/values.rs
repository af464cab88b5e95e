//! clap value parsers for single option values, failing with mosquitto's messages.
//!
//! mosquitto reads numbers with `atoi`, so "abc" silently becomes 0; mqtk rejects what is not a
//! number, with the message mosquitto prints for an out-of-range value.

use std::time::Duration;

use crate::broker_url::BrokerUrl;
use crate::codec::{QoS, Version};
use crate::transport::TlsVersion;

/// `-q`.
pub fn qos(s: &str) -> Result<QoS, String> {
    parse_qos(s).ok_or_else(|| format!("Error: Invalid QoS given: {s}"))
}

/// `--will-qos`.
pub fn will_qos(s: &str) -> Result<QoS, String> {
    parse_qos(s).ok_or_else(|| format!("Error: Invalid will QoS {s}."))
}

fn parse_qos(s: &str) -> Option<QoS> {
    s.parse::<u8>().ok().and_then(QoS::from_u8)
}

/// `--retain-handling` (mosquitto 2.1): the MQTT 5 subscription option's wire value.
pub fn retain_handling(s: &str) -> Result<u8, String> {
    match s {
        "always" => Ok(0),
        "new" => Ok(1),
        "never" => Ok(2),
        _ => Err(format!("Error: Unknown value '{s}' for --retain-handling.")),
    }
}

/// `-p`.
pub fn port(s: &str) -> Result<u16, String> {
    s.parse()
        .map_err(|_| format!("Error: Invalid port given: {s}"))
}

/// `-k`: mosquitto 2.0 requires 5-65535.
pub fn keepalive(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(k) if k >= 5 => Ok(k),
        _ => Err(
            "Error: Invalid keepalive given, it must be between 5 and 65535 inclusive.".to_string(),
        ),
    }
}

/// `-V`: 5, 3.1.1 or 3.1, by number or by mosquitto's names.
pub fn protocol_version(s: &str) -> Result<Version, String> {
    match s {
        "5" | "mqttv5" => Ok(Version::V5),
        "311" | "mqttv311" => Ok(Version::V311),
        "31" | "mqttv31" => Ok(Version::V31),
        _ => Err("Error: Invalid protocol version argument given.".to_string()),
    }
}

/// `-x`: `-1`, `4294967295` and `∞` all mean "never expires" (`u32::MAX`).
pub fn session_expiry(s: &str) -> Result<u32, String> {
    if s == "∞" {
        return Ok(u32::MAX);
    }
    let n: i64 = s
        .parse()
        .map_err(|_| "Error: session-expiry-interval not a number.".to_string())?;
    match n {
        -1 => Ok(u32::MAX),
        _ => u32::try_from(n).map_err(|_| "Error: session-expiry-interval out of range.".into()),
    }
}

/// `-M`.
pub fn max_inflight(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("Error: Maximum inflight messages must be greater than 0.".to_string()),
    }
}

/// `--repeat`.
pub fn repeat(s: &str) -> Result<u32, String> {
    positive(s).ok_or_else(|| "Error: --repeat argument must be >0.".to_string())
}

/// `--repeat-delay`: seconds with fractions.
pub fn repeat_delay(s: &str) -> Result<Duration, String> {
    s.parse::<f64>()
        .ok()
        .and_then(|f| Duration::try_from_secs_f64(f).ok())
        .ok_or_else(|| "Error: --repeat-delay argument must be >=0.0.".to_string())
}

/// `-C`.
pub fn msg_count(s: &str) -> Result<u32, String> {
    positive(s).ok_or_else(|| format!("Error: Invalid message count \"{s}\"."))
}

/// `-W`.
pub fn timeout(s: &str) -> Result<u32, String> {
    positive(s).ok_or_else(|| format!("Error: Invalid timeout \"{s}\"."))
}

fn positive(s: &str) -> Option<u32> {
    s.parse::<u32>().ok().filter(|&n| n >= 1)
}

/// `--random-filter`: a percentage with mosquitto's 0.1 resolution.
/// A finite number above zero (bench's rates, `--speed`).
pub fn positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("Error: '{s}' is not a number above 0")),
    }
}

pub fn random_filter(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (1.0..=1000.0).contains(&(p * 10.0).trunc()) => Ok(p),
        _ => Err("Error: --random-filter chance must be between 0.1-100.0".to_string()),
    }
}

/// `--tls-version`.
pub fn tls_version(s: &str) -> Result<TlsVersion, String> {
    match s {
        "tlsv1.3" => Ok(TlsVersion::Tls13),
        "tlsv1.2" => Ok(TlsVersion::Tls12),
        "tlsv1.1" => Err("Error: TLS 1.1 is not supported by mqtk; use tlsv1.2 or tlsv1.3.".into()),
        _ => Err("Error: Problem setting TLS options, check the options are valid.".into()),
    }
}

/// `-L`: see [`crate::broker_url`].
pub fn url(s: &str) -> Result<BrokerUrl, String> {
    crate::broker_url::parse(s).map_err(|e| format!("Error: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qos_range() {
        assert_eq!(qos("2"), Ok(QoS::ExactlyOnce));
        assert_eq!(qos("3"), Err("Error: Invalid QoS given: 3".to_string()));
        assert_eq!(
            will_qos("-1"),
            Err("Error: Invalid will QoS -1.".to_string())
        );
    }

    #[test]
    fn session_expiry_spellings() {
        assert_eq!(session_expiry("∞"), Ok(u32::MAX));
        assert_eq!(session_expiry("-1"), Ok(u32::MAX));
        assert_eq!(session_expiry("4294967295"), Ok(u32::MAX));
        assert_eq!(session_expiry("10"), Ok(10));
        assert_eq!(
            session_expiry("4294967296"),
            Err("Error: session-expiry-interval out of range.".to_string())
        );
        assert_eq!(
            session_expiry("-2"),
            Err("Error: session-expiry-interval out of range.".to_string())
        );
        assert_eq!(
            session_expiry("abc"),
            Err("Error: session-expiry-interval not a number.".to_string())
        );
    }

    #[test]
    fn keepalive_range() {
        assert_eq!(keepalive("5"), Ok(5));
        assert!(keepalive("4").is_err());
        assert!(keepalive("65536").is_err());
    }

    #[test]
    fn random_filter_resolution() {
        assert_eq!(random_filter("0.1"), Ok(0.1));
        assert_eq!(random_filter("100"), Ok(100.0));
        assert!(random_filter("0.05").is_err());
        assert!(random_filter("100.1").is_err());
    }

    #[test]
    fn repeat_delay_fractions() {
        assert_eq!(repeat_delay("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(
            repeat_delay("-1"),
            Err("Error: --repeat-delay argument must be >=0.0.".to_string())
        );
    }

    #[test]
    fn version_names() {
        assert_eq!(protocol_version("mqttv311"), Ok(Version::V311));
        assert_eq!(protocol_version("31"), Ok(Version::V31));
        assert_eq!(protocol_version("mqttv31"), Ok(Version::V31));
        assert_eq!(
            protocol_version("4"),
            Err("Error: Invalid protocol version argument given.".to_string())
        );
    }
}
