//! `mqtk serve` persistence with real processes: state survives SIGTERM and `kill -9`, a
//! damaged file stops the broker, and mosquitto's persistence keys are honoured.

mod common;

use common::{finish, run_with_input, Broker};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// Runs `cmd` to completion; panics unless it succeeds. Returns its stdout lines.
fn succeeds(cmd: Command) -> Vec<String> {
    common::succeeds(cmd).lines().map(str::to_string).collect()
}

/// A retained message, a persistent session (`id`, MQTT `version`) with two QoS 1 messages
/// queued while it is away, and a clean session that must not come back.
fn fill(broker: &Broker, id: &str, version: &str) {
    let pub_ = |args: &[&str]| succeeds(broker.mqtk("pub", args));
    pub_(&["-t", "keep/r", "-m", "retained", "-r", "-q", "1"]);
    let mut away = vec!["-V", version, "-c", "-i", id, "-q", "1", "-t", "t", "-E"];
    if version == "5" {
        away.extend(["-x", "300"]);
    }
    succeeds(broker.mqtk("sub", &away));
    succeeds(broker.mqtk("sub", &["-i", "clean", "-q", "1", "-t", "t", "-E"]));
    pub_(&["-t", "t", "-m", "one", "-q", "1"]);
    pub_(&["-t", "t", "-m", "two", "-q", "1"]);
}

/// Checks a restarted broker has what [`fill`] left: the retained message for a new `#`
/// subscriber and the queued messages for the returning session.
fn check(broker: &Broker, id: &str, version: &str) {
    broker.wait_for_log("Restored 1 retained messages and 1 sessions");
    let retained = succeeds(broker.mqtk("sub", &["-t", "#", "-v", "-C", "1", "-W", "5"]));
    assert_eq!(retained, ["keep/r retained"]);
    let back = [
        "-V", version, "-c", "-i", id, "-q", "1", "-t", "t", "-C", "2", "-W", "5",
    ];
    assert_eq!(succeeds(broker.mqtk("sub", &back)), ["one", "two"]);
}

#[test]
fn state_survives_a_graceful_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("mqtk.db");
    let args = ["--persist", db.to_str().expect("utf-8")];
    let mut broker = Broker::mqtk_serve_with(&args, None);
    fill(&broker, "away", "311");
    assert!(broker.stop("TERM").success());
    let broker = Broker::mqtk_serve_with(&args, None);
    check(&broker, "away", "311");
}

/// Writes a mosquitto.conf in `dir` that persists there, followed by `keys`; returns its path.
fn persist_config(dir: &std::path::Path, keys: &str) -> std::path::PathBuf {
    let conf = dir.join("mosquitto.conf");
    let text = format!(
        "allow_anonymous true\npersistence true\npersistence_location {}/\n{keys}",
        dir.display()
    );
    std::fs::write(&conf, text).expect("write config");
    conf
}

/// mosquitto.conf keys, and a `kill -9` after one autosave interval loses nothing.
#[test]
fn state_survives_kill_9_after_an_autosave() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = persist_config(
        dir.path(),
        "persistence_file state.db\nautosave_interval 1\n",
    );
    let args = ["-c", conf.to_str().expect("utf-8")];
    let mut broker = Broker::mqtk_serve_with(&args, None);
    let saves = |broker: &Broker| broker.log().matches("Saved the state").count();
    let before = saves(&broker);
    fill(&broker, "away5", "5");
    // A save that was copying when fill() ended may have missed its end: wait for the
    // saves to stop, which they do once nothing has changed since the last.
    broker.wait_for_log_count("Saved the state", before + 1);
    let mut seen = saves(&broker);
    loop {
        std::thread::sleep(Duration::from_millis(1500));
        let now = saves(&broker);
        if now == seen {
            break;
        }
        seen = now;
    }
    assert!(!broker.stop("KILL").success());
    assert!(dir.path().join("state.db").is_file());
    let broker = Broker::mqtk_serve_with(&args, None);
    check(&broker, "away5", "5");
}

/// `autosave_on_changes true`: the state is saved once `autosave_interval` changes were
/// counted (each retained message is one), not after that many seconds. Traffic between
/// clean clients is not counted: their sessions are not saved.
#[test]
fn autosave_on_changes_saves_after_that_many_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = persist_config(
        dir.path(),
        "autosave_on_changes true\nautosave_interval 5\n",
    );
    let db = dir.path().join("mosquitto.db");
    let args = ["-c", conf.to_str().expect("utf-8")];
    let retain = |broker: &Broker, count: usize| {
        for n in 1..=count {
            let topic = format!("r/{n}");
            succeeds(broker.mqtk("pub", &["-t", &topic, "-m", "m", "-r", "-q", "1"]));
        }
    };
    let mut broker = Broker::mqtk_serve_with(&args, None);
    let sub = broker.subscribed(broker.mqtk("sub", &["-t", "c", "-q", "1", "-C", "10"]));
    let lines = "m\n".repeat(10);
    let publish = broker.mqtk("pub", &["-t", "c", "-q", "1", "-l"]);
    assert!(run_with_input(publish, lines.as_bytes()).status.success());
    assert!(finish(sub, Duration::from_secs(10)).status.success());
    retain(&broker, 4);
    std::thread::sleep(Duration::from_millis(500));
    assert!(!db.exists(), "saved after 4 changes:\n{}", broker.log());
    assert!(!broker.stop("KILL").success());
    let mut broker = Broker::mqtk_serve_with(&args, None);
    broker.wait_for_log("Restored 0 retained messages and 0 sessions");
    retain(&broker, 5);
    // Well within the 5 s a time-based autosave_interval 5 would take.
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while !db.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "not saved after 5 changes"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!broker.stop("KILL").success());
    let broker = Broker::mqtk_serve_with(&args, None);
    broker.wait_for_log("Restored 5 retained messages and 0 sessions");
}

/// `mqtk serve` on `file` exits at once with one line naming it and what is wrong.
fn refuses(cwd: &Path, file: &str, why: &str) {
    let mut cmd = common::mqtk(&["serve", "--port", "0", "--persist", file]);
    cmd.current_dir(cwd);
    let out = finish(common::spawn(cmd), Duration::from_secs(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty(), "it must not listen");
    let expected = format!("Error: {file} {why}; move it aside to start empty\n");
    assert_eq!(stderr, expected);
}

/// A damaged file stops the broker and is left as it was; `persistence true` alone writes
/// mosquitto's default `mosquitto.db` in the current directory.
#[test]
fn a_corrupt_or_truncated_file_is_refused_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("on.conf"),
        "allow_anonymous true\npersistence true\n",
    )
    .expect("write");
    let mut broker = Broker::mqtk_serve_with(&["-c", "on.conf"], Some(dir.path()));
    succeeds(broker.mqtk("pub", &["-t", "r", "-m", "kept", "-r"]));
    assert!(broker.stop("TERM").success());
    let good = std::fs::read(dir.path().join("mosquitto.db")).expect("mosquitto.db");
    let mut flipped = good.clone();
    let middle = flipped.len() / 2 + 12;
    flipped[middle] ^= 0x40;
    let cases = [
        (flipped, "is corrupt (checksum mismatch)"),
        (good[..good.len() - 1].to_vec(), "is truncated"),
    ];
    for (bytes, why) in cases {
        std::fs::write(dir.path().join("bad.db"), &bytes).expect("write");
        refuses(dir.path(), "bad.db", why);
        assert_eq!(
            std::fs::read(dir.path().join("bad.db")).expect("read"),
            bytes
        );
    }
}

/// `persistent_client_expiration` ends even a session asked to never expire once its client
/// has been away that long (seconds here; hours and more in a configuration file).
#[test]
fn persistent_client_expiration_ends_never_expiring_sessions() {
    let broker = common::TestBroker::with(|c| c.persistent_client_expiration = Some(1));
    let mut connect = common::Raw::v5("forever");
    connect.clean_start = false;
    connect.properties.session_expiry_interval = Some(u32::MAX);
    let present = || {
        common::Raw::connect(&broker, connect.clone())
            .1
            .session_present
    };
    assert!(!present());
    assert!(present(), "kept while the client is away");
    // Its timer fires after a second; the rest is room for a loaded machine.
    std::thread::sleep(Duration::from_millis(2500));
    assert!(!present(), "ended after a second away");
}

/// A restored session keeps counting down its expiry and ends when it runs out, though no
/// client came back to start a timer; one with time left is still there.
#[test]
fn a_restored_session_ends_when_its_expiry_runs_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("mqtk.db");
    let args = ["--persist", db.to_str().expect("utf-8")];
    let connect = |id: &str, expiry| {
        let mut connect = common::Raw::v5(id);
        connect.clean_start = false;
        connect.properties.session_expiry_interval = Some(expiry);
        connect
    };
    let present = |broker: &Broker, id, expiry| {
        common::Raw::connect(broker, connect(id, expiry))
            .1
            .session_present
    };
    let mut broker = Broker::mqtk_serve_with(&args, None);
    assert!(!present(&broker, "short", 2));
    assert!(!present(&broker, "long", 300));
    let left = std::time::Instant::now();
    assert!(broker.stop("TERM").success());
    let broker = Broker::mqtk_serve_with(&args, None);
    broker.wait_for_log("Restored 0 retained messages and 2 sessions");
    std::thread::sleep(Duration::from_secs(4).saturating_sub(left.elapsed()));
    assert!(!present(&broker, "short", 2), "ended 2 s after it left");
    assert!(present(&broker, "long", 300));
}
