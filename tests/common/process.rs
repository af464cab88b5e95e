//! Programs as processes: the built `mqtk` binary (kept away from the user's configuration
//! files) and Debian's mosquitto clients. Every wait has a deadline, so a hung program fails
//! its test instead of hanging it.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// How long [`run_with_input`] and [`succeeds`] let a program run.
const LIMIT: Duration = Duration::from_secs(60);

/// The built `mqtk` binary.
pub fn mqtk_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mqtk"))
}

/// `mqtk ARGS`, without the user's `~/.config/mqtk` defaults.
pub fn mqtk(args: &[&str]) -> Command {
    let mut cmd = Command::new(mqtk_path());
    cmd.args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("HOME", "/nonexistent");
    cmd
}

/// A program by name (mosquitto_pub, mosquitto_sub, python3).
pub fn program(name: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(name);
    cmd.args(args);
    cmd
}

/// Starts `cmd` with stdout and stderr captured.
pub fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"))
}

/// Runs `cmd` with `input` on stdin (written from a thread: a program that stops reading
/// must not stall the test) and returns its output.
pub fn run_with_input(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = spawn({
        cmd.stdin(Stdio::piped());
        cmd
    });
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    finish(child, LIMIT)
}

/// Runs `cmd` to completion; panics with its stderr unless it succeeds. Returns its stdout.
pub fn succeeds(cmd: Command) -> String {
    let what = format!("{cmd:?}");
    let out = finish(spawn(cmd), LIMIT);
    assert!(
        out.status.success(),
        "{what}: {:?} {}",
        out.status,
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Output bytes as text, for comparisons and messages.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Waits for `child` with a deadline, reading its output meanwhile (a full pipe must not
/// stall it), and kills it on timeout so a hung test fails instead of hanging.
pub fn finish(child: Child, limit: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            let out = rx.recv().expect("wait").expect("wait");
            panic!(
                "process did not exit within {limit:?}: {}",
                text(&out.stderr)
            );
        }
    }
}
