//! mqtk pub/sub against a real mosquitto broker, compared with mosquitto_pub/mosquitto_sub.

mod common;

use common::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// Runs a subscriber, then the publisher, and returns the subscriber's stdout.
fn receive(broker: &Broker, sub: (&str, &[&str]), publish: impl FnOnce()) -> Vec<u8> {
    let mut args = broker.addr();
    args.extend(sub.1.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let before = broker.subacks();
    let child = if sub.0 == "mqtk" {
        spawn({
            let mut a = vec!["sub"];
            a.extend(&args);
            mqtk(&a)
        })
    } else {
        spawn(program(sub.0, &args))
    };
    broker.wait_subscribed(before);
    publish();
    let out = finish(child, LIMIT);
    assert!(
        out.status.success(),
        "{} failed: {}",
        sub.0,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn mqtk_pub(broker: &Broker, args: &[&str], input: &[u8]) {
    let mut a = vec!["pub".to_string()];
    a.extend(broker.addr());
    a.extend(args.iter().map(|s| s.to_string()));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = run_with_input(mqtk(&a), input);
    assert!(
        out.status.success(),
        "mqtk pub failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn lines_arrive_exactly_as_mosquitto_pub_sends_them() {
    let broker = Broker::mosquitto();
    let input = b"one\r\n\ntwo words\nlast-without-newline";
    let sub = ["-t", "lines", "-C", "4", "-v"];
    let ours = receive(&broker, ("mosquitto_sub", &sub), || {
        mqtk_pub(&broker, &["-t", "lines", "-l"], input)
    });
    let theirs = receive(&broker, ("mosquitto_sub", &sub), || {
        let mut a = broker.addr();
        a.extend(["-t", "lines", "-l"].map(String::from));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        run_with_input(program("mosquitto_pub", &a), input);
    });
    assert_eq!(ours, theirs);
    assert_eq!(
        ours,
        b"lines one\r\nlines (null)\nlines two words\nlines last-without-newline\n"
    );
}

#[test]
fn sub_prints_what_mosquitto_sub_prints() {
    let broker = Broker::mosquitto();
    for args in [
        &["-C", "3"][..],
        &["-C", "3", "-v"],
        &["-C", "3", "-v", "-N"],
    ] {
        let mut sub = vec!["-t", "out/#"];
        sub.extend(args);
        let send = || {
            for (topic, msg) in [("out/a", "x y"), ("out/b", ""), ("out/c", "z")] {
                let mut a = broker.addr();
                a.extend(["-t", topic, "-m", msg].map(String::from));
                if msg.is_empty() {
                    a.truncate(a.len() - 2);
                    a.push("-n".into());
                }
                let a: Vec<&str> = a.iter().map(String::as_str).collect();
                assert!(program("mosquitto_pub", &a).status().unwrap().success());
            }
        };
        let ours = receive(&broker, ("mqtk", &sub), send);
        let theirs = receive(&broker, ("mosquitto_sub", &sub), send);
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs),
            "{args:?}"
        );
    }
}

#[test]
fn qos1_lines_past_the_packet_id_space_all_arrive() {
    // Unbounded queue: mosquitto would otherwise drop what its slow subscriber can't take.
    let broker = Broker::mosquitto_with("max_queued_messages 0");
    let n = 70_000;
    let input: String = (0..n).map(|i| format!("{i}\n")).collect();
    let count = n.to_string();
    let out = receive(
        &broker,
        ("mosquitto_sub", &["-t", "many", "-q", "1", "-C", &count]),
        || mqtk_pub(&broker, &["-t", "many", "-q", "1", "-l"], input.as_bytes()),
    );
    assert_eq!(String::from_utf8_lossy(&out), input);
}

#[test]
fn megabyte_payloads_work_both_ways() {
    let broker = Broker::mosquitto();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big");
    let body: Vec<u8> = (0..(1 << 20) + 7).map(|i| (i % 251) as u8).collect();
    std::fs::write(&file, &body).unwrap();
    let path = file.to_str().unwrap();
    let out = receive(&broker, ("mqtk", &["-t", "big", "-C", "1", "-N"]), || {
        mqtk_pub(&broker, &["-t", "big", "-q", "2", "-f", path], b"")
    });
    assert_eq!(out, body);
}

#[test]
fn retained_messages_and_timeouts_keep_mosquitto_exit_codes() {
    let broker = Broker::mosquitto();
    mqtk_pub(&broker, &["-t", "keep", "-r", "-m", "stored"], b"");
    let mut a = vec!["sub".to_string()];
    a.extend(broker.addr());
    a.extend(["-t", "keep", "-C", "1", "-v", "-F", "%r %t %p"].map(String::from));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = finish(spawn(mqtk(&a)), LIMIT);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1 keep stored\n");

    let mut a = vec!["sub".to_string()];
    a.extend(broker.addr());
    a.extend(["-t", "nothing", "-W", "1"].map(String::from));
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let out = finish(spawn(mqtk(&a)), LIMIT);
    assert_eq!(out.status.code(), Some(27));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "Timed out\n");
}

#[test]
fn connection_refused_exits_1_like_mosquitto() {
    let port = free_port().to_string();
    for bin in ["mosquitto_pub", "mqtk"] {
        let args = ["-h", "127.0.0.1", "-p", &port, "-t", "a", "-m", "b"];
        let status = if bin == "mqtk" {
            let mut a = vec!["pub"];
            a.extend(args);
            mqtk(&a).output().unwrap().status
        } else {
            program(bin, &args).output().unwrap().status
        };
        assert_eq!(status.code(), Some(1), "{bin}");
    }
}
