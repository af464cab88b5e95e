//! Programs as processes: the built `mqtk` binary (kept away from the user's configuration
//! files) and the other programs, found by absolute path ([`super::tools::tool`]). Every wait has a deadline, so a hung program fails
//! its test instead of hanging it.

use super::tools::tool;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// A program by name (mosquitto_pub, mosquitto_sub, python3), found by [`tool`].
pub fn program(name: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(tool(name));
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
            let _ = Command::new(tool("kill"))
                .arg("-9")
                .arg(pid.to_string())
                .status();
            let out = rx.recv().expect("wait").expect("wait");
            panic!(
                "process did not exit within {limit:?}: {}",
                text(&out.stderr)
            );
        }
    }
}

/// A process's output lines, read by threads as they come, so that a test can wait for one
/// (a readiness or debug line) while the process runs.
pub struct Lines {
    rx: mpsc::Receiver<String>,
    /// Every line read so far, in order of arrival.
    pub seen: Vec<String>,
}

impl Lines {
    /// Follows `child`'s stdout and, with `stderr`, its stderr too (interleaved by arrival).
    pub fn follow(child: &mut Child, stderr: bool) -> Lines {
        let (tx, rx) = mpsc::channel();
        let out = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let err = child.stderr.take().filter(|_| stderr);
        let err = err.map(|s| Box::new(s) as Box<dyn Read + Send>);
        for stream in [out, err].into_iter().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Lines {
            rx,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one contains `text` and returns it; panics after ten seconds.
    pub fn wait_for(&mut self, text: &str) -> String {
        self.wait_for_within(text, Duration::from_secs(10))
    }

    /// [`Lines::wait_for`] with a deadline of `limit` from now, for slow starters (a browser).
    pub fn wait_for_within(&mut self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no line with {text:?}; saw {:#?}", self.seen),
            }
        }
    }

    /// Every line, once the process has exited: reads to the end of its output.
    pub fn all(mut self) -> Vec<String> {
        self.seen.extend(self.rx.iter());
        self.seen
    }
}
