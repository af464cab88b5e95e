//! `mqtk serve` authentication and authorization against real mosquitto clients: password
//! files written by mosquitto_passwd, ACL files, SIGHUP reloads, and `mqtk passwd` files read
//! by mosquitto itself.

mod common;

use common::{publish, run_tool, Raw, Sub, TestBroker};
use mqtk::broker::Security;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A password file with `alice:pw` and `bob:pw`, written by mosquitto_passwd.
fn mosquitto_passwords(dir: &Path) -> PathBuf {
    let file = dir.join("passwords");
    for (i, user) in ["alice", "bob"].into_iter().enumerate() {
        let mut cmd = Command::new("mosquitto_passwd");
        cmd.arg("-b");
        if i == 0 {
            cmd.arg("-c");
        }
        let status = cmd
            .arg(&file)
            .args([user, "pw"])
            .status()
            .expect("mosquitto_passwd");
        assert!(status.success());
    }
    file
}

fn secured(passwords: &Path, acl: Option<&Path>) -> TestBroker {
    let security = Security::load(Some(passwords.into()), acl.map(Into::into)).expect("load");
    TestBroker::with(|c| {
        c.allow_anonymous = false;
        c.security = Arc::new(security);
    })
}

fn exit_code(broker: &TestBroker, args: &[&str]) -> Option<i32> {
    run_tool("mosquitto_pub", broker, args).status.code()
}

#[test]
fn password_file_from_mosquitto_passwd_is_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let broker = secured(&mosquitto_passwords(dir.path()), None);
    publish(&broker, &["-t", "t", "-m", "x", "-u", "alice", "-P", "pw"]);
    publish(
        &broker,
        &["-V", "5", "-t", "t", "-m", "x", "-u", "bob", "-P", "pw"],
    );
    // mosquitto 2.0 answers "not authorized" for every refusal: 5 in 3.1.1, 0x87 in v5.
    let bad = ["-t", "t", "-m", "x", "-u", "alice", "-P", "wrong"];
    assert_eq!(exit_code(&broker, &bad), Some(5));
    let bad_v5 = [
        "-V", "5", "-t", "t", "-m", "x", "-u", "alice", "-P", "wrong",
    ];
    assert_eq!(exit_code(&broker, &bad_v5), Some(0x87));
    let unknown = ["-t", "t", "-m", "x", "-u", "carol", "-P", "pw"];
    assert_eq!(exit_code(&broker, &unknown), Some(5));
    assert_eq!(exit_code(&broker, &["-t", "t", "-m", "x"]), Some(5));
    assert_eq!(
        exit_code(&broker, &["-V", "5", "-t", "t", "-m", "x"]),
        Some(0x87)
    );
}

/// As in mosquitto 2.0, a username is no credential when nothing can check it: without a
/// password file it gets in only where anonymous clients do.
#[test]
fn a_username_without_a_password_file_is_no_credential() {
    let closed = TestBroker::with(|c| c.allow_anonymous = false);
    let carol = ["-t", "t", "-m", "x", "-u", "carol", "-P", "any"];
    assert_eq!(exit_code(&closed, &carol), Some(5));
    let open = TestBroker::start();
    publish(&open, &carol);
}

const ACL: &str = "\
user alice
topic readwrite room/#
topic read news/#
topic deny news/secret

user bob
topic readwrite news/#
";

#[test]
fn acl_denies_publish_subscribe_and_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let acl = dir.path().join("acl");
    std::fs::write(&acl, ACL).unwrap();
    let broker = secured(&mosquitto_passwords(dir.path()), Some(&acl));
    let alice = ["-u", "alice", "-P", "pw"];
    let bob = ["-u", "bob", "-P", "pw"];
    for version in ["311", "5"] {
        // Subscribing beyond the read rules is refused (SUBACK 0x80 / 0x87).
        let args = [
            &alice[..],
            &["-V", version, "-t", "#", "-C", "1", "-W", "2"],
        ]
        .concat();
        let out = run_tool("mosquitto_sub", &broker, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("All subscription requests were denied"),
            "{stderr}"
        );
        let sub_args = [&alice[..], &["-V", version, "-t", "news/#", "-C", "1"]].concat();
        let sub = Sub::start(&broker, &sub_args);
        // Alice may not write news/: in 3.1.1 the publish is dropped silently, in v5 the
        // PUBACK says 0x87. Bob's denied news/secret is not delivered to her either.
        let denied = [
            &alice[..],
            &["-V", version, "-q", "1", "-t", "news/a", "-m", "no"],
        ];
        let out = run_tool("mosquitto_pub", &broker, &denied.concat());
        if version == "5" {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("Not authorized"), "{stderr}");
        }
        publish(
            &broker,
            &[&bob[..], &["-t", "news/secret", "-m", "hidden"]].concat(),
        );
        publish(
            &broker,
            &[&bob[..], &["-t", "news/b", "-m", "yes"]].concat(),
        );
        let (_, messages) = sub.finish();
        assert_eq!(messages, ["yes"]);
    }
}

/// Like mosquitto 2.0, a client whose will it may not publish still connects, but the will
/// is dropped.
#[test]
fn a_denied_will_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let acl = dir.path().join("acl");
    std::fs::write(&acl, ACL).unwrap();
    let broker = secured(&mosquitto_passwords(dir.path()), Some(&acl));
    // Alice reads both trees but may write only room/: wait 2 s for anything to arrive.
    let args = [
        "-u", "alice", "-P", "pw", "-t", "news/#", "-t", "room/#", "-W", "2",
    ];
    let sub = Sub::start(&broker, &args);
    let will = |topic: &str, payload: &str| {
        let mut raw = broker.raw();
        common::send(&mut raw, &will_connect("alice", "pw", topic, payload));
        let mut connack = [0; 4];
        std::io::Read::read_exact(&mut raw, &mut connack).unwrap();
        assert_eq!(connack, [0x20, 2, 0, 0]);
        // Dropping the socket without DISCONNECT publishes the will.
    };
    will("news/a", "denied");
    will("room/a", "allowed");
    let (_, messages) = sub.finish();
    assert_eq!(messages, ["allowed"]);
}

/// A 3.1.1 CONNECT with user name, password and a QoS 0 will.
fn will_connect(user: &str, password: &str, topic: &str, payload: &str) -> Vec<u8> {
    let mut body = b"\x00\x04MQTT\x04\xC6\x00\x3c".to_vec();
    // The payload doubles as the client id.
    for field in [payload, topic, payload, user, password] {
        body.extend((field.len() as u16).to_be_bytes());
        body.extend(field.as_bytes());
    }
    common::frame(0x10, &body)
}

/// `mqtk serve` (or mosquitto) as a process, for signals.
struct ServeProcess {
    child: Child,
    port: u16,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl ServeProcess {
    /// mosquitto with configuration file `conf`, listening on `port`.
    fn mosquitto(conf: &Path, port: u16) -> ServeProcess {
        let mut child = Command::new("mosquitto")
            .arg("-c")
            .arg(conf)
            .stderr(Stdio::piped())
            .spawn()
            .expect("mosquitto");
        let stderr = watch(&mut child);
        wait_listening(port);
        ServeProcess {
            child,
            port,
            stderr,
        }
    }

    fn start(args: &[&str]) -> ServeProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mqtk"))
            .args(["serve", "--port", "0", "-v"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn mqtk serve");
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        stdout.read_line(&mut first).expect("read");
        let port = first.trim().rsplit(':').next().and_then(|p| p.parse().ok());
        let port = port.unwrap_or_else(|| panic!("no address in {first:?}"));
        let stderr = watch(&mut child);
        ServeProcess {
            child,
            port,
            stderr,
        }
    }

    fn wait_for_log(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Ok(line) = self
            .stderr
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            if line.contains(text) {
                return;
            }
        }
        panic!("mqtk serve never logged {text:?}");
    }

    fn hangup(&self) {
        let status = Command::new("kill")
            .args(["-HUP", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Stops the process with SIGTERM, as an operator would (mqtk serve saves its state).
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(status.expect("kill").success());
        assert!(self.child.wait().expect("wait").success());
    }

    fn pub_status(&self, args: &[&str]) -> std::process::ExitStatus {
        Command::new("mosquitto_pub")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .stderr(Stdio::null())
            .status()
            .expect("mosquitto_pub")
    }
}

/// The lines `child` writes to its piped stderr.
fn watch(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let (tx, lines) = std::sync::mpsc::channel();
    let pipe = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mqtk_passwd(args: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_mqtk"))
        .arg("passwd")
        .args(args)
        .status()
        .expect("mqtk passwd");
    assert!(status.success(), "mqtk passwd {args:?}");
}

#[test]
fn sighup_reloads_users_and_keeps_connections() {
    let dir = tempfile::tempdir().unwrap();
    let passwords = dir.path().join("passwords");
    let file = passwords.to_str().unwrap();
    mqtk_passwd(&["-c", "-b", file, "alice", "pw"]);
    let serve = ServeProcess::start(&["--password-file", file]);
    let port = serve.port.to_string();
    let mut sub = Command::new("stdbuf")
        .args(["-oL", "mosquitto_sub", "-p", &port, "-t", "t", "-C", "1"])
        .args(["-u", "alice", "-P", "pw"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("mosquitto_sub");
    serve.wait_for_log("Sending SUBACK");
    let carol = ["-t", "t", "-m", "from carol", "-u", "carol", "-P", "pw2"];
    assert_eq!(serve.pub_status(&carol).code(), Some(5));
    mqtk_passwd(&["-b", file, "carol", "pw2"]);
    serve.hangup();
    serve.wait_for_log("reloaded password and ACL files");
    assert!(serve.pub_status(&carol).success());
    // Alice's connection survived the reload and got carol's message.
    let out = wait_output(&mut sub);
    assert_eq!(out.trim(), "from carol");
}

fn wait_output(child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().expect("try_wait").is_none() {
        assert!(Instant::now() < deadline, "subscriber did not finish");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut out = String::new();
    let stdout = child.stdout.take().expect("stdout");
    std::io::Read::read_to_string(&mut BufReader::new(stdout), &mut out).expect("read");
    out
}

/// mosquitto itself accepts the password file `mqtk passwd` writes.
#[test]
fn mosquitto_reads_mqtk_passwd_files() {
    if Command::new("mosquitto").arg("-h").output().is_err() {
        eprintln!("mosquitto not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // mosquitto started as root drops to user mosquitto, who must read both files.
    set_mode(dir.path(), 0o755);
    let passwords = dir.path().join("passwords");
    mqtk_passwd(&["-c", "-b", passwords.to_str().unwrap(), "alice", "s3cret"]);
    set_mode(&passwords, 0o644);
    let port = free_port();
    let conf = dir.path().join("mosquitto.conf");
    let text = format!(
        "listener {port} 127.0.0.1\npassword_file {}\n",
        passwords.display()
    );
    std::fs::write(&conf, text).unwrap();
    set_mode(&conf, 0o644);
    let mut mosquitto = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto");
    wait_listening(port);
    let status = |password: &str| {
        Command::new("mosquitto_pub")
            .args(["-p", &port.to_string(), "-t", "t", "-m", "x"])
            .args(["-u", "alice", "-P", password])
            .stderr(Stdio::null())
            .status()
            .expect("mosquitto_pub")
    };
    let good = status("s3cret");
    let bad = status("wrong");
    let _ = mosquitto.kill();
    let _ = mosquitto.wait();
    assert!(good.success());
    assert_eq!(bad.code(), Some(5));
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "mosquitto did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Alice may publish to room/ and bob reads it; `end` is bob's, for a marker.
const ACL_ALICE_WRITES: &str =
    "user alice\ntopic readwrite room/#\nuser bob\ntopic read room/#\ntopic readwrite end\n";
/// The same, but alice may no longer publish to room/.
const ACL_ALICE_READS: &str =
    "user alice\ntopic read room/#\nuser bob\ntopic read room/#\ntopic readwrite end\n";

/// Alice sets a retained message, then a new subscriber (bob) asks for room/# three times:
/// with alice's write access, after a reload that removed it, after one that gave it back.
fn retain_source_steps(broker: &ServeProcess, acl: &Path, reloaded: &str) -> Vec<Vec<String>> {
    let alice = ["-u", "alice", "-P", "pw", "-r", "-q", "1"];
    let set = |user: &[&str], topic: &str| {
        let args = [user, &["-t", topic, "-m", topic]].concat();
        assert!(broker.pub_status(&args).success(), "{args:?}");
    };
    set(&alice, "room/a");
    set(&["-u", "bob", "-P", "pw", "-r"], "end");
    let mut steps = vec![retained_for_bob(broker.port)];
    for rules in [ACL_ALICE_READS, ACL_ALICE_WRITES] {
        std::fs::write(acl, rules).unwrap();
        broker.hangup();
        broker.wait_for_log(reloaded);
        steps.push(retained_for_bob(broker.port));
    }
    steps
}

/// The retained payloads of room/# a new connection of bob's gets, up to bob's retained `end`
/// marker, which comes after them (same SUBSCRIBE, later filter).
fn retained_for_bob(port: u16) -> Vec<String> {
    use mqtk::codec::{Packet, QoS, Subscribe, Subscription};
    let mut connect = Raw::v5("bob-probe");
    connect.username = Some("bob".into());
    connect.password = Some("pw".into());
    let mut raw = Raw::open(port, connect);
    assert!(matches!(raw.recv(), Some(Packet::ConnAck(ack)) if ack.code == 0));
    let filter = |f: &str| Subscription {
        filter: f.into(),
        qos: QoS::AtMostOnce,
        ..Default::default()
    };
    raw.send(Packet::Subscribe(Subscribe {
        pkid: 1,
        filters: vec![filter("room/#"), filter("end")],
        properties: Default::default(),
    }));
    let mut payloads = Vec::new();
    loop {
        match raw.recv() {
            Some(Packet::Publish(p)) if p.topic == "end" => return payloads,
            Some(Packet::Publish(p)) => payloads.push(String::from_utf8_lossy(&p.payload).into()),
            Some(Packet::SubAck(ack)) => assert_eq!(ack.codes, [0, 0]),
            other => panic!("expected retained messages, got {other:?}"),
        }
    }
}

/// `check_retain_source true` holds back a retained message while its publisher may no longer
/// publish it, and keeps it for when the access comes back; without the key (or `false`) it is
/// delivered. mosquitto 2.0.11, run through the same steps where installed, agrees.
#[test]
fn check_retain_source_holds_back_what_the_publisher_may_no_longer_write() {
    let dir = tempfile::tempdir().unwrap();
    // mosquitto started as root drops to user mosquitto, who must read the files.
    set_mode(dir.path(), 0o755);
    let passwords = mosquitto_passwords(dir.path());
    set_mode(&passwords, 0o644);
    let acl = dir.path().join("acl");
    let held = vec![vec!["room/a".to_string()], vec![], vec!["room/a".into()]];
    let delivered = vec![vec!["room/a".to_string()]; 3];
    let have_mosquitto = Command::new("mosquitto").arg("-h").output().is_ok();
    for (key, expected) in [("true", &held), ("false", &delivered), ("", &delivered)] {
        let mut conf = format!(
            "password_file {}\nacl_file {}\n",
            passwords.display(),
            acl.display()
        );
        if !key.is_empty() {
            conf += &format!("check_retain_source {key}\n");
        }
        let file = dir.path().join("mqtk.conf");
        std::fs::write(&file, &conf).unwrap();
        std::fs::write(&acl, ACL_ALICE_WRITES).unwrap();
        let serve = ServeProcess::start(&["-c", file.to_str().unwrap()]);
        let steps = retain_source_steps(&serve, &acl, "reloaded password and ACL files");
        assert_eq!(&steps, expected, "mqtk, check_retain_source {key:?}");
        drop(serve);
        if !have_mosquitto {
            eprintln!("mosquitto not installed: compared with mqtk only");
            continue;
        }
        let port = free_port();
        let file = dir.path().join("mosquitto.conf");
        std::fs::write(&file, format!("listener {port} 127.0.0.1\n{conf}")).unwrap();
        set_mode(&file, 0o644);
        std::fs::write(&acl, ACL_ALICE_WRITES).unwrap();
        set_mode(&acl, 0o644);
        let mosquitto = ServeProcess::mosquitto(&file, port);
        let steps = retain_source_steps(&mosquitto, &acl, "Reloading config");
        assert_eq!(&steps, expected, "mosquitto, check_retain_source {key:?}");
    }
}

/// The publisher of a retained message is saved with it, so the check still applies after a
/// restart (as in mosquitto, whose database keeps it too).
#[test]
fn check_retain_source_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let passwords = mosquitto_passwords(dir.path());
    let acl = dir.path().join("acl");
    std::fs::write(&acl, ACL_ALICE_WRITES).unwrap();
    let conf = dir.path().join("mqtk.conf");
    let text = format!(
        "password_file {}\nacl_file {}\ncheck_retain_source true\n",
        passwords.display(),
        acl.display()
    );
    std::fs::write(&conf, text).unwrap();
    let db = dir.path().join("state.db");
    let args = [
        "-c",
        conf.to_str().unwrap(),
        "--persist",
        db.to_str().unwrap(),
    ];
    let serve = ServeProcess::start(&args);
    for (user, topic) in [("alice", "room/a"), ("bob", "end")] {
        let set = ["-u", user, "-P", "pw", "-r", "-t", topic, "-m", topic];
        assert!(serve.pub_status(&set).success());
    }
    serve.terminate();
    std::fs::write(&acl, ACL_ALICE_READS).unwrap();
    let serve = ServeProcess::start(&args);
    assert_eq!(retained_for_bob(serve.port), Vec::<String>::new());
    std::fs::write(&acl, ACL_ALICE_WRITES).unwrap();
    serve.hangup();
    serve.wait_for_log("reloaded password and ACL files");
    assert_eq!(retained_for_bob(serve.port), ["room/a"]);
}

/// The configuration of README's per-listener example, on three ports: anonymous clients
/// welcome on the first (but no empty client ids); password users, with an ACL, on the
/// second; nothing of its own on the third (mosquitto's defaults: nobody gets in).
fn per_listener_conf(dir: &Path, [open, secured, bare]: [u16; 3]) -> PathBuf {
    // mosquitto started as root drops to user mosquitto, who must read the files.
    set_mode(dir, 0o755);
    let passwords = mosquitto_passwords(dir);
    let acl = dir.join("acl");
    std::fs::write(&acl, "user alice\ntopic readwrite room/#\n").unwrap();
    let conf = dir.join("mosquitto.conf");
    let text = format!(
        "per_listener_settings true\n\
         listener {open} 127.0.0.1\nallow_anonymous true\nallow_zero_length_clientid false\n\
         listener {secured} 127.0.0.1\npassword_file {}\nacl_file {}\nallow_anonymous false\n\
         listener {bare} 127.0.0.1\n",
        passwords.display(),
        acl.display()
    );
    std::fs::write(&conf, text).unwrap();
    for file in [&passwords, &acl, &conf] {
        set_mode(file, 0o644);
    }
    conf
}

/// Which listener (index), with which mosquitto_pub arguments, and what should happen.
const PER_LISTENER_PROBES: &[(usize, &[&str], &str)] = &[
    (0, &[], "ok"),
    (0, &["-u", "carol", "-P", "any"], "ok"),
    (
        0,
        &["-V", "5", "-u", "alice", "-P", "pw", "-t", "news/a"],
        "ok",
    ),
    (1, &[], "refused 5"),
    (1, &["-u", "alice", "-P", "wrong"], "refused 5"),
    (1, &["-u", "alice", "-P", "pw"], "ok"),
    (
        1,
        &["-V", "5", "-u", "alice", "-P", "pw", "-t", "news/a"],
        "denied",
    ),
    (2, &[], "refused 5"),
    (2, &["-u", "alice", "-P", "pw"], "refused 5"),
];

/// Runs every probe against the listeners on `ports`; one line per probe, its expected
/// outcome replaced by the real one.
fn probe_listeners(ports: [u16; 3]) -> Vec<String> {
    let probe = |&(listener, args, _): &(usize, &[&str], &str)| {
        let outcome = pub_outcome(ports[listener], args);
        format!("listener {listener} {args:?}: {outcome}")
    };
    let mut outcomes: Vec<String> = PER_LISTENER_PROBES.iter().map(probe).collect();
    for (listener, user) in [(0, ""), (1, "alice")] {
        let code = empty_id_connack(ports[listener], user);
        outcomes.push(format!(
            "listener {listener} empty client id: CONNACK {code}"
        ));
    }
    outcomes
}

/// What mosquitto_pub (QoS 1, topic room/a unless `args` say otherwise) gets from `port`:
/// "ok", "denied" (an MQTT 5 PUBACK 0x87) or "refused CODE".
fn pub_outcome(port: u16, args: &[&str]) -> String {
    let port = port.to_string();
    let mut cmd = Command::new("mosquitto_pub");
    cmd.args([
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-i",
        "probe",
        "-q",
        "1",
        "-m",
        "x",
    ]);
    if !args.contains(&"-t") {
        cmd.args(["-t", "room/a"]);
    }
    let out = cmd.args(args).output().expect("mosquitto_pub");
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) if stderr.contains("Not authorized") => "denied".to_string(),
        Some(0) => "ok".to_string(),
        code => format!("refused {}", code.unwrap_or(-1)),
    }
}

/// The CONNACK code for a 3.1.1 CONNECT with an empty client id, as `user` (password "pw")
/// or anonymous; mosquitto_pub cannot send an empty id.
fn empty_id_connack(port: u16, user: &str) -> u8 {
    let mut body = b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x00".to_vec();
    if !user.is_empty() {
        body[7] |= 0xC0;
        for field in [user, "pw"] {
            body.extend((field.len() as u16).to_be_bytes());
            body.extend(field.as_bytes());
        }
    }
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    common::send(&mut stream, &common::frame(0x10, &body));
    let mut connack = [0; 4];
    std::io::Read::read_exact(&mut stream, &mut connack).expect("CONNACK");
    connack[3]
}

/// `per_listener_settings true`: each listener enforces its own anonymous access, password
/// file and ACL, and a listener without settings refuses everyone; mosquitto 2.0 given the
/// same file does the same.
#[test]
fn per_listener_settings_like_mosquitto() {
    let mut expected: Vec<String> = PER_LISTENER_PROBES
        .iter()
        .map(|(listener, args, outcome)| format!("listener {listener} {args:?}: {outcome}"))
        .collect();
    expected.push("listener 0 empty client id: CONNACK 2".into());
    expected.push("listener 1 empty client id: CONNACK 0".into());
    let dir = tempfile::tempdir().unwrap();
    // Bound together, so the three are distinct.
    let held: [_; 3] = std::array::from_fn(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap());
    let ports = held.each_ref().map(|l| l.local_addr().unwrap().port());
    drop(held);
    let conf = per_listener_conf(dir.path(), ports);
    let conf = conf.to_str().unwrap();
    let serve = ServeProcess::start(&["-c", conf]);
    assert_eq!(probe_listeners(ports), expected, "mqtk serve");
    // SIGHUP reloads the listeners' own files too.
    let carol = ["-u", "carol", "-P", "pw"];
    assert_eq!(pub_outcome(ports[1], &carol), "refused 5");
    let passwords = dir.path().join("passwords");
    let added = Command::new("mosquitto_passwd")
        .arg("-b")
        .arg(&passwords)
        .args(["carol", "pw"])
        .status();
    assert!(added.expect("mosquitto_passwd").success());
    set_mode(&passwords, 0o644);
    serve.hangup();
    serve.wait_for_log("reloaded password and ACL files");
    assert_eq!(pub_outcome(ports[1], &carol), "ok");
    drop(serve);
    if Command::new("mosquitto").arg("-h").output().is_err() {
        eprintln!("mosquitto not installed: comparison skipped");
        return;
    }
    let mut mosquitto = Command::new("mosquitto")
        .args(["-c", conf])
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto");
    ports.iter().for_each(|&port| wait_listening(port));
    let outcomes = probe_listeners(ports);
    let _ = mosquitto.kill();
    let _ = mosquitto.wait();
    assert_eq!(outcomes, expected, "mosquitto");
}
