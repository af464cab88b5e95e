//! paho-mqtt scripts (Python) against either broker, for MQTT 5 features the mosquitto
//! clients cannot drive. The helpers in `paho_prelude.py` come before every script.

use super::process::{finish, program, spawn, text};
use super::Target;
use std::time::Duration;

/// True when paho-mqtt can be imported; otherwise says why the test is skipped. In CI
/// (`CI` set), where paho-mqtt is installed, a missing module fails instead.
pub fn have_paho() -> bool {
    let ok = program("python3", &["-c", "import paho.mqtt"])
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "paho-mqtt is missing in CI (.ci/run installs it)"
    );
    if !ok {
        eprintln!("SKIPPED: paho-mqtt is not installed (pip install paho-mqtt)");
    }
    ok
}

/// Runs a paho-mqtt `script` with `PORT` set; panics with its output unless it prints `OK`.
/// Skipped (see [`have_paho`]) where paho-mqtt is missing.
pub fn paho(broker: &impl Target, script: &str) {
    if !have_paho() {
        return;
    }
    let prelude = include_str!("paho_prelude.py");
    let mut cmd = program("python3", &["-c", &format!("{prelude}\n{script}")]);
    cmd.env("PORT", broker.port().to_string());
    let out = finish(spawn(cmd), Duration::from_secs(20));
    let stdout = text(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("OK"),
        "paho script failed:\n{stdout}\n{}",
        text(&out.stderr)
    );
}
