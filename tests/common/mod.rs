//! Shared test fixtures: a real mosquitto broker on a free loopback port, and the built
//! `mqtk` binary (and Debian's clients) run as real processes.
#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A broker process on 127.0.0.1, killed when dropped.
pub struct Broker {
    pub port: u16,
    child: Child,
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
        let text = format!("listener {port} 127.0.0.1\nallow_anonymous true\n{extra}\n");
        std::fs::write(&conf, text).expect("write config");
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed (apt-get install mosquitto)");
        wait_for_port(port);
        Broker {
            port,
            child,
            _dir: dir,
        }
    }

    /// `-h 127.0.0.1 -p PORT`, for any client.
    pub fn addr(&self) -> Vec<String> {
        vec!["-h".into(), "127.0.0.1".into(), "-p".into(), self.port.to_string()]
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

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "broker did not start on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The built `mqtk` binary.
pub fn mqtk_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mqtk"))
}

/// `mqtk ARGS`.
pub fn mqtk(args: &[&str]) -> Command {
    let mut cmd = Command::new(mqtk_path());
    cmd.args(args).env("XDG_CONFIG_HOME", "/nonexistent").env("HOME", "/nonexistent");
    cmd
}

/// A program by name (mosquitto_pub, mosquitto_sub).
pub fn program(name: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(name);
    cmd.args(args);
    cmd
}

/// Starts a subscriber and waits until its subscription is in place, by publishing probe
/// messages to `probe_topic` (which the subscriber must also match) until one is seen.
/// Simpler: sleep a short while after start; subscribers here are started with -C and the
/// publisher runs after `settle()`.
pub fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn")
}

/// Time for a freshly started subscriber to have its SUBACK.
pub fn settle() {
    std::thread::sleep(Duration::from_millis(300));
}

/// Runs `cmd` with `input` on stdin and returns its output.
pub fn run_with_input(mut cmd: Command, input: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(input).expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// Waits for `child` with a deadline, killing it on timeout so a hung test fails.
pub fn finish(mut child: Child, limit: Duration) -> Output {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!("process did not exit within {limit:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().expect("wait")
}
