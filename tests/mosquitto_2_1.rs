//! Client options mosquitto 2.1 added and 2.0.11 lacks, against Debian's mosquitto 2.0.11 as
//! the broker (the options are client-side; the broker only sees their wire effect), or
//! `mqtk serve` where that mosquitto lacks the listener (WebSocket on 127.0.0.1).

mod common;

use common::{finish, mqtk, spawn, succeeds, text, Broker, Pki, Raw};
use mqtk::codec::{Packet, Publish, QoS};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// `sub --retain-handling`: `always` gets the retained message, `new` only on a subscription
/// the session did not have, `never` not at all; MQTT 5's option, so `-V 5`.
#[test]
fn retain_handling_decides_whether_retained_messages_come() {
    let broker = Broker::mosquitto();
    succeeds(broker.mqtk("pub", &["-t", "rh/x", "-m", "kept", "-r"]));
    let sub = |when: &str, session: &[&str]| {
        let args = [
            &[
                "-V",
                "5",
                "-t",
                "rh/x",
                "-W",
                "1",
                "--retain-handling",
                when,
            ],
            session,
        ]
        .concat();
        let out = finish(spawn(broker.mqtk("sub", &args)), LIMIT);
        (out.status.code(), text(&out.stdout))
    };
    let kept = (Some(27), "kept\n".to_string());
    let nothing = (Some(27), String::new());
    assert_eq!(sub("always", &[]), kept);
    assert_eq!(sub("never", &[]), nothing);
    let session = ["-c", "-i", "rh-session", "-x", "60"];
    assert_eq!(sub("new", &session), kept, "a new subscription");
    assert_eq!(sub("new", &session), nothing, "the session has it already");
    let bad = finish(
        spawn(broker.mqtk("sub", &["-t", "a", "--retain-handling", "2"])),
        LIMIT,
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).starts_with("Error: Unknown value '2' for --retain-handling.\n"),
        "{}",
        text(&bad.stderr)
    );
}

/// `rr --retain-handling never`: a retained message on the response topic is not taken for
/// the response.
#[test]
fn rr_can_refuse_a_stale_retained_response() {
    let broker = Broker::mosquitto();
    succeeds(broker.mqtk("pub", &["-t", "rh/resp", "-m", "stale", "-r"]));
    let rr = |when: &str| {
        let args = [
            "-t",
            "rh/req",
            "-e",
            "rh/resp",
            "-m",
            "q",
            "-W",
            "1",
            "--retain-handling",
            when,
        ];
        let out = finish(spawn(broker.mqtk("rr", &args)), LIMIT);
        (out.status.code(), text(&out.stdout))
    };
    assert_eq!(rr("always"), (Some(0), "stale\n".to_string()));
    assert_eq!(rr("never"), (Some(27), String::new()));
}

/// `--tls-keylog FILE` appends the session's secrets in the NSS key log format Wireshark
/// reads; `--no-tls` cancels TLS options given before it (as an options file would), so a
/// plain listener is reached.
#[test]
fn tls_keylog_writes_the_secrets_and_no_tls_cancels_tls() {
    let pki = Pki::new();
    let ca = pki.path("ca.pem");
    let tls = Broker::mosquitto_with(&format!(
        "cafile {ca}\ncertfile {}\nkeyfile {}",
        pki.path("server.pem"),
        pki.path("server-key.pem")
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let keylog = dir.path().join("keys.log");
    let keylog = keylog.to_str().expect("path");
    let args = [
        "--cafile",
        &ca,
        "--tls-keylog",
        keylog,
        "-t",
        "k",
        "-m",
        "x",
    ];
    succeeds(tls.mqtk("pub", &args));
    let lines = std::fs::read_to_string(keylog).expect("key log written");
    let fields: Vec<Vec<&str>> = lines.lines().map(|l| l.split(' ').collect()).collect();
    assert!(!fields.is_empty(), "{lines}");
    for line in &fields {
        assert_eq!(line.len(), 3, "{lines}");
        assert_eq!(line[1].len(), 64, "a 32-byte client random in hex: {lines}");
        assert!(line[2].chars().all(|c| c.is_ascii_hexdigit()), "{lines}");
    }
    assert!(
        fields
            .iter()
            .any(|l| l[0] == "CLIENT_TRAFFIC_SECRET_0" || l[0] == "CLIENT_RANDOM"),
        "{lines}"
    );
    // A key log that cannot be written (a directory) loses its lines, not the connection.
    let dir_path = dir.path().to_str().expect("path");
    let args = [
        "--cafile",
        &ca,
        "--tls-keylog",
        dir_path,
        "-t",
        "k",
        "-m",
        "x",
    ];
    succeeds(tls.mqtk("pub", &args));
    let plain = Broker::mosquitto();
    let tls_options = ["--cafile", &ca, "-t", "k", "-m", "x"];
    let refused = plain.mqtk("pub", &tls_options).output().unwrap();
    assert_ne!(
        refused.status.code(),
        Some(0),
        "TLS to a plain listener fails"
    );
    succeeds(plain.mqtk("pub", &[&tls_options[..], &["--no-tls"]].concat()));
}

/// `--ws`: MQTT over WebSocket to `-h`/`-p`, path `/mqtt`; the plain MQTT port refuses a
/// WebSocket upgrade, so the option is what made the difference.
#[test]
fn ws_connects_over_websocket_to_host_and_port() {
    let served = Broker::mqtk_serve_listeners(&["--port", "0", "--ws-port", "0"], 2);
    let publish = |port: &str| {
        let args = ["pub", "--ws", "-p", port, "-t", "ws/t", "-m", "over ws"];
        finish(spawn(mqtk(&args)), LIMIT)
    };
    let sub = served.mqtk("sub", &["-t", "ws/t", "-C", "1"]);
    let ws = served.port_of(" (ws)");
    let out = served.receive(sub, || assert!(publish(&ws).status.success()));
    assert_eq!(text(&out.stdout), "over ws\n");
    let plain = publish(&served.port.to_string());
    assert!(
        !plain.status.success(),
        "a WebSocket upgrade to the plain MQTT port"
    );
}

/// `rr --latency`: after the response, the time from the request to the response in
/// mosquitto_rr 2.1's units, here `Latency: N.NNNNNNms` (under a second); a responder that holds
/// its answer 300 ms shows at least that.
#[test]
fn rr_latency_prints_the_round_trip() {
    let broker = Broker::mosquitto();
    let (mut responder, _) = Raw::connect(&broker, Raw::v5("responder"));
    assert_eq!(responder.subscribe("lat/req", QoS::AtMostOnce), [0]);
    let answer = std::thread::spawn(move || {
        let Some(Packet::Publish(request)) = responder.recv() else {
            panic!("no request");
        };
        std::thread::sleep(Duration::from_millis(300));
        let topic = request
            .properties
            .response_topic
            .clone()
            .expect("response topic");
        responder.send(Packet::Publish(Publish {
            topic,
            payload: "pong".into(),
            ..Publish::default()
        }));
        responder
    });
    let args = ["-t", "lat/req", "-e", "lat/resp", "-m", "ping", "--latency"];
    let out = finish(spawn(broker.mqtk("rr", &args)), LIMIT);
    let _responder = answer.join().expect("responder");
    let stdout = text(&out.stdout);
    let latency = stdout
        .strip_prefix("pong\nLatency: ")
        .and_then(|rest| rest.strip_suffix("ms\n"))
        .filter(|ms| {
            ms.split_once('.')
                .is_some_and(|(_, decimals)| decimals.len() == 6)
        })
        .and_then(|ms| ms.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{stdout:?}"));
    assert!((300.0..1_000.0).contains(&latency), "{latency} ms");
}

/// `-F %f` / `%d`: a 4- or 8-byte payload as an IEEE-754 float or double (the machine's byte
/// order, as mosquitto copies the bytes), with C's `%f` width and precision. On a payload of
/// another length the field prints nothing and mosquitto_sub 2.1's error goes to stderr,
/// without a line ending; `--quiet` silences it.
#[test]
fn float_and_double_payloads_print_as_numbers() {
    let broker = Broker::mosquitto();
    let run = |quiet: &[&str]| {
        let args = [&["-t", "num/#", "-C", "3", "-F", "[%f|%.2d|%08.3f]"], quiet].concat();
        let sub = broker.mqtk("sub", &args);
        broker.receive(sub, || {
            for payload in [&1.5f32.to_ne_bytes()[..], &(-2.25f64).to_ne_bytes(), b"abc"] {
                let publish = broker.mqtk("pub", &["-t", "num/x", "-s"]);
                let sent = common::run_with_input(publish, payload);
                assert!(sent.status.success(), "{}", text(&sent.stderr));
            }
        })
    };
    let out = run(&[]);
    assert_eq!(text(&out.stdout), "[1.500000||0001.500]\n[|-2.25|]\n[||]\n");
    let float = "requested float printing, but non-float data received";
    let double = "requested double printing, but non-double data received";
    let errors = [double, float, float, float, double, float].concat();
    assert_eq!(text(&out.stderr), errors);
    let quiet = run(&["--quiet"]);
    assert_eq!(text(&quiet.stdout), text(&out.stdout));
    assert_eq!(text(&quiet.stderr), "");
}

/// `sub --message-rate`: `N msgs/s` each second instead of the messages, as mosquitto_sub
/// 2.1 prints it; `-W 3` ends the run with its third line. Every message counts, before the
/// filters (`-T`) and without counting towards `-C`; `-w` is turned off, not refused.
#[test]
fn message_rate_prints_a_count_each_second() {
    let broker = Broker::mosquitto();
    let args = [
        "-t",
        "rate/#",
        "--message-rate",
        "-W",
        "3",
        "-C",
        "1",
        "-T",
        "rate/x",
        "-w",
    ];
    let sub = broker.mqtk("sub", &args);
    let out = broker.receive(sub, || {
        for i in 0..5 {
            succeeds(broker.mqtk("pub", &["-t", "rate/x", "-m", &i.to_string()]));
        }
    });
    assert_eq!(out.status.code(), Some(27), "ended by -W");
    let stdout = text(&out.stdout);
    let counts: Vec<u64> = stdout
        .lines()
        .map(|line| {
            let n = line
                .strip_suffix(" msgs/s")
                .unwrap_or_else(|| panic!("{stdout:?}"));
            n.parse().expect("a count")
        })
        .collect();
    assert_eq!(counts.len(), 3, "{stdout:?}");
    assert_eq!(counts.iter().sum::<u64>(), 5, "{stdout:?}");
}

/// `sub -w`: mosquitto_sub 2.1's bytes, on a terminal or not. The screen is cleared and
/// `Broker: HOST` written on row 1; each topic gets the next row from 2 in order of arrival, a
/// message moves the cursor to its row, prints as without `-w`, then moves to the last topic's
/// row and breaks the line.
#[test]
fn watch_prints_each_topic_on_its_own_row() {
    let broker = Broker::mosquitto();
    let publish = || {
        for (topic, payload) in [("w/a", "1"), ("w/b", "1"), ("w/a", "22")] {
            succeeds(broker.mqtk("pub", &["-t", topic, "-m", payload]));
        }
    };
    let out = broker.receive(
        broker.mqtk("sub", &["-t", "w/#", "-v", "-C", "3", "-w"]),
        publish,
    );
    assert_eq!(
        text(&out.stdout),
        "\x1b[2J\x1b[1;1HBroker: 127.0.0.1\n\
         \x1b[2;1Hw/a 1\n\x1b[2;1H\n\
         \x1b[3;1Hw/b 1\n\x1b[3;1H\n\
         \x1b[2;1Hw/a 22\n\x1b[3;1H\n"
    );
}

/// `-F %.Nx` / `%.N:X`: mosquitto 2.1 groups the hex payload, N hex digits to a group, with a
/// space or the punctuation byte given before the `x`; 2.0's `%x` and widths stay as they were.
#[test]
fn hex_payloads_print_in_groups() {
    let broker = Broker::mosquitto();
    let sub = broker.mqtk("sub", &["-t", "hex/#", "-C", "1", "-F", "%.4x|%.2:X|%x"]);
    let out = broker.receive(sub, || {
        let publish = broker.mqtk("pub", &["-t", "hex/x", "-s"]);
        let sent = common::run_with_input(publish, b"\x01\x02\xab\xcd\x05");
        assert!(sent.status.success(), "{}", text(&sent.stderr));
    });
    assert_eq!(
        text(&out.stdout),
        "0102 abcd 05|01:02:AB:CD:05|0102abcd05\n"
    );
}
