//! `mqtk bench` end to end against a real mosquitto on loopback, and against the embedded
//! broker through `--serve`.

mod common;

use common::*;
use serde_json::Value;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

/// Runs `mqtk bench ARGS --json` against `broker`; returns the exit code and the summary.
fn bench(broker: &Broker, args: &[&str]) -> (i32, Value) {
    let addr = broker.addr();
    let mut a: Vec<&str> = args.to_vec();
    a.extend(addr.iter().map(String::as_str));
    bench_json(&a)
}

/// Runs `mqtk bench ARGS --json`; returns the exit code and the one-line summary.
fn bench_json(args: &[&str]) -> (i32, Value) {
    let mut a = vec!["bench"];
    a.extend(args);
    a.push("--json");
    let out = finish(spawn(mqtk(&a)), LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    let summary = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {stdout} {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), summary)
}

fn lossless() -> Broker {
    Broker::mosquitto_with("max_queued_messages 0")
}

#[test]
fn pubsub_summary_counts_every_delivery() {
    let broker = lossless();
    let args = [
        "pubsub",
        "-c",
        "2",
        "--subscribers",
        "2",
        "-q",
        "1",
        "--rate",
        "2000",
        "--duration",
        "1s",
        "--warmup",
        "300ms",
        "-s",
        "100",
    ];
    let (code, s) = bench(&broker, &args);
    assert_eq!(code, 0, "{s}");
    let sent = s["sent"].as_u64().unwrap();
    assert!(
        (1000..=3000).contains(&sent),
        "about 2000 msg/s for 1 s, with room for a loaded machine: {s}"
    );
    assert_eq!(
        s["received"].as_u64(),
        Some(2 * sent),
        "each subscriber gets all: {s}"
    );
    assert_eq!(s["acked"].as_u64(), Some(sent));
    for key in ["lost", "duplicates", "out_of_order", "foreign"] {
        assert_eq!(s[key].as_u64(), Some(0), "{key}: {s}");
    }
    let l = &s["latency_us"];
    assert!(l["p50"].as_f64().unwrap() > 0.0);
    assert!(l["p50"].as_f64() <= l["p99"].as_f64() && l["p99"].as_f64() <= l["max"].as_f64());
    assert_eq!(l["count"].as_u64(), Some(2 * sent));
    assert_eq!(s["params"]["clients"], 2);
    assert_eq!(s["params"]["subscribers"], 2);
    assert_eq!(s["connections"]["connected"], 4);
    assert_eq!(s["thresholds"]["passed"], true);
}

#[test]
fn count_runs_stop_at_the_count_and_agree_with_mosquitto_sub() {
    let broker = lossless();
    let before = broker.subacks();
    let mut a = broker.addr();
    a.extend(
        [
            "-t",
            "mqtk/bench/#",
            "-q",
            "1",
            "-C",
            "1000",
            "-W",
            "25",
            "-F",
            "%t",
        ]
        .map(String::from),
    );
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let independent = spawn(program("mosquitto_sub", &a));
    broker.wait_subscribed(before);
    let (code, s) = bench(&broker, &["-c", "3", "-q", "1", "--count", "1000"]);
    assert_eq!(code, 0, "{s}");
    assert_eq!(s["sent"].as_u64(), Some(1000), "{s}");
    assert_eq!(s["received"].as_u64(), Some(1000), "{s}");
    assert_eq!(s["lost"].as_u64(), Some(0), "{s}");
    let out = finish(independent, LIMIT);
    assert!(out.status.success(), "mosquitto_sub saw fewer than 1000");
    assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), 1000);
}

#[test]
fn missed_thresholds_exit_with_2() {
    let broker = lossless();
    let args = [
        "--rate",
        "200",
        "--duration",
        "500ms",
        "--min-rate",
        "1e9",
        "--max-loss",
        "0",
    ];
    let (code, s) = bench(&broker, &args);
    assert_eq!(code, 2, "{s}");
    assert_eq!(s["thresholds"]["passed"], false);
    assert_eq!(s["thresholds"]["missed"].as_array().map(Vec::len), Some(1));
}

#[test]
fn conn_holds_every_connection() {
    let broker = lossless();
    let (code, s) = bench(
        &broker,
        &[
            "conn",
            "-c",
            "50",
            "--connect-rate",
            "500",
            "--duration",
            "300ms",
        ],
    );
    assert_eq!(code, 0, "{s}");
    let c = &s["connections"];
    assert_eq!(
        (c["connected"].as_u64(), c["failed"].as_u64()),
        (Some(50), Some(0))
    );
    assert!(
        c["ramp_s"].as_f64().unwrap() >= 0.09,
        "50 at 500/s take 0.1 s: {s}"
    );
    assert_eq!(s["connect_time_us"]["count"], 50);
}

#[test]
fn split_pub_and_sub_processes_combine() {
    let broker = lossless();
    let before = broker.subacks();
    let mut a: Vec<String> = [
        "bench",
        "sub",
        "-c",
        "2",
        "-t",
        "$share/g/split/#",
        "-q",
        "1",
    ]
    .map(String::from)
    .into();
    a.extend(broker.addr());
    a.extend(["--count", "600", "--duration", "20s", "--json"].map(String::from));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let sub = spawn(mqtk(&a));
    broker.wait_subscribed(before + 1);
    let (code, p) = bench(
        &broker,
        &[
            "pub", "-c", "2", "-q", "1", "-t", "split/%c", "--count", "600",
        ],
    );
    assert_eq!((code, p["acked"].as_u64()), (0, Some(600)), "{p}");
    let out = finish(sub, LIMIT);
    let s: Value = serde_json::from_slice(&out.stdout).expect("sub JSON");
    assert_eq!(
        s["received"].as_u64(),
        Some(600),
        "shared group gets each once: {s}"
    );
    assert_eq!(
        (s["lost"].as_u64(), s["duplicates"].as_u64()),
        (Some(0), Some(0)),
        "{s}"
    );
}

#[test]
fn serve_benches_the_embedded_broker_with_zero_setup() {
    let args = [
        "pubsub",
        "--serve",
        "-c",
        "2",
        "--subscribers",
        "2",
        "-q",
        "1",
        "--rate",
        "2000",
        "--duration",
        "1s",
    ];
    let (code, s) = bench_json(&args);
    assert_eq!(code, 0, "{s}");
    let sent = s["sent"].as_u64().unwrap();
    assert!(sent > 1000, "{s}");
    assert_eq!(s["received"].as_u64(), Some(2 * sent), "{s}");
    for key in ["lost", "duplicates", "out_of_order"] {
        assert_eq!(s[key].as_u64(), Some(0), "{key}: {s}");
    }
}

#[test]
fn bad_options_are_refused_before_connecting() {
    for args in [
        ["bench", "-t", "a/%q"],
        ["bench", "-s", "10"],
        ["bench", "--duration", "0s"],
    ] {
        let out = finish(spawn(mqtk(&args)), LIMIT);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
    }
}
