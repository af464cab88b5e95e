//! The report: a table for people, one JSON line for CI, and the CONNECT check's limits line.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{json, Value};

use super::{Broker, Outcome, Status};
use crate::codec::{Properties, Version};

/// Prints the outcomes, and in JSON the protocol spoken, the broker's limits and `ok` (the
/// verdict the exit status gives).
pub fn print(outcomes: &[Outcome], broker: Option<&Broker>, ok: bool, json: bool) {
    let text = match json {
        true => format!("{}\n", to_json(outcomes, broker, ok)),
        false => table(outcomes, crate::format::stdout_color()),
    };
    // A closed stdout (`| head`) is the reader's choice; the exit status still tells.
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn word(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Skip => "skip",
    }
}

/// One row per check and a count line; on a terminal the result is coloured, and a failure
/// is in capitals either way, so it stands out in a CI log too.
fn table(outcomes: &[Outcome], color: bool) -> String {
    let width = outcomes.iter().map(|o| o.check.name().len()).max();
    let width = width.unwrap_or(0).max("CHECK".len());
    let mut text = format!("{:width$}  RESULT  {:>10}  DETAIL\n", "CHECK", "TIME");
    for o in outcomes {
        let result = match o.status {
            Status::Fail => "FAIL",
            status => word(status),
        };
        let result = match (color, o.status) {
            (false, _) => format!("{result:6}"),
            (true, Status::Pass) => format!("\x1b[32m{result:6}\x1b[0m"),
            (true, Status::Fail) => format!("\x1b[1;31m{result:6}\x1b[0m"),
            (true, Status::Skip) => format!("\x1b[33m{result:6}\x1b[0m"),
        };
        let took = format!("{:.1} ms", o.took.as_secs_f64() * 1e3);
        let name = o.check.name();
        let _ = writeln!(text, "{name:width$}  {result}  {took:>10}  {}", o.detail);
    }
    let [pass, fail, skip] = counts(outcomes);
    let _ = writeln!(text, "{pass} passed, {fail} failed, {skip} skipped");
    text
}

fn counts(outcomes: &[Outcome]) -> [usize; 3] {
    let count = |s| outcomes.iter().filter(|o| o.status == s).count();
    [
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Skip),
    ]
}

fn to_json(outcomes: &[Outcome], broker: Option<&Broker>, ok: bool) -> Value {
    let checks: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            json!({
                "check": o.check.name(),
                "result": word(o.status),
                "ms": (o.took.as_secs_f64() * 1e6).round() / 1e3,
                "detail": o.detail,
            })
        })
        .collect();
    let [pass, fail, skip] = counts(outcomes);
    let v5 = broker.filter(|b| b.version.is_v5());
    json!({
        "ok": ok,
        "version": broker.map(|b| if b.version.is_v5() { "5" } else { "3.1.1" }),
        "limits": v5.map(|b| limits_json(&b.limits)),
        "checks": checks,
        "passed": pass,
        "failed": fail,
        "skipped": skip,
    })
}

/// The MQTT 5 CONNACK's limits as sent: `null` for a property the broker left out (the
/// spec's default applies then), flags as booleans.
fn limits_json(limits: &Properties) -> Value {
    let flag = |f: Option<u8>| f.map(|f| f != 0);
    json!({
        "receive_maximum": limits.receive_maximum,
        "maximum_qos": limits.maximum_qos,
        "maximum_packet_size": limits.maximum_packet_size,
        "topic_alias_maximum": limits.topic_alias_maximum,
        "retain_available": flag(limits.retain_available),
        "wildcard_subscription_available": flag(limits.wildcard_subscription_available),
        "shared_subscription_available": flag(limits.shared_subscription_available),
        "subscription_identifier_available": flag(limits.subscription_identifier_available),
        "server_keep_alive": limits.server_keep_alive,
    })
}

/// The connect check's detail: MQTT 5 CONNACK limits, each as the broker stated it or the
/// value the spec gives an absent property.
pub fn limits_line(limits: &Properties, version: Version) -> String {
    if !version.is_v5() {
        return "accepted".into();
    }
    let flag = |f: Option<u8>| if f == Some(0) { "no" } else { "yes" };
    let or = |v: Option<u32>, absent: &str| v.map_or(absent.to_string(), |v| v.to_string());
    format!(
        "receive maximum {}, maximum QoS {}, maximum packet size {}, topic alias maximum {}, \
         retain {}, wildcards {}, shared {}, subscription ids {}, server keep alive {}",
        or(limits.receive_maximum.map(u32::from), "65535"),
        limits.maximum_qos.unwrap_or(2),
        or(limits.maximum_packet_size, "unlimited"),
        limits.topic_alias_maximum.unwrap_or(0),
        flag(limits.retain_available),
        flag(limits.wildcard_subscription_available),
        flag(limits.shared_subscription_available),
        flag(limits.subscription_identifier_available),
        or(limits.server_keep_alive.map(u32::from), "as asked"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::args::Check;
    use std::time::Duration;

    fn outcomes() -> Vec<Outcome> {
        let outcome = |check, status, detail: &str| Outcome {
            check,
            status,
            detail: detail.into(),
            took: Duration::from_micros(1500),
        };
        vec![
            outcome(Check::Qos1, Status::Pass, "round trip"),
            outcome(Check::Retained, Status::Fail, "not available"),
            outcome(Check::NoLocal, Status::Skip, "needs MQTT 5"),
        ]
    }

    #[test]
    fn the_table_has_a_row_per_check_and_counts() {
        let table = table(&outcomes(), false);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "CHECK     RESULT        TIME  DETAIL");
        assert_eq!(lines[1], "qos1      pass        1.5 ms  round trip");
        assert_eq!(lines[2], "retained  FAIL        1.5 ms  not available");
        assert_eq!(lines[4], "1 passed, 1 failed, 1 skipped");
    }

    #[test]
    fn json_limits_are_null_when_absent_and_flags_are_booleans() {
        let limits = Properties {
            maximum_qos: Some(1),
            retain_available: Some(0),
            ..Properties::default()
        };
        let broker = Broker {
            version: Version::V5,
            limits,
        };
        let v = to_json(&outcomes(), Some(&broker), false);
        assert_eq!(v["limits"]["maximum_qos"], 1);
        assert_eq!(v["limits"]["retain_available"], false);
        assert!(v["limits"]["maximum_packet_size"].is_null());
        assert_eq!(v["checks"][1]["result"], "fail");
        assert_eq!(v["checks"][0]["ms"], 1.5);
        assert_eq!(
            (v["ok"].clone(), v["failed"].clone()),
            (json!(false), json!(1))
        );
        let v311 = Broker {
            version: Version::V311,
            limits: Properties::default(),
        };
        assert!(to_json(&[], Some(&v311), true)["limits"].is_null());
    }
}
