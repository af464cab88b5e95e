//! A broker *process* on 127.0.0.1: Debian's mosquitto or `mqtk serve`. Use it to run the same
//! check against both brokers, to watch the broker's log (it counts SUBACKs, so a test knows
//! when any subscriber process is in place), or to kill, signal, freeze and restart the
//! broker. For broker behaviour alone the in-process [`super::TestBroker`] is faster.

use super::process::{finish, mqtk, spawn};
use super::tools::tool;
use super::{host_port, Target};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A broker process on 127.0.0.1, killed when dropped.
pub struct Broker {
    /// The port of its (first) listener.
    pub port: u16,
    /// `mqtk serve`'s listeners as it printed them: `(address, suffix)`, e.g.
    /// `("127.0.0.1:4711", " (mqtts)")`; empty for mosquitto.
    pub listeners: Vec<(String, String)>,
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
        let port = free_port();
        Broker::mosquitto_conf(&listener_conf(port, extra), port)
    }

    /// Starts mosquitto with configuration `conf` (logging to stderr added), which must
    /// open `port`.
    pub fn mosquitto_conf(conf: &str, port: u16) -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        write_mosquitto_conf(&dir, conf);
        let mut broker = Broker::follow(Broker::spawn_mosquitto(&dir), port, dir);
        broker.mosquitto = true;
        broker.wait_listening();
        broker
    }

    /// Rewrites mosquitto's configuration with `extra` lines, for [`Broker::start_again`].
    pub fn configure_mosquitto(&self, extra: &str) {
        write_mosquitto_conf(&self.dir, &listener_conf(self.port, extra));
    }

    fn spawn_mosquitto(dir: &tempfile::TempDir) -> Child {
        Command::new(tool("mosquitto"))
            .arg("-c")
            .arg(dir.path().join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start mosquitto: {e}"))
    }

    /// Starts `mqtk serve -v -c FILE` with the same configuration as [`Broker::mosquitto_with`].
    pub fn mqtk_serve_conf(extra: &str) -> Broker {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("mqtk.conf");
        let text = format!("listener 0 127.0.0.1\nallow_anonymous true\n{extra}\n");
        std::fs::write(&conf, text).expect("write config");
        let args = [OsStr::new("-c"), conf.as_os_str()];
        Broker::serve(&args, None, 1, dir)
    }

    /// Starts `mqtk serve` on a free port.
    pub fn mqtk_serve() -> Broker {
        Broker::mqtk_serve_with(&[], None)
    }

    /// Starts `mqtk serve -v --port 0 ARGS`, in directory `cwd` if given.
    pub fn mqtk_serve_with(args: &[&str], cwd: Option<&Path>) -> Broker {
        let args = [&["--port", "0"], args].concat();
        Broker::serve(&args, cwd, 1, tempfile::tempdir().expect("tempdir"))
    }

    /// Starts `mqtk serve` on a free port with one worker thread (`TOKIO_WORKER_THREADS=1`,
    /// read by tokio), for a test of the order tasks run in that two threads would race.
    pub fn mqtk_serve_one_worker() -> Broker {
        let mut cmd = mqtk(&["serve", "-v", "--port", "0"]);
        cmd.env("TOKIO_WORKER_THREADS", "1");
        Broker::serve_command(cmd, 1, tempfile::tempdir().expect("tempdir"))
    }

    /// Starts `mqtk serve -v ARGS` (which choose the listeners) and reads the `count` lines
    /// it prints once they listen; [`Broker::port`] is the first one's port.
    pub fn mqtk_serve_listeners(args: &[impl AsRef<OsStr>], count: usize) -> Broker {
        Broker::serve(args, None, count, tempfile::tempdir().expect("tempdir"))
    }

    /// `mqtk serve -v ARGS`, ready once it printed `count` listeners.
    fn serve(
        args: &[impl AsRef<OsStr>],
        cwd: Option<&Path>,
        count: usize,
        dir: tempfile::TempDir,
    ) -> Broker {
        let mut cmd = mqtk(&["serve", "-v"]);
        cmd.args(args);
        if let Some(cwd) = cwd {
            cmd.current_dir(cwd);
        }
        Broker::serve_command(cmd, count, dir)
    }

    /// Runs `cmd`, an `mqtk serve -v`, ready once it printed `count` listeners.
    fn serve_command(cmd: Command, count: usize, dir: tempfile::TempDir) -> Broker {
        let mut broker = Broker::follow(spawn(cmd), 0, dir);
        let mut stdout = BufReader::new(broker.child.stdout.take().expect("stdout"));
        for _ in 0..count {
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let listener = line.trim().strip_prefix("mqtk serve listening on ");
            let Some(listener) = listener else {
                broker.stopped(&format!("printed {line:?}"));
            };
            let (addr, suffix) = listener.split_at(listener.find(' ').unwrap_or(listener.len()));
            broker.listeners.push((addr.to_owned(), suffix.to_owned()));
        }
        broker.port = broker
            .port_of(&broker.listeners[0].1)
            .parse()
            .expect("port");
        broker
    }

    /// The broker `child` on `port` (0: not known yet), its log followed.
    fn follow(mut child: Child, port: u16, dir: tempfile::TempDir) -> Broker {
        let (subacks, log) = follow_log(&mut child);
        Broker {
            port,
            listeners: Vec::new(),
            child,
            subacks,
            log,
            dir,
            mosquitto: false,
        }
    }

    /// The broker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The port of the listener `mqtk serve` printed with `suffix` ("" for plain MQTT).
    pub fn port_of(&self, suffix: &str) -> String {
        let (addr, _) = self
            .listeners
            .iter()
            .find(|(_, s)| s == suffix)
            .unwrap_or_else(|| panic!("no listener {suffix:?} in {:?}", self.listeners));
        addr.rsplit(':').next().expect("port").to_owned()
    }

    /// Kills the broker at once (SIGKILL): its clients see their connections drop.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends `signal` (`HUP`, `STOP`, ...) to the broker.
    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new(tool("kill"))
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{signal} {pid}");
    }

    /// Stops the broker process (SIGSTOP): connections stay open, nothing is read or answered.
    pub fn freeze(&self) {
        self.signal("STOP");
    }

    /// Sends `signal` (`TERM`, `KILL`, ...) to the broker and waits for it to exit.
    pub fn stop(&mut self, signal: &str) -> ExitStatus {
        self.signal(signal);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the broker ignored SIG{signal}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Starts the same broker again on the same port after [`Broker::kill`] (mosquitto with
    /// its configuration as it is now, `mqtk serve` with its defaults).
    pub fn start_again(&mut self) {
        self.child = if self.mosquitto {
            Broker::spawn_mosquitto(&self.dir)
        } else {
            mqtk(&["serve", "-v", "--port", &self.port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn mqtk serve")
        };
        (self.subacks, self.log) = follow_log(&mut self.child);
        self.wait_listening();
    }

    /// Waits until the broker accepts connections on its port (mosquitto says nothing when
    /// it is ready); panics with its log after ten seconds.
    fn wait_listening(&mut self) {
        if self.mosquitto {
            self.wait_running();
        }
        if !listening(self.port) {
            self.stopped("did not listen within 10 s");
        }
    }

    /// Waits for mosquitto's "running" line, logged once its listeners are open; a mosquitto
    /// that could not open them exits instead, and the port may then belong to someone else.
    fn wait_running(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.log().contains(" running") {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.stopped(&format!("exited: {status}"));
            }
            if Instant::now() > deadline {
                self.stopped("did not log \"running\" within 10 s");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Panics with `why` and the broker's log (the broker is killed on drop).
    fn stopped(&self, why: &str) -> ! {
        std::thread::sleep(Duration::from_millis(100));
        panic!("the broker did not start ({why}):\n{}", self.log());
    }

    /// The broker's log so far (its first 64 KiB).
    pub fn log(&self) -> String {
        self.log.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// Waits until the broker's log (its first 64 KiB) has a line containing `text`.
    pub fn wait_for_log(&self, text: &str) {
        self.wait_for_log_count(text, 1);
    }

    /// Waits until the broker's log (its first 64 KiB) holds `text` `count` times.
    pub fn wait_for_log_count(&self, text: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.log().matches(text).count() < count {
            assert!(Instant::now() < deadline, "no {text:?} in:\n{}", self.log());
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
        let mut cmd = Command::new(tool(name));
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

    /// Starts the subscriber `sub`, waits for its subscription, runs `publish`, and returns
    /// the subscriber's output once it exits (within 20 s).
    pub fn receive(&self, sub: Command, publish: impl FnOnce()) -> Output {
        let child = self.subscribed(sub);
        // Read the subscriber's output while publishing: a full pipe would stall it.
        let output = std::thread::spawn(move || finish(child, Duration::from_secs(20)));
        publish();
        output.join().expect("subscriber")
    }

    /// `-h 127.0.0.1 -p PORT`, for any client.
    pub fn addr(&self) -> Vec<String> {
        host_port(self.port)
    }
}

impl Target for Broker {
    fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Follows the broker's stderr log: counts SUBACKs (both brokers log "Sending SUBACK"), and
/// keeps the first 64 KiB to explain a failed start or to look for a line.
fn follow_log(child: &mut Child) -> (Arc<AtomicUsize>, Arc<Mutex<String>>) {
    let subacks = Arc::new(AtomicUsize::new(0));
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let (counter, keep) = (subacks.clone(), log.clone());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
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
    (subacks, log)
}

/// mosquitto on 127.0.0.1:`port`, anonymous access, logging to stderr, plus `extra` lines.
/// An anonymous listener on `port`, then `extra`.
fn listener_conf(port: u16, extra: &str) -> String {
    format!("listener {port} 127.0.0.1\nallow_anonymous true\n{extra}\n")
}

/// `conf`, logging everything to stderr, as the test's mosquitto.conf.
fn write_mosquitto_conf(dir: &tempfile::TempDir, conf: &str) {
    let text = format!("{conf}\nlog_dest stderr\nlog_type all\n");
    let conf = dir.path().join("mosquitto.conf");
    std::fs::write(&conf, text).expect("write config");
    // mosquitto started as root drops to user mosquitto, who reads the file again on SIGHUP.
    for (path, mode) in [(dir.path(), 0o755), (conf.as_path(), 0o644)] {
        let mode = std::fs::Permissions::from_mode(mode);
        std::fs::set_permissions(path, mode).expect("chmod");
    }
}

/// Waits up to ten seconds for something to accept connections on 127.0.0.1:`port`.
pub fn listening(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// A port nothing listens on right now, for a broker that must be told its port. It lies
/// below the kernel's ephemeral range, so a listener on port 0 (`mqtk serve --port 0`) or a
/// client's own port cannot take it between this call and the broker's bind, and no two
/// calls in one test process return the same port.
pub fn free_port() -> u16 {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let start = ephemeral_start().saturating_sub(PORTS).max(1024);
    let offset = std::process::id() as usize;
    (0..PORTS)
        .map(|_| start + ((offset + NEXT.fetch_add(1, Ordering::SeqCst)) % PORTS as usize) as u16)
        .find(|&port| TcpListener::bind(("127.0.0.1", port)).is_ok())
        .expect("a free port below the ephemeral range")
}

/// How many ports below the ephemeral range [`free_port`] hands out.
const PORTS: u16 = 10_000;

/// The first port of the kernel's ephemeral range (Linux's default when it cannot be read).
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32_768)
}
