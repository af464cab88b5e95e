//! `mqtk serve` TLS, WebSocket and secure WebSocket listeners, reached by mosquitto's clients,
//! our own and paho-mqtt, with certificates made by rcgen in a temporary directory.

mod common;

use common::{finish, mqtk, program, spawn};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(10);

/// A CA, a server certificate for 127.0.0.1 and a client certificate with CN `sensor-7`.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut params = CertificateParams::new(Vec::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("key");
        let ca = CertifiedIssuer::self_signed(params, key).expect("CA");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write");
        let server = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]);
        leaf(dir.path(), "server", server.expect("params"), &ca);
        let mut client = CertificateParams::new(Vec::new()).expect("params");
        client
            .distinguished_name
            .push(DnType::CommonName, "sensor-7");
        leaf(dir.path(), "client", client, &ca);
        Pki { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `--cert server.pem --key server-key.pem`, for `mqtk serve`.
    fn server_args(&self) -> Vec<String> {
        let (cert, key) = (self.path("server.pem"), self.path("server-key.pem"));
        vec!["--cert".into(), cert, "--key".into(), key]
    }
}

fn leaf(dir: &Path, name: &str, params: CertificateParams, ca: &CertifiedIssuer<'_, KeyPair>) {
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("sign");
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).expect("write");
    std::fs::write(dir.join(format!("{name}-key.pem")), key.serialize_pem()).expect("write");
}

/// `mqtk serve -v` with its listeners as printed on stdout and its log, killed on drop.
struct Served {
    child: Child,
    /// `(address, suffix)` per stdout line, e.g. `("127.0.0.1:4711", " (mqtts)")`.
    lines: Vec<(String, String)>,
    log: Arc<Mutex<String>>,
}

impl Served {
    /// Starts `mqtk serve -v ARGS` and reads the `expected` readiness lines.
    fn start(args: &[String], expected: usize) -> Served {
        let mut child = mqtk(&["serve", "-v"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mqtk serve");
        let log = Arc::new(Mutex::new(String::new()));
        let keep = log.clone();
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if let Ok(mut log) = keep.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut lines = Vec::new();
        for _ in 0..expected {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("readiness line");
            let rest = line.trim().strip_prefix("mqtk serve listening on ");
            let rest = rest.unwrap_or_else(|| panic!("unexpected line {line:?}: {log:?}"));
            let (addr, suffix) = rest.split_at(rest.find(' ').unwrap_or(rest.len()));
            lines.push((addr.to_owned(), suffix.to_owned()));
        }
        Served { child, lines, log }
    }

    /// The port of the listener printed with `suffix` ("" for plain MQTT).
    fn port(&self, suffix: &str) -> String {
        let (addr, _) = self
            .lines
            .iter()
            .find(|(_, s)| s == suffix)
            .expect("listener");
        addr.rsplit(':').next().expect("port").to_owned()
    }

    /// Waits until the log holds `text` `count` times.
    fn wait_log(&self, text: &str, count: usize) {
        let deadline = Instant::now() + LIMIT;
        while self.log().matches(text).count() < count {
            assert!(Instant::now() < deadline, "no {text:?} in:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Starts the subscriber `cmd` and returns once the broker has acknowledged it.
    fn subscribed(&self, cmd: Command) -> Child {
        let before = self.log().matches("Sending SUBACK").count();
        let child = spawn(cmd);
        self.wait_log("Sending SUBACK", before + 1);
        child
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn succeeds(cmd: Command) -> String {
    let out = finish(spawn(cmd), LIMIT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the subscriber `sub` (which exits after one message), publishes with `publish`, and
/// returns what the subscriber printed.
fn exchange(served: &Served, sub: Command, publish: Command) -> String {
    let sub = served.subscribed(sub);
    succeeds(publish);
    let out = finish(sub, LIMIT);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn tls_listener_serves_mosquitto_sub_and_mqtk_pub() {
    let pki = Pki::new();
    let mut args = strings(&["--port", "0", "--tls-port", "0"]);
    args.extend(pki.server_args());
    let served = Served::start(&args, 2);
    assert_eq!(served.lines[0].1, "", "plain MQTT comes first");
    assert_eq!(served.lines[1].1, " (mqtts)");
    let port = served.port(" (mqtts)");
    // A peer that never starts its handshake must not hold up the others.
    let _idle = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    let ca = pki.path("ca.pem");
    let tls = ["-h", "127.0.0.1", "-p", &port, "--cafile", &ca, "-t", "t"];
    let sub = program("mosquitto_sub", &[&tls[..], &["-C", "1"]].concat());
    let publish = mqtk(&[&["pub"], &tls[..], &["-m", "over tls"]].concat());
    assert_eq!(exchange(&served, sub, publish), "over tls\n");
}

#[test]
fn required_client_certificate_and_its_cn_as_username() {
    let pki = Pki::new();
    let mut args = strings(&["--tls-port", "0", "--use-identity-as-username"]);
    args.extend(pki.server_args());
    args.extend(["--cafile".into(), pki.path("ca.pem")]);
    // As in mosquitto, the certificate is the credential: a password file (here without
    // users) does not apply to it.
    std::fs::write(pki.path("passwords"), "").expect("write");
    args.extend(["--password-file".into(), pki.path("passwords")]);
    let served = Served::start(&args, 1);
    let port = served.port(" (mqtts)");
    let ca = pki.path("ca.pem");
    let tls = [
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "--cafile",
        &ca,
        "-t",
        "t",
        "-m",
        "x",
    ];
    let out = finish(spawn(mqtk(&[&["pub"], &tls[..]].concat())), LIMIT);
    assert!(!out.status.success(), "a client without certificate got in");
    let (cert, key) = (pki.path("client.pem"), pki.path("client-key.pem"));
    let with_cert = ["--cert", &cert, "--key", &key, "-u", "ignored"];
    succeeds(program("mosquitto_pub", &[&tls[..], &with_cert].concat()));
    succeeds(mqtk(&[&["pub"], &tls[..], &with_cert].concat()));
    served.wait_log("u'sensor-7'", 2);
    assert!(!served.log().contains("u'ignored'"));
}

#[test]
fn websocket_listener_from_a_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("mosquitto.conf");
    let text = "listener 0 127.0.0.1\nprotocol websockets\nlistener 0 127.0.0.1\n\
                allow_anonymous true\n";
    std::fs::write(&conf, text).expect("write");
    let served = Served::start(&strings(&["-c", &conf.display().to_string()]), 2);
    assert_eq!(served.lines[0].1, "", "plain MQTT comes first");
    let (tcp, ws) = (served.port(""), served.port(" (ws)"));
    let sub_args = ["-h", "127.0.0.1", "-p", &tcp, "-t", "t", "-C", "1"];
    for path in ["/mqtt", "/"] {
        let url = format!("ws://127.0.0.1:{ws}{path}");
        let publish = mqtk(&["pub", "-L", &url, "-t", "t", "-m", path]);
        let sub = program("mosquitto_sub", &sub_args);
        assert_eq!(exchange(&served, sub, publish), format!("{path}\n"));
    }
    let url = format!("ws://127.0.0.1:{ws}/elsewhere");
    let out = finish(
        spawn(mqtk(&["pub", "-L", &url, "-t", "t", "-m", "x"])),
        LIMIT,
    );
    assert!(!out.status.success(), "only /mqtt and / are served");
}

#[test]
fn secure_websocket_listener() {
    let pki = Pki::new();
    let mut args = strings(&["--port", "0", "--wss-port", "0"]);
    args.extend(pki.server_args());
    let served = Served::start(&args, 2);
    let (tcp, wss) = (served.port(""), served.port(" (wss)"));
    let url = format!("wss://127.0.0.1:{wss}/mqtt");
    let ca = pki.path("ca.pem");
    let publish = mqtk(&["pub", "-L", &url, "--cafile", &ca, "-t", "t", "-m", "wss"]);
    let sub = program("mosquitto_sub", &["-p", &tcp, "-t", "t", "-C", "1"]);
    assert_eq!(exchange(&served, sub, publish), "wss\n");
}

#[test]
fn paho_over_websockets() {
    let paho = program("python3", &["-c", "import paho.mqtt"]).output();
    if !paho.is_ok_and(|out| out.status.success()) {
        // CI installs paho-mqtt: there a missing module is a failure, not a skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "paho-mqtt is missing in CI"
        );
        eprintln!("paho-mqtt is not installed: skipped");
        return;
    }
    let served = Served::start(&strings(&["--port", "0", "--ws-port", "0"]), 2);
    let (tcp, ws) = (served.port(""), served.port(" (ws)"));
    let script = "import sys, paho.mqtt.client as mqtt\n\
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, transport='websockets')\n\
        c.connect('127.0.0.1', int(sys.argv[1]))\n\
        c.loop_start()\n\
        c.publish('t', b'from paho', qos=1).wait_for_publish(5)\n\
        c.disconnect(); c.loop_stop()\n";
    let sub = program("mosquitto_sub", &["-p", &tcp, "-t", "t", "-C", "1"]);
    let publish = program("python3", &["-c", script, &ws]);
    assert_eq!(exchange(&served, sub, publish), "from paho\n");
}
