//! Shared test fixtures: a real mosquitto broker on a free loopback port, and the built
//! `mqtk` binary (and Debian's clients) run as real processes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A broker process on 127.0.0.1, killed when dropped.
pub struct Broker {
    pub port: u16,
    child: Child,
    subacks: Arc<AtomicUsize>,
    log: Arc<std::sync::Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Broker {
    /// Starts Debian's mosquitto with anonymous access on a free port.
    pub fn mosquitto() -> Broker {
        Broker::mosquitto_with("")
    }

    /// Starts mosquitto with extra lines in its configuration.
    pub fn mosquitto_with(extra: &str) -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let conf = dir.path().join("mosquitto.conf");
        let text = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type all\n{extra}\n"
        );
        std::fs::write(&conf, text).expect("write config");
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mosquitto is installed (apt-get install mosquitto)");
        Broker::watch(child, port, dir)
    }

    /// Starts `mqtk serve` on a free port; it prints the port it bound on its first line.
    pub fn mqtk_serve() -> Broker {
        Broker::mqtk_serve_with(&[], None)
    }

    /// Starts `mqtk serve -v --port 0 ARGS`, in directory `cwd` if given.
    pub fn mqtk_serve_with(args: &[&str], cwd: Option<&Path>) -> Broker {
        let mut cmd = mqtk(&["serve", "-v", "--port", "0"]);
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        let mut child = cmd
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mqtk serve");
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout.read_line(&mut first).expect("first line");
        let port = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {first:?}"));
        Broker::watch(child, port, tempfile::tempdir().expect("tempdir"))
    }

    /// Follows the broker's stderr log: counts SUBACKs (both brokers log "Sending SUBACK"),
    /// and keeps the first lines to explain a failed start or to look for a line.
    fn watch(mut child: Child, port: u16, dir: tempfile::TempDir) -> Broker {
        let subacks = Arc::new(AtomicUsize::new(0));
        let log = BufReader::new(child.stderr.take().expect("stderr"));
        let counter = subacks.clone();
        let first_lines = Arc::new(std::sync::Mutex::new(String::new()));
        let keep = first_lines.clone();
        std::thread::spawn(move || {
            for line in log.lines().map_while(Result::ok) {
                if line.contains("Sending SUBACK") {
                    counter.fetch_add(1, Ordering::SeqCst);
                }
                if let Ok(mut text) = keep.lock() {
                    if text.len() < 64 * 1024 {
                        text.push_str(&line);
                        text.push('\n');
                    }
                }
            }
        });
        if !wait_for_port(port) {
            let _ = child.kill();
            panic!(
                "mosquitto did not start:\n{}",
                first_lines.lock().map(|t| t.clone()).unwrap_or_default()
            );
        }
        Broker {
            port,
            child,
            subacks,
            log: first_lines,
            _dir: dir,
        }
    }

    /// Waits until the broker's log (its first 64 KiB) has a line containing `text`.
    pub fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.log.lock().map(|t| t.clone()).unwrap_or_default();
            if log.contains(text) {
                return;
            }
            assert!(Instant::now() < deadline, "no {text:?} in the log:\n{log}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends `signal` (`TERM`, `KILL`, ...) to the broker and waits for it to exit.
    pub fn stop(&mut self, signal: &str) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{signal} {pid}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the broker ignored SIG{signal}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// How many SUBACKs the broker has sent so far, counted from its (unbuffered) stderr log.
    pub fn subacks(&self) -> usize {
        self.subacks.load(Ordering::SeqCst)
    }

    /// Waits until the broker has sent more than `before` SUBACKs: a subscriber is in place.
    pub fn wait_subscribed(&self, before: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.subacks() <= before {
            assert!(Instant::now() < deadline, "no subscription arrived");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `mqtk SUBCOMMAND -h 127.0.0.1 -p PORT ARGS`.
    pub fn mqtk(&self, subcommand: &str, args: &[&str]) -> Command {
        let mut cmd = mqtk(&[subcommand]);
        cmd.args(self.addr()).args(args);
        cmd
    }

    /// `PROGRAM -h 127.0.0.1 -p PORT ARGS` for mosquitto_pub, mosquitto_sub or mosquitto_rr.
    pub fn program(&self, name: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(name);
        cmd.args(self.addr()).args(args);
        cmd
    }

    /// Starts `cmd` (a subscriber) and returns once the broker has acknowledged its SUBSCRIBE.
    pub fn subscribed(&self, cmd: Command) -> Child {
        let before = self.subacks();
        let child = spawn(cmd);
        self.wait_subscribed(before);
        child
    }

    /// `-h 127.0.0.1 -p PORT`, for any client.
    pub fn addr(&self) -> Vec<String> {
        vec![
            "-h".into(),
            "127.0.0.1".into(),
            "-p".into(),
            self.port.to_string(),
        ]
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// True once something accepts connections on `port`, false after ten seconds.
fn wait_for_port(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// The built `mqtk` binary.
pub fn mqtk_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mqtk"))
}

/// `mqtk ARGS`.
pub fn mqtk(args: &[&str]) -> Command {
    let mut cmd = Command::new(mqtk_path());
    cmd.args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("HOME", "/nonexistent");
    cmd
}

/// A program by name (mosquitto_pub, mosquitto_sub).
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
        .expect("spawn")
}

/// Runs `cmd` with `input` on stdin and returns its output.
pub fn run_with_input(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
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
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
