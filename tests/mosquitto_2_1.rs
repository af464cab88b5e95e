//! Client options mosquitto 2.1 added and 2.0.11 lacks, against Debian's mosquitto 2.0.11 as
//! the broker (the options are client-side; the broker only sees their wire effect).

mod common;

use common::{finish, spawn, succeeds, text, Broker, Pki};
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
