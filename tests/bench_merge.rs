//! `mqtk bench merge` on the summaries of real runs: counts add up, and the merged percentiles
//! are those of one histogram of every sample, never averages of the parts' percentiles.

mod common;

use base64::Engine as _;
use common::*;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

/// The one-line summary a `--json` run or merge printed.
fn summary(out: &Output) -> Value {
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "one JSON line: {stdout}");
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout} {}", text(&out.stderr)))
}

/// Writes each summary to `dir` as `NAME.json`, as a shell redirect would.
fn save(dir: &Path, summaries: &[(&str, &Value)]) -> Vec<PathBuf> {
    summaries
        .iter()
        .map(|(name, s)| {
            let path = dir.join(format!("{name}.json"));
            std::fs::write(&path, format!("{s}\n")).expect("write summary");
            path
        })
        .collect()
}

/// `mqtk bench SCENARIO -h 127.0.0.1 -p PORT ARGS`.
fn bench_against(broker: &Broker, scenario: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = mqtk(&["bench", scenario]);
    cmd.args(broker.addr()).args(args);
    cmd
}

/// `mqtk bench merge FILES ARGS`.
fn merge(files: &[PathBuf], args: &[&str]) -> Output {
    let mut cmd = mqtk(&["bench", "merge"]);
    cmd.args(files).args(args);
    finish(spawn(cmd), LIMIT)
}

/// `mqtk bench merge FILES --json`, which must succeed.
fn merged(files: &[PathBuf]) -> Value {
    let out = merge(files, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    summary(&out)
}

/// The histogram under `histograms.KEY`, decoded as any HdrHistogram reader would.
fn histogram(s: &Value, key: &str) -> Histogram<u64> {
    let encoded = s["histograms"][key].as_str().expect("histogram");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("base64");
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .expect("HdrHistogram V2")
}

/// One histogram of every sample in `summaries`; `None` when none measured this latency.
fn all_samples(summaries: &[&Value], key: &str) -> Option<Histogram<u64>> {
    summaries
        .iter()
        .filter(|s| !s["histograms"][key].is_null())
        .map(|s| histogram(s, key))
        .reduce(|mut total, h| {
            total.add(h).expect("same bounds");
            total
        })
}

/// `h`'s figures as the summary prints them (`latency_us`): microseconds to 0.1.
fn figures(h: &Histogram<u64>) -> Value {
    let us = |ns: f64| (ns / 100.0).round() / 10.0;
    let at = |q: f64| us(h.value_at_quantile(q) as f64);
    serde_json::json!({
        "count": h.len(),
        "min": us(h.min() as f64),
        "mean": us(h.mean()),
        "p50": at(0.5),
        "p90": at(0.9),
        "p99": at(0.99),
        "p999": at(0.999),
        "max": us(h.max() as f64),
    })
}

fn total(summaries: &[&Value], key: &str) -> u64 {
    summaries.iter().filter_map(|s| s[key].as_u64()).sum()
}

/// A merge of `parts`: counts add up, and each latency is the distribution of all samples.
fn assert_merge_of(m: &Value, parts: &[&Value]) {
    for key in ["sent", "acked", "received", "lost", "duplicates"] {
        assert_eq!(m[key].as_u64(), Some(total(parts, key)), "{key}: {m}");
    }
    for (key, figures_key) in [
        ("latency", "latency_us"),
        ("ack_latency", "ack_latency_us"),
        ("connect_time", "connect_time_us"),
    ] {
        match all_samples(parts, key) {
            Some(all) => {
                assert!(histogram(m, key) == all, "{key} is every sample");
                assert_eq!(m[figures_key], figures(&all), "{figures_key}");
            }
            None => assert!(m[figures_key].is_null(), "{figures_key}: {m}"),
        }
    }
}

/// A publisher process and a subscriber process against one `mqtk serve`: their summaries
/// merge into the one of a `pubsub` run, end-to-end latency from the subscribers, ack latency
/// from the publishers.
#[test]
fn split_pub_and_sub_runs_merge_into_one_pubsub_run() {
    let broker = Broker::mqtk_serve_conf("max_queued_messages 0");
    let before = broker.subacks();
    let sub_args = [
        "-c",
        "2",
        "-t",
        "$share/g/split/#",
        "-q",
        "1",
        "--count",
        "600",
        "--duration",
        "20s",
        "--json",
    ];
    let sub = spawn(bench_against(&broker, "sub", &sub_args));
    broker.wait_subscribed(before + 1);
    let pub_args = [
        "-c", "2", "-q", "1", "-t", "split/%c", "--count", "600", "--json",
    ];
    let p = summary(&finish(
        spawn(bench_against(&broker, "pub", &pub_args)),
        LIMIT,
    ));
    let s = summary(&finish(sub, LIMIT));
    assert_eq!(
        (p["acked"].as_u64(), s["received"].as_u64()),
        (Some(600), Some(600))
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let files = save(dir.path(), &[("pub", &p), ("sub", &s)]);
    let m = merged(&files);
    assert_eq!(m["scenario"], "pubsub");
    assert_eq!(
        (m["sent"].as_u64(), m["received"].as_u64()),
        (Some(600), Some(600))
    );
    assert_eq!(m["acked"].as_u64(), Some(600));
    assert_eq!(m["connections"]["connected"].as_u64(), Some(4));
    assert_eq!(m["params"]["runs"], 2);
    assert_eq!(m["params"]["qos"], 1, "what both runs share stays");
    assert_merge_of(&m, &[&p, &s]);
    assert_eq!(
        m["latency_us"], s["latency_us"],
        "end-to-end from the subscribers"
    );
    assert_eq!(
        m["ack_latency_us"], p["ack_latency_us"],
        "acks from the publishers"
    );
    let out = merge(&files, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.starts_with("mqtk bench pubsub: "), "{table}");
    assert!(
        table.contains("end-to-end") && table.contains("publish-to-ack"),
        "{table}"
    );
}

/// Two whole runs at once (each against its own embedded broker, different payload sizes):
/// the merge is one histogram of both; a summary merged with itself doubles every count and
/// keeps every percentile.
#[test]
fn concurrent_runs_merge_and_a_run_merged_with_itself_keeps_its_percentiles() {
    let run = |size: &str| {
        let args = [
            "bench",
            "pubsub",
            "--serve",
            "-q",
            "1",
            "--rate",
            "500",
            "--duration",
            "1s",
            "-s",
            size,
            "--json",
        ];
        spawn(mqtk(&args))
    };
    let (a, b) = (run("64"), run("100"));
    let (a, b) = (summary(&finish(a, LIMIT)), summary(&finish(b, LIMIT)));
    let dir = tempfile::tempdir().expect("tempdir");
    let files = save(dir.path(), &[("a", &a), ("b", &b)]);
    let m = merged(&files);
    assert_eq!(m["scenario"], "pubsub");
    assert_merge_of(&m, &[&a, &b]);
    assert_eq!(m["connections"]["connected"].as_u64(), Some(4));
    assert!(
        m["params"].get("size").is_none(),
        "sizes differ: {}",
        m["params"]
    );
    assert_eq!(m["params"]["qos"], 1);

    let twice = merged(&[files[0].clone(), files[0].clone()]);
    assert_merge_of(&twice, &[&a, &a]);
    assert_eq!(twice["sent"].as_u64(), a["sent"].as_u64().map(|n| 2 * n));
    for key in ["latency_us", "ack_latency_us", "connect_time_us"] {
        let (once, doubled) = (&a[key], &twice[key]);
        assert_eq!(
            doubled["count"].as_u64(),
            once["count"].as_u64().map(|n| 2 * n)
        );
        for q in ["min", "p50", "p90", "p99", "p999", "max"] {
            assert_eq!(doubled[q], once[q], "{key}.{q}");
        }
    }
    assert_eq!(twice["params"]["size"], 64, "shared parameters stay");
}

/// What cannot be merged is refused with one line on stderr and exit status 1, never a panic.
#[test]
fn bad_input_is_one_line_and_exit_status_1() {
    let run = [
        "bench",
        "conn",
        "--serve",
        "-c",
        "1",
        "--duration",
        "100ms",
        "--json",
    ];
    let conn = summary(&finish(spawn(mqtk(&run)), LIMIT));
    let dir = tempfile::tempdir().expect("tempdir");
    let mut old = conn.clone();
    old.as_object_mut().expect("object").remove("histograms");
    let mut corrupt = conn.clone();
    corrupt["histograms"]["connect_time"] = "aGVsbG8=".into();
    let mut publisher = conn.clone();
    publisher["scenario"] = "pub".into();
    let files = save(
        dir.path(),
        &[
            ("conn", &conn),
            ("old", &old),
            ("corrupt", &corrupt),
            ("pub", &publisher),
        ],
    );
    let not_json = dir.path().join("table.txt");
    std::fs::write(&not_json, "mqtk bench conn: clients=1\n").expect("write");
    let missing = dir.path().join("missing.json");
    let cases = [
        (vec![missing], "cannot read "),
        (vec![not_json], ": not a bench --json summary"),
        (vec![files[1].clone()], "no \"histograms\""),
        (
            vec![files[2].clone()],
            "bad histogram \"connect_time\": not an uncompressed V2 HdrHistogram",
        ),
        (
            vec![files[0].clone(), files[3].clone()],
            "cannot merge a conn run with a pub run",
        ),
    ];
    for (files, expected) in cases {
        let out = merge(&files, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{files:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{files:?}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("Error: ") && stderr.contains(expected),
            "{stderr}"
        );
    }
    let none = merge(&[], &[]);
    assert_eq!(
        none.status.code(),
        Some(1),
        "no file: {}",
        text(&none.stderr)
    );
    assert_eq!(
        merged(&files[..1])["connections"]["connected"],
        1,
        "one file is a merge too"
    );
}
