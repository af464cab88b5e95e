//! Client options mosquitto 2.1 added and 2.0.11 lacks, against Debian's mosquitto 2.0.11 as
//! the broker (the options are client-side; the broker only sees their wire effect).

mod common;

use common::{finish, spawn, succeeds, text, Broker};
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
