//! paho-mqtt scripts (Python) against either broker, for MQTT 5 features the mosquitto
//! clients cannot drive. The helpers in `paho_prelude.py` come before every script.

use super::process::{finish, program, spawn, text};
use super::tools::missing;
use super::Target;
use std::process::Command;
use std::time::Duration;

/// `python3 ARGS`, with tests/python/site (where `scripts/test` installs paho-mqtt) first on
/// its module path.
pub fn python(args: &[&str]) -> Command {
    let site = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/site");
    let path = match std::env::var_os("PYTHONPATH") {
        Some(old) if !old.is_empty() => format!("{site}:{}", old.to_string_lossy()),
        _ => site.to_owned(),
    };
    let mut cmd = program("python3", args);
    cmd.env("PYTHONPATH", path);
    cmd
}

/// Fails the test with one line (see [`missing`]) unless python3 imports paho-mqtt 2.
pub fn need_paho() {
    let check = "import paho.mqtt as m; assert m.__version__.startswith('2.')";
    let ok = python(&["-c", check])
        .output()
        .is_ok_and(|out| out.status.success());
    if !ok {
        missing("python3 cannot import paho-mqtt 2");
    }
}

/// Runs a paho-mqtt `script` with `PORT` set; panics with its output unless it prints `OK`.
pub fn paho(broker: &impl Target, script: &str) {
    paho_with(broker.port(), &[], script);
}

/// [`paho`] against the broker on `port`, with `env` set for the script too.
pub fn paho_with(port: u16, env: &[(&str, &str)], script: &str) {
    need_paho();
    let prelude = include_str!("paho_prelude.py");
    let mut cmd = python(&["-c", &format!("{prelude}\n{script}")]);
    cmd.env("PORT", port.to_string()).envs(env.iter().copied());
    let out = finish(spawn(cmd), Duration::from_secs(20));
    let stdout = text(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("OK"),
        "paho script failed:\n{stdout}\n{}",
        text(&out.stderr)
    );
}
