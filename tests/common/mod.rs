//! Shared test fixtures: a real mosquitto broker on a free loopback port, and the built
//! `mqtk` binary (and Debian's clients) run as real processes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A broker process on 127.0.0.1, killed when dropped.
pub struct Broker {
    pub port: u16,
    child: Child,
    subacks: Arc<AtomicUsize>,
    log: Arc<Mutex<String>>,
    dir: tempfile::TempDir,
    mosquitto: bool,
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
        write_mosquitto_conf(&dir, port, extra);
        let mut broker = Broker::start(Broker::spawn_mosquitto(&dir), port, dir);
        broker.mosquitto = true;
        broker
    }

    /// Rewrites mosquitto's configuration with `extra` lines, for [`Broker::start_again`].
    pub fn configure_mosquitto(&self, extra: &str) {
        write_mosquitto_conf(&self.dir, self.port, extra);
    }

    fn spawn_mosquitto(dir: &tempfile::TempDir) -> Child {
        Command::new("mosquitto")
            .arg("-c")
            .arg(dir.path().join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("mosquitto is installed (apt-get install mosquitto)")
    }

    /// Starts `mqtk serve -v -c FILE` with the same configuration as [`Broker::mosquitto_with`].
    pub fn mqtk_serve_conf(extra: &str) -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let conf = dir.path().join("mqtk.conf");
        let text = format!("listener {port} 127.0.0.1\nallow_anonymous true\n{extra}\n");
        std::fs::write(&conf, text).expect("write config");
        let child = mqtk(&["serve", "-v", "-c"])
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mqtk serve");
        Broker::start(child, port, dir)
    }

    /// The broker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
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
        Broker::start(child, port, tempfile::tempdir().expect("tempdir"))
    }

    /// Kills the broker at once (SIGKILL): its clients see their connections drop.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the broker process (SIGSTOP): connections stay open, nothing is read or answered.
    pub fn freeze(&self) {
        let pid = self.child.id().to_string();
        let stopped = Command::new("kill").args(["-STOP", &pid]).status();
        assert!(stopped.is_ok_and(|s| s.success()), "SIGSTOP {pid}");
    }

    /// Starts the same broker again on the same port after [`Broker::kill`] (mosquitto with
    /// its configuration as it is now).
    pub fn start_again(&mut self) {
        let child = if self.mosquitto {
            Broker::spawn_mosquitto(&self.dir)
        } else {
            mqtk(&["serve", "-v", "--port", &self.port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn mqtk serve")
        };
        (self.child, self.subacks, self.log) = Broker::watch(child, self.port);
    }

    fn start(child: Child, port: u16, dir: tempfile::TempDir) -> Broker {
        let (child, subacks, log) = Broker::watch(child, port);
        Broker {
            port,
            child,
            subacks,
            log,
            dir,
            mosquitto: false,
        }
    }

    /// Follows the broker's stderr log: counts SUBACKs (both brokers log "Sending SUBACK"),
    /// and keeps the first lines to explain a failed start or to look for a line.
    fn watch(mut child: Child, port: u16) -> (Child, Arc<AtomicUsize>, Arc<Mutex<String>>) {
        let subacks = Arc::new(AtomicUsize::new(0));
        let log = BufReader::new(child.stderr.take().expect("stderr"));
        let counter = subacks.clone();
        let first_lines = Arc::new(Mutex::new(String::new()));
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
                "the broker did not start:\n{}",
                first_lines.lock().map(|t| t.clone()).unwrap_or_default()
            );
        }
        (child, subacks, first_lines)
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

/// mosquitto on 127.0.0.1:`port`, anonymous access, logging to stderr, plus `extra` lines.
fn write_mosquitto_conf(dir: &tempfile::TempDir, port: u16, extra: &str) {
    let text = format!(
        "listener {port} 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type all\n{extra}\n"
    );
    std::fs::write(dir.path().join("mosquitto.conf"), text).expect("write config");
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP proxy on 127.0.0.1 in front of a broker: a test can hold back what the broker sends
/// and cut a client's connection while the broker keeps the client's session.
pub struct Proxy {
    pub port: u16,
    hold: Arc<AtomicBool>,
    held: Arc<AtomicUsize>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Proxy {
    /// Forwards every connection to `127.0.0.1:port`.
    pub fn to(port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let proxy = Proxy {
            port: listener.local_addr().expect("addr").port(),
            hold: Arc::new(AtomicBool::new(false)),
            held: Arc::new(AtomicUsize::new(0)),
            open: Arc::new(Mutex::new(Vec::new())),
        };
        let (hold, held, open) = (proxy.hold.clone(), proxy.held.clone(), proxy.open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let Ok(broker) = TcpStream::connect(("127.0.0.1", port)) else {
                    continue;
                };
                let clones = (client.try_clone(), broker.try_clone());
                let (Ok(client2), Ok(broker2)) = clones else {
                    continue;
                };
                if let Ok(mut open) = open.lock() {
                    open.extend(client.try_clone());
                    open.extend(broker.try_clone());
                }
                forward(client, broker, None);
                forward(broker2, client2, Some((hold.clone(), held.clone())));
            }
        });
        proxy
    }

    /// Drops what the broker sends from now on: nothing the client sends is acknowledged.
    pub fn hold_replies(&self) {
        self.hold.store(true, Ordering::SeqCst);
    }

    /// Bytes from the broker dropped so far.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::SeqCst)
    }

    /// Closes every connection through the proxy, as a network failure would, and forwards
    /// everything again on the next ones.
    pub fn cut(&self) {
        if let Ok(mut open) = self.open.lock() {
            for stream in open.drain(..) {
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        }
        self.hold.store(false, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` in a thread until either closes; with `hold` set, drops the bytes
/// and counts them instead.
fn forward(
    mut from: TcpStream,
    mut to: TcpStream,
    hold: Option<(Arc<AtomicBool>, Arc<AtomicUsize>)>,
) {
    std::thread::spawn(move || {
        let mut buf = [0; 16 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            if let Some((_, held)) = hold.as_ref().filter(|(h, _)| h.load(Ordering::SeqCst)) {
                held.fetch_add(n, Ordering::SeqCst);
                continue;
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
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
