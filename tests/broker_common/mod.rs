//! Fixtures for the broker tests: the broker in-process on a free loopback port, mosquitto
//! clients as processes, paho-mqtt scripts, and a raw TCP peer for hostile input.
#![allow(dead_code)]

use mqtk::broker::{run, Config};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The broker running on its own tokio runtime in a background thread; stopped on drop.
pub struct TestBroker {
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestBroker {
    /// Starts a broker with default settings on 127.0.0.1, port 0.
    pub fn start() -> TestBroker {
        TestBroker::with(|_| {})
    }

    /// Starts a broker after `adjust` has changed its configuration.
    pub fn with(adjust: impl FnOnce(&mut Config)) -> TestBroker {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let mut config = Config {
            verbose: std::env::var_os("MQTK_TEST_VERBOSE").is_some(),
            ..Config::default()
        };
        adjust(&mut config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                run(vec![listener], config, stopped).await.expect("broker");
            });
        });
        TestBroker {
            port,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `-h 127.0.0.1 -p PORT`.
    pub fn addr(&self) -> Vec<String> {
        vec![
            "-h".into(),
            "127.0.0.1".into(),
            "-p".into(),
            self.port.to_string(),
        ]
    }

    /// A raw TCP connection to the broker.
    pub fn raw(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        stream
    }
}

impl Drop for TestBroker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `mosquitto_pub` against `broker`, waited for; panics unless it succeeds.
pub fn publish(broker: &TestBroker, args: &[&str]) {
    let out = run_tool("mosquitto_pub", broker, args);
    assert!(
        out.status.success(),
        "mosquitto_pub {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `mosquitto_pub -l` against `broker` with `input` on stdin; panics unless it succeeds.
pub fn publish_lines(broker: &TestBroker, args: &[&str], input: &[u8]) {
    let mut child = Command::new("mosquitto_pub")
        .args(broker.addr())
        .arg("-l")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    wait(&mut child, Duration::from_secs(20));
    assert!(
        child.wait().expect("wait").success(),
        "mosquitto_pub -l failed"
    );
}

/// Runs `tool` (mosquitto_pub/mosquitto_sub) against `broker` and returns its output.
pub fn run_tool(tool: &str, broker: &TestBroker, args: &[&str]) -> std::process::Output {
    let mut child = Command::new(tool)
        .args(broker.addr())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait(&mut child, Duration::from_secs(10));
    child.wait_with_output().expect("output")
}

fn wait(child: &mut Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A `mosquitto_sub -d` process; its debug lines tell when the subscription is in place and
/// which flags each PUBLISH carried.
pub struct Sub {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Sub {
    /// Starts `mosquitto_sub -d ARGS` and waits for its SUBACK.
    pub fn start(broker: &TestBroker, args: &[&str]) -> Sub {
        // stdbuf: mosquitto_sub's stdout is block-buffered on a pipe.
        let mut child = Command::new("stdbuf")
            .args(["-oL", "mosquitto_sub"])
            .args(broker.addr())
            .arg("-d")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mosquitto_sub");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut sub = Sub {
            child,
            lines,
            seen: Vec::new(),
        };
        sub.wait_for("Subscribed (mid");
        sub
    }

    /// Reads lines until one contains `text`; panics after 5 s.
    pub fn wait_for(&mut self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
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

    /// Waits for the process to exit and returns (debug PUBLISH lines, message lines).
    pub fn finish(mut self) -> (Vec<String>, Vec<String>) {
        wait(&mut self.child, Duration::from_secs(10));
        // The child has exited: read to the end of its output, not just what has arrived.
        self.seen.extend(self.lines.iter());
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = e.read_to_string(&mut stderr);
        }
        let (debug, messages): (Vec<String>, Vec<String>) = std::mem::take(&mut self.seen)
            .into_iter()
            .partition(|l| l.starts_with("Client ") || l.starts_with("Subscribed ("));
        let publishes = debug
            .into_iter()
            .filter(|l| l.contains("received PUBLISH"))
            .collect();
        (publishes, messages)
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True when paho-mqtt can be imported; otherwise says why the test is skipped.
pub fn have_paho() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import paho.mqtt"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    // CI installs paho-mqtt: there a missing module is a failure, not a skip.
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
pub fn paho(broker: &TestBroker, script: &str) {
    let prelude = include_str!("paho_prelude.py");
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(format!("{prelude}\n{script}"))
        .env("PORT", broker.port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    wait(&mut child, Duration::from_secs(20));
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("OK"),
        "paho script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `bytes` on a raw connection, ignoring a reset (the broker may already have closed).
pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
}

/// Reads until the broker closes the connection (or 5 s pass); returns what it sent.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

/// A 3.1.1 CONNECT with `client_id`, clean session and a 60 s keepalive.
pub fn connect_v311(client_id: &str) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60];
    body.extend((client_id.len() as u16).to_be_bytes());
    body.extend(client_id.as_bytes());
    frame(0x10, &body)
}

/// An MQTT 5 CONNECT with `client_id`, clean start, no properties.
pub fn connect_v5(client_id: &str) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 60, 0];
    body.extend((client_id.len() as u16).to_be_bytes());
    body.extend(client_id.as_bytes());
    frame(0x10, &body)
}

/// A packet with fixed-header byte `first` and `body`.
pub fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend(body);
    out
}

impl Sub {
    /// Kills the process, so the broker sees the connection drop without DISCONNECT.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A hand-driven MQTT client over the crate's codec, for what real clients never do.
pub struct Raw {
    pub stream: TcpStream,
    buf: bytes::BytesMut,
    version: mqtk::codec::Version,
}

impl Raw {
    /// Connects with `connect` and returns the client with the CONNACK.
    pub fn connect(
        broker: &TestBroker,
        connect: mqtk::codec::Connect,
    ) -> (Raw, mqtk::codec::ConnAck) {
        let mut raw = Raw::open(broker.port, connect);
        match raw.recv() {
            Some(mqtk::codec::Packet::ConnAck(ack)) => (raw, ack),
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    /// Connects to any broker on `port` and sends `connect`, without waiting for the answer.
    pub fn open(port: u16, connect: mqtk::codec::Connect) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut raw = Raw {
            stream,
            buf: bytes::BytesMut::new(),
            version: connect.version,
        };
        raw.send(mqtk::codec::Packet::Connect(Box::new(connect)));
        raw
    }

    /// An MQTT 5 CONNECT for `client_id` with clean start and no will.
    pub fn v5(client_id: &str) -> mqtk::codec::Connect {
        mqtk::codec::Connect {
            version: mqtk::codec::Version::V5,
            client_id: client_id.into(),
            clean_start: true,
            keep_alive: 60,
            username: None,
            password: None,
            will: None,
            properties: Default::default(),
        }
    }

    /// Writes `packet`.
    pub fn send(&mut self, packet: mqtk::codec::Packet) {
        let mut out = bytes::BytesMut::new();
        mqtk::codec::encode(&packet, self.version, &mut out).expect("encode");
        send(&mut self.stream, &out);
    }

    /// The next packet, `None` when the broker closed the connection or 5 s passed.
    pub fn recv(&mut self) -> Option<mqtk::codec::Packet> {
        self.recv_within(Duration::from_secs(5))
    }

    /// The next packet within `limit`.
    pub fn recv_within(&mut self, limit: Duration) -> Option<mqtk::codec::Packet> {
        self.stream.set_read_timeout(Some(limit)).expect("timeout");
        loop {
            let packet = mqtk::codec::decode(&mut self.buf, Some(self.version), usize::MAX)
                .expect("broker sent a valid packet");
            if packet.is_some() {
                return packet;
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Subscribes to `filter` at `qos` and waits for the SUBACK.
    pub fn subscribe(&mut self, filter: &str, qos: mqtk::codec::QoS) {
        let subscribe = mqtk::codec::Subscribe {
            pkid: 1,
            filters: vec![mqtk::codec::Subscription {
                filter: filter.into(),
                qos,
                ..Default::default()
            }],
            properties: Default::default(),
        };
        self.send(mqtk::codec::Packet::Subscribe(subscribe));
        assert!(matches!(self.recv(), Some(mqtk::codec::Packet::SubAck(_))));
    }
}
