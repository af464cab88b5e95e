//! `mqtk check` against real brokers: every check passes on mosquitto and on `mqtk serve`
//! with their defaults; limits set in both (maximum QoS 1, no retained messages, a maximum
//! packet size) fail the checks they rule out, and the exit status and JSON say which and
//! why. A broker that closes every connection, or never answers, fails the CONNECT checks
//! within `--timeout` instead of hanging the probe.

mod common;

use common::{finish, mqtk, spawn, text, Broker};
use serde_json::Value;
use std::net::TcpListener;
use std::process::Output;
use std::time::{Duration, Instant};

/// Every check, in the order the report lists them.
const ALL: [&str; 14] = [
    "connect-311",
    "connect-5",
    "qos0",
    "qos1",
    "qos2",
    "retained",
    "wildcards",
    "shared",
    "payload",
    "topic-length",
    "client-id-length",
    "will",
    "no-local",
    "message-expiry",
];

/// `mqtk check ARGS --json` to completion.
fn check(args: &[&str]) -> Output {
    let cmd = mqtk(&[&["check", "--json"], args].concat());
    finish(spawn(cmd), Duration::from_secs(60))
}

/// `mqtk check -h 127.0.0.1 -p PORT ARGS --json` against `broker`.
fn check_broker(broker: &Broker, args: &[&str]) -> Output {
    let addr = broker.addr();
    let addr: Vec<&str> = addr.iter().map(String::as_str).collect();
    check(&[&addr[..], args].concat())
}

fn report(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\nstderr: {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

/// The report's `(check, result)` pairs.
fn results(report: &Value) -> Vec<(String, String)> {
    let checks = report["checks"].as_array().expect("checks");
    let field = |c: &Value, k: &str| c[k].as_str().expect(k).to_string();
    checks
        .iter()
        .map(|c| (field(c, "check"), field(c, "result")))
        .collect()
}

/// The detail line of `name` in the report.
fn detail<'a>(report: &'a Value, name: &str) -> &'a str {
    let checks = report["checks"].as_array().expect("checks");
    let found = checks.iter().find(|c| c["check"] == name);
    found.and_then(|c| c["detail"].as_str()).expect(name)
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let pair = |&(c, r): &(&str, &str)| (c.to_string(), r.to_string());
    expected.iter().map(pair).collect()
}

fn all_pass(broker: &Broker) {
    let sizes = [
        "--payload-size",
        "4000000",
        "--topic-length",
        "65535",
        "--client-id-length",
        "65535",
    ];
    let out = check_broker(broker, &sizes);
    let report = report(&out);
    let expected: Vec<_> = ALL.iter().map(|&c| (c, "pass")).collect();
    assert_eq!(results(&report), pairs(&expected), "{report}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(report["ok"], true);
    assert_eq!(report["version"], "5");
    assert_eq!(report["limits"]["maximum_qos"], Value::Null, "{report}");
    assert_eq!(detail(&report, "payload"), "4000000 bytes round-trip");
}

#[test]
fn every_check_passes_on_mosquitto_and_mqtk_serve() {
    all_pass(&Broker::mosquitto());
    all_pass(&Broker::mqtk_serve());
}

#[test]
fn limits_fail_the_checks_they_rule_out_and_the_json_says_why() {
    let limits = "max_qos 1\nretain_available false\nmax_packet_size 2000\n";
    let asked = ["qos1", "qos2", "retained", "wildcards", "payload"];
    let expected = pairs(&[
        ("connect-5", "pass"),
        ("qos1", "pass"),
        ("qos2", "fail"),
        ("retained", "fail"),
        ("wildcards", "pass"),
        ("payload", "fail"),
    ]);
    for broker in [
        Broker::mqtk_serve_conf(limits),
        Broker::mosquitto_with(limits),
    ] {
        let args = [&["-V", "5", "--timeout", "2s", "connect-5"], &asked[..]].concat();
        let out = check_broker(&broker, &args);
        let report = report(&out);
        assert_eq!(results(&report), expected, "{report}");
        assert_eq!(out.status.code(), Some(2), "a failed check exits 2");
        assert_eq!(report["ok"], false);
        assert_eq!(report["failed"], 3);
        let limits = &report["limits"];
        assert_eq!(limits["maximum_qos"], 1, "{report}");
        assert_eq!(limits["retain_available"], false, "{report}");
        assert_eq!(limits["maximum_packet_size"], 2000, "{report}");
        assert_eq!(detail(&report, "qos2"), "the broker's maximum QoS is 1");
        assert!(detail(&report, "retained").contains("not available"));
        assert_eq!(
            detail(&report, "payload"),
            "65536 bytes: over the broker's maximum packet size 2000; 1024 bytes did"
        );
    }
}

#[test]
fn with_mqtt_3_1_1_the_limits_show_in_what_the_broker_does() {
    let broker = Broker::mqtk_serve_conf("max_qos 1\nretain_available false\n");
    let out = check_broker(
        &broker,
        &["-V", "311", "--timeout", "2s", "qos2", "retained"],
    );
    let report = report(&out);
    let expected = pairs(&[("qos2", "fail"), ("retained", "fail")]);
    assert_eq!(results(&report), expected, "{report}");
    assert_eq!(report["limits"], Value::Null, "3.1.1 has no CONNACK limits");
    assert_eq!(detail(&report, "qos2"), "QoS 2 asked, QoS 1 granted");
    let retained = detail(&report, "retained");
    assert!(
        retained.starts_with("PUBLISH: the broker closed"),
        "{retained}"
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_named_check_that_cannot_run_fails_and_the_table_says_why() {
    let broker = Broker::mqtk_serve();
    let out = check_broker(&broker, &["-V", "311", "no-local"]);
    assert_eq!(results(&report(&out)), pairs(&[("no-local", "skip")]));
    assert_eq!(out.status.code(), Some(2), "a named check was not run");
    let cmd = broker.mqtk("check", &["-V", "311", "qos1", "no-local"]);
    let table = finish(spawn(cmd), Duration::from_secs(20));
    let table = text(&table.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("CHECK     RESULT"), "{table}");
    assert!(lines[1].starts_with("qos1      pass"), "{table}");
    assert!(lines[2].starts_with("no-local  skip"), "{table}");
    assert!(
        lines[2].ends_with("needs MQTT 5, which was not spoken"),
        "{table}"
    );
    assert_eq!(lines[3], "1 passed, 0 failed, 1 skipped", "{table}");
}

/// The CONNECT checks of a broker that turns every connection away fail with `why`, and
/// every other check is skipped.
fn turned_away(port: u16, why: &str) {
    let started = Instant::now();
    let out = check(&[
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
        "--timeout",
        "1s",
    ]);
    let report = report(&out);
    let results = results(&report);
    assert_eq!(results.len(), ALL.len());
    for (check, result) in results {
        let connect = check.starts_with("connect");
        assert_eq!(result, if connect { "fail" } else { "skip" }, "{report}");
        if connect {
            assert!(detail(&report, &check).contains(why), "{report}");
        }
    }
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(report["version"], Value::Null);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "bounded by --timeout"
    );
}

#[test]
fn a_broker_that_closes_or_never_answers_fails_the_connects_within_the_timeout() {
    // Accepts each connection and closes it at once.
    let closing = TcpListener::bind("127.0.0.1:0").expect("bind");
    let closing_port = closing.local_addr().expect("addr").port();
    std::thread::spawn(move || closing.incoming().for_each(drop));
    turned_away(closing_port, "CONNECT: ");
    // Never accepts: the kernel completes the handshake, nothing ever answers the CONNECT.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    turned_away(silent_port, "CONNECT: no answer within 1s");
    drop(silent);
}

#[test]
fn serve_probes_the_embedded_broker_and_bad_options_exit_1() {
    let out = check(&["--serve", "qos2", "will"]);
    let report = report(&out);
    assert_eq!(
        results(&report),
        pairs(&[("qos2", "pass"), ("will", "pass")])
    );
    assert_eq!(out.status.code(), Some(0));
    let out = check(&["--serve", "-V", "31"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("MQTT 3.1.1 and 5"));
}
