//! Debian's mosquitto_pub and mosquitto_sub against either broker ([`super::Target`]): the
//! reference clients, as processes, for checks that need no `mqtk` client.

use super::process::{finish, program, run_with_input, spawn, text, Lines};
use super::tools::tool;
use super::{host_port, Target};
use std::process::{Child, Output};
use std::time::Duration;

/// How long a mosquitto client may run.
const LIMIT: Duration = Duration::from_secs(10);

/// `mosquitto_pub` against `broker`, waited for; panics unless it succeeds.
pub fn publish(broker: &impl Target, args: &[&str]) {
    let out = run_tool("mosquitto_pub", broker, args);
    assert!(
        out.status.success(),
        "mosquitto_pub {args:?} failed: {}",
        text(&out.stderr)
    );
}

/// `mosquitto_pub -l` against `broker` with `input` on stdin; panics unless it succeeds.
pub fn publish_lines(broker: &impl Target, args: &[&str], input: &[u8]) {
    let mut cmd = program("mosquitto_pub", &["-l"]);
    cmd.args(host_port(broker.port())).args(args);
    let out = run_with_input(cmd, input);
    assert!(
        out.status.success(),
        "mosquitto_pub -l failed: {}",
        text(&out.stderr)
    );
}

/// Runs `tool` (mosquitto_pub/mosquitto_sub) against `broker` and returns its output.
pub fn run_tool(tool: &str, broker: &impl Target, args: &[&str]) -> Output {
    let mut cmd = program(tool, &[]);
    cmd.args(host_port(broker.port())).args(args);
    finish(spawn(cmd), LIMIT)
}

/// A `mosquitto_sub -d` process; its debug lines tell when the subscription is in place and
/// which flags each PUBLISH carried. Works with any broker, since it needs no broker log
/// (with a [`super::Broker`], `subscribed` and `finish` serve any subscriber command).
pub struct Sub {
    child: Option<Child>,
    lines: Option<Lines>,
}

impl Sub {
    /// Starts `mosquitto_sub -d ARGS` and waits for its SUBACK.
    pub fn start(broker: &impl Target, args: &[&str]) -> Sub {
        // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe.
        let mut cmd = program("stdbuf", &["-oL"]);
        cmd.arg(tool("mosquitto_sub"));
        cmd.args(host_port(broker.port())).arg("-d").args(args);
        let mut child = spawn(cmd);
        let mut lines = Lines::follow(&mut child, false);
        lines.wait_for("Subscribed (mid");
        Sub {
            child: Some(child),
            lines: Some(lines),
        }
    }

    /// Reads lines until one contains `text`; panics after 10 s.
    pub fn wait_for(&mut self, text: &str) -> String {
        self.lines.as_mut().expect("running").wait_for(text)
    }

    /// Waits for the process to exit and returns (debug PUBLISH lines, message lines).
    pub fn finish(mut self) -> (Vec<String>, Vec<String>) {
        finish(self.child.take().expect("running"), LIMIT);
        let lines = self.lines.take().expect("running").all();
        let (debug, messages): (Vec<String>, Vec<String>) = lines
            .into_iter()
            .partition(|l| l.starts_with("Client ") || l.starts_with("Subscribed ("));
        let publishes = debug
            .into_iter()
            .filter(|l| l.contains("received PUBLISH"))
            .collect();
        (publishes, messages)
    }

    /// Kills the process, so the broker sees the connection drop without DISCONNECT.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        self.kill();
    }
}
