//! `pub --replay`: a capture made with `sub --json` on one broker, replayed into another and
//! captured again, is the same capture (but for the receive times); `--replay-timing` keeps
//! the recorded spacing; a bad record stops the replay with exit 1 after what came before it
//! was acknowledged.

mod common;

use common::{finish, run_with_input, spawn, succeeds, text, Broker};
use serde_json::Value;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// Records without what differs between two captures of the same messages: the receive
/// time and the packet id.
fn comparable(capture: &str) -> Vec<Value> {
    capture
        .lines()
        .map(|line| {
            let mut record: Value = serde_json::from_str(line).expect(line);
            let map = record.as_object_mut().expect("object");
            map.remove("tst");
            map.remove("mid");
            record
        })
        .collect()
}

/// Captures `count` messages on `broker` with `sub --json` while `publish` runs.
fn capture(broker: &Broker, count: usize, publish: impl FnOnce()) -> String {
    let count = count.to_string();
    let sub = broker.mqtk(
        "sub",
        &["-V", "5", "-t", "rec/#", "-q", "2", "--json", "-C", &count],
    );
    let out = broker.receive(sub, publish);
    assert!(out.status.success(), "sub: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_capture_replayed_into_another_broker_captures_the_same() {
    let source = Broker::mqtk_serve();
    let first = capture(&source, 5, || {
        let publish = |args: &[&str]| succeeds(source.mqtk("pub", args));
        publish(&["-t", "rec/text", "-m", "hello", "-q", "1"]);
        publish(&["-t", "rec/empty", "-n", "-q", "2"]);
        publish(&[
            "-V",
            "5",
            "-t",
            "rec/props",
            "-m",
            "p",
            "-q",
            "1",
            "-D",
            "publish",
            "content-type",
            "text/plain",
            "-D",
            "publish",
            "user-property",
            "k",
            "1",
            "-D",
            "publish",
            "user-property",
            "k",
            "2",
            "-D",
            "publish",
            "correlation-data",
            "id-7",
            "-D",
            "publish",
            "response-topic",
            "rec/reply",
            "-D",
            "publish",
            "payload-format-indicator",
            "1",
            "-D",
            "publish",
            "message-expiry-interval",
            "3600",
        ]);
        let binary = source.mqtk("pub", &["-t", "rec/binary", "-s"]);
        let out = run_with_input(binary, b"\x00\xff\x01");
        assert!(out.status.success(), "{}", text(&out.stderr));
        publish(&["-t", "rec/zero", "-m", "0"]);
    });
    assert!(first.contains("payload_base64"), "{first}");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("capture.jsonl");
    std::fs::write(&file, &first).expect("write capture");
    let target = Broker::mosquitto();
    let file = file.to_str().expect("path");
    let second = capture(&target, 5, || {
        succeeds(target.mqtk("pub", &["-V", "5", "--replay", file]));
    });
    let (first, second) = (comparable(&first), comparable(&second));
    assert_eq!(first.len(), 5);
    // The broker counts the expiry interval down while a message waits.
    let expiry = |records: &[Value]| records[2]["properties"]["message-expiry-interval"].clone();
    assert!(expiry(&second).as_u64() >= Some(3590), "{second:?}");
    let strip = |mut records: Vec<Value>| {
        records[2]["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("message-expiry-interval");
        records
    };
    assert_eq!(strip(second), strip(first));
}

#[test]
fn replay_timing_keeps_the_recorded_spacing_scaled_by_the_speed() {
    let broker = Broker::mqtk_serve();
    let records = "{\"tst\":\"2026-12-06T03:20:01.000000+00:00\",\"topic\":\"rec/a\",\"payload\":\"1\"}\n\
                   {\"tst\":\"2026-12-06T03:20:01.800000+00:00\",\"topic\":\"rec/a\",\"payload\":\"2\"}\n\
                   {\"tst\":\"2026-12-06T03:20:02.600000+00:00\",\"topic\":\"rec/a\",\"qos\":1,\"payload\":\"3\"}\n";
    let captured = capture(&broker, 3, || {
        let replay = broker.mqtk("pub", &["--replay", "-", "--replay-timing", "--speed", "2"]);
        let out = run_with_input(replay, records.as_bytes());
        assert!(out.status.success(), "{}", text(&out.stderr));
    });
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = captured
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).expect(line);
            chrono::DateTime::parse_from_rfc3339(record["tst"].as_str().expect("tst")).expect("tst")
        })
        .collect();
    for pair in times.windows(2) {
        let gap = (pair[1] - pair[0]).num_milliseconds();
        // 800 ms recorded, at twice the speed: 400 ms, never less.
        assert!((390..1500).contains(&gap), "gap {gap} ms: {captured}");
    }
}

#[test]
fn a_bad_record_stops_the_replay_after_the_ones_before_it_were_acknowledged() {
    let broker = Broker::mqtk_serve();
    let sub = broker.mqtk("sub", &["-t", "rec/#", "-q", "1", "-C", "1"]);
    let out = broker.receive(sub, || {
        let replay = broker.mqtk("pub", &["--replay", "-"]);
        let input = b"{\"topic\":\"rec/ok\",\"qos\":1,\"payload\":\"first\"}\n{\"topic\":\"rec/no\",\"qos\":7}\n{\"topic\":\"rec/never\"}\n";
        let out = run_with_input(replay, input);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stderr),
            "Error: --replay line 2: \"qos\" is not 0, 1 or 2\n"
        );
    });
    assert_eq!(text(&out.stdout), "first\n");
    let missing = finish(
        spawn(broker.mqtk("pub", &["--replay", "/nonexistent/capture"])),
        LIMIT,
    );
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        text(&missing.stderr),
        "Error: Unable to open file \"/nonexistent/capture\".\n"
    );
}
