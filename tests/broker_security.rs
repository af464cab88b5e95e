//! `mqtk serve` authentication and authorization against real mosquitto clients: password
//! files written by mosquitto_passwd, ACL files, SIGHUP reloads, and `mqtk passwd` files read
//! by mosquitto itself.

mod common;

use common::{
    finish, listening, publish, run_tool, text, tool, Broker, Raw, Sub, Target, TestBroker,
};
use mqtk::broker::Security;
use mqtk::codec::Connect;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// A password file with `alice:pw` and `bob:pw`, written by mosquitto_passwd.
fn mosquitto_passwords(dir: &Path) -> PathBuf {
    let file = dir.join("passwords");
    for (i, user) in ["alice", "bob"].into_iter().enumerate() {
        let mut cmd = Command::new(tool("mosquitto_passwd"));
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

/// mosquitto_pub's exit code with `args` against `broker`.
fn exit_code(broker: &impl Target, args: &[&str]) -> Option<i32> {
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
fn acl_denies_publish_and_delivery_but_not_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let acl = dir.path().join("acl");
    std::fs::write(&acl, ACL).unwrap();
    let broker = secured(&mosquitto_passwords(dir.path()), Some(&acl));
    let alice = ["-u", "alice", "-P", "pw"];
    let bob = ["-u", "bob", "-P", "pw"];
    for version in ["311", "5"] {
        // As in mosquitto 2.0, a subscription beyond the read rules is granted; what it
        // matches is checked message by message on delivery.
        let args = [&alice[..], &["-V", version, "-t", "#", "-E", "-d"]].concat();
        let out = run_tool("mosquitto_sub", &broker, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("Subscribed (mid: 1): 0"), "{stdout}");
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
    // Alice reads both trees but may write only room/: wait 5 s for anything to arrive.
    let args = [
        "-u", "alice", "-P", "pw", "-t", "news/#", "-t", "room/#", "-W", "5",
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
    let serve = Broker::mqtk_serve_with(&["--password-file", file], None);
    let sub = ["-t", "t", "-C", "1", "-u", "alice", "-P", "pw"];
    let sub = serve.subscribed(serve.program("mosquitto_sub", &sub));
    let carol = ["-t", "t", "-m", "from carol", "-u", "carol", "-P", "pw2"];
    assert_eq!(exit_code(&serve, &carol), Some(5));
    mqtk_passwd(&["-b", file, "carol", "pw2"]);
    serve.signal("HUP");
    serve.wait_for_log("reloaded password and ACL files");
    assert_eq!(exit_code(&serve, &carol), Some(0));
    // Alice's connection survived the reload and got carol's message.
    let out = finish(sub, Duration::from_secs(10));
    assert_eq!(text(&out.stdout).trim(), "from carol");
}

/// A reload reaches clients already connected: a subscriber's `pattern` rules are expanded
/// again, so it stops (and starts again) getting what the new rules deny (allow).
#[test]
fn a_reload_applies_new_patterns_to_connected_clients() {
    let dir = tempfile::tempdir().unwrap();
    let acl = dir.path().join("acl");
    let rules = |read: &str| {
        let text = format!("pattern read in/%c/marker\npattern read {read}\npattern write in/#\n");
        std::fs::write(&acl, text).unwrap();
    };
    rules("in/%c/#");
    let security = Arc::new(Security::load(None, Some(acl.clone())).expect("load"));
    let broker = TestBroker::with(|c| c.security = security.clone());
    let mut sub = Sub::start(&broker, &["-i", "s1", "-t", "in/s1/#", "-C", "3"]);
    let send = |topic: &str, message: &str| {
        publish(&broker, &["-q", "1", "-t", topic, "-m", message]);
    };
    send("in/s1/x", "one");
    sub.wait_for("one");
    rules("other/%c/#");
    security.reload().expect("reload");
    send("in/s1/x", "two");
    send("in/s1/marker", "marker");
    sub.wait_for("marker");
    rules("in/%c/#");
    security.reload().expect("reload");
    send("in/s1/x", "three");
    let (_, messages) = sub.finish();
    assert_eq!(messages, ["one", "marker", "three"]);
}

/// mosquitto itself accepts the password file `mqtk passwd` writes.
#[test]
fn mosquitto_reads_mqtk_passwd_files() {
    let dir = tempfile::tempdir().unwrap();
    // mosquitto started as root drops to user mosquitto, who must read both files.
    set_mode(dir.path(), 0o755);
    let passwords = dir.path().join("passwords");
    mqtk_passwd(&["-c", "-b", passwords.to_str().unwrap(), "alice", "s3cret"]);
    set_mode(&passwords, 0o644);
    let mosquitto = Broker::mosquitto_with(&format!("password_file {}", passwords.display()));
    let publish = |password: &str| {
        let args = ["-t", "t", "-m", "x", "-u", "alice", "-P", password];
        exit_code(&mosquitto, &args)
    };
    assert_eq!(publish("s3cret"), Some(0));
    assert_eq!(publish("wrong"), Some(5));
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Alice may publish to room/ and bob reads it; `end` is bob's, for a marker.
const ACL_ALICE_WRITES: &str =
    "user alice\ntopic readwrite room/#\nuser bob\ntopic read room/#\ntopic readwrite end\n";
/// The same, but alice may no longer publish to room/.
const ACL_ALICE_READS: &str =
    "user alice\ntopic read room/#\nuser bob\ntopic read room/#\ntopic readwrite end\n";

/// Alice sets a retained message, then a new subscriber (bob) asks for room/# three times:
/// with alice's write access, after a reload that removed it, after one that gave it back.
fn retain_source_steps(broker: &Broker, acl: &Path, reloaded: &str) -> Vec<Vec<String>> {
    let alice = ["-u", "alice", "-P", "pw", "-r", "-q", "1"];
    let set = |user: &[&str], topic: &str| {
        let args = [user, &["-t", topic, "-m", topic]].concat();
        assert_eq!(exit_code(broker, &args), Some(0), "{args:?}");
    };
    set(&alice, "room/a");
    set(&["-u", "bob", "-P", "pw", "-r"], "end");
    let mut steps = vec![retained_for_bob(broker.port)];
    for (reloads, rules) in [ACL_ALICE_READS, ACL_ALICE_WRITES].into_iter().enumerate() {
        std::fs::write(acl, rules).unwrap();
        broker.signal("HUP");
        broker.wait_for_log_count(reloaded, reloads + 1);
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
/// delivered. With `per_listener_settings true` the publisher's listener's own files judge it.
/// mosquitto 2.0.11, run through the same steps, agrees.
#[test]
fn check_retain_source_holds_back_what_the_publisher_may_no_longer_write() {
    let dir = tempfile::tempdir().unwrap();
    // mosquitto started as root drops to user mosquitto, who must read the files.
    set_mode(dir.path(), 0o755);
    let passwords = mosquitto_passwords(dir.path());
    set_mode(&passwords, 0o644);
    let acl = dir.path().join("acl");
    let files = format!(
        "password_file {}\nacl_file {}\n",
        passwords.display(),
        acl.display()
    );
    let held = vec![vec!["room/a".to_string()], vec![], vec!["room/a".into()]];
    let delivered = vec![vec!["room/a".to_string()]; 3];
    let cases = [
        ("", "check_retain_source true\n", &held),
        ("", "check_retain_source false\n", &delivered),
        ("", "", &delivered),
        (
            "per_listener_settings true\ncheck_retain_source true\n",
            "",
            &held,
        ),
    ];
    for (head, tail, expected) in cases {
        let conf = |port: u16| format!("{head}listener {port} 127.0.0.1\n{files}{tail}");
        let file = dir.path().join("mqtk.conf");
        std::fs::write(&file, conf(0)).unwrap();
        std::fs::write(&acl, ACL_ALICE_WRITES).unwrap();
        let serve = Broker::mqtk_serve_listeners(&["-c", file.to_str().unwrap()], 1);
        let steps = retain_source_steps(&serve, &acl, "reloaded password and ACL files");
        assert_eq!(&steps, expected, "mqtk, {head}{tail}");
        drop(serve);
        std::fs::write(&acl, ACL_ALICE_WRITES).unwrap();
        set_mode(&acl, 0o644);
        let port = common::free_port();
        let mosquitto = Broker::mosquitto_conf(&conf(port), port);
        let steps = retain_source_steps(&mosquitto, &acl, "Reloading config");
        assert_eq!(&steps, expected, "mosquitto, {head}{tail}");
    }
}

/// The publisher of a retained message is saved with it, so the check still applies after a
/// restart (as in mosquitto, whose database keeps it too), with `per_listener_settings true`
/// by the rules of the listener on the same port.
#[test]
fn check_retain_source_survives_a_restart() {
    for head in ["", "per_listener_settings true\n"] {
        let dir = tempfile::tempdir().unwrap();
        let passwords = mosquitto_passwords(dir.path());
        let acl = dir.path().join("acl");
        std::fs::write(&acl, ACL_ALICE_WRITES).unwrap();
        let conf = dir.path().join("mqtk.conf");
        let text = format!(
            "{head}check_retain_source true\nlistener {} 127.0.0.1\npassword_file {}\nacl_file {}\n",
            common::free_port(),
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
        let mut serve = Broker::mqtk_serve_listeners(&args, 1);
        // QoS 1: stored once acknowledged, before the SIGTERM below.
        for (user, topic) in [("alice", "room/a"), ("bob", "end")] {
            let set = [
                "-u", user, "-P", "pw", "-r", "-q", "1", "-t", topic, "-m", topic,
            ];
            assert_eq!(exit_code(&serve, &set), Some(0));
        }
        // Stopped as an operator would: mqtk serve saves its state.
        assert!(serve.stop("TERM").success());
        std::fs::write(&acl, ACL_ALICE_READS).unwrap();
        let serve = Broker::mqtk_serve_listeners(&args, 1);
        assert_eq!(retained_for_bob(serve.port), Vec::<String>::new(), "{head}");
        std::fs::write(&acl, ACL_ALICE_WRITES).unwrap();
        serve.signal("HUP");
        serve.wait_for_log("reloaded password and ACL files");
        assert_eq!(retained_for_bob(serve.port), ["room/a"], "{head}");
    }
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
    let mut cmd = Command::new(tool("mosquitto_pub"));
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
    let serve = Broker::mqtk_serve_with(&["-c", conf], None);
    assert_eq!(probe_listeners(ports), expected, "mqtk serve");
    // SIGHUP reloads the listeners' own files too.
    let carol = ["-u", "carol", "-P", "pw"];
    assert_eq!(pub_outcome(ports[1], &carol), "refused 5");
    let passwords = dir.path().join("passwords");
    let added = Command::new(tool("mosquitto_passwd"))
        .arg("-b")
        .arg(&passwords)
        .args(["carol", "pw"])
        .status();
    assert!(added.expect("mosquitto_passwd").success());
    set_mode(&passwords, 0o644);
    serve.signal("HUP");
    serve.wait_for_log("reloaded password and ACL files");
    assert_eq!(pub_outcome(ports[1], &carol), "ok");
    drop(serve);
    let mut mosquitto = Command::new(tool("mosquitto"))
        .args(["-c", conf])
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto");
    assert!(
        ports.iter().all(|&port| listening(port)),
        "mosquitto did not start"
    );
    let outcomes = probe_listeners(ports);
    let _ = mosquitto.kill();
    let _ = mosquitto.wait();
    assert_eq!(outcomes, expected, "mosquitto");
}

/// What a listener with `use_username_as_clientid true` makes of its clients: alice connects
/// as a1, then as a2, which takes a1's session over (her id is "alice" both times); an
/// anonymous client is refused; an MQTT 5 client of alice's without an id is told hers; one
/// line each.
fn username_as_client_id(port: u16) -> Vec<String> {
    use mqtk::codec::Packet;
    let alice = |id: &str| Connect {
        username: Some("alice".into()),
        ..Raw::v5(id)
    };
    let (mut a1, ack) = Raw::try_connect(port, alice("a1"));
    let mut lines = vec![format!("a1: {:?}", ack.map(|a| a.code))];
    let (_a2, ack) = Raw::try_connect(port, alice("a2"));
    lines.push(format!("a2: {:?}", ack.map(|a| a.code)));
    // mqtk says DISCONNECT 0x8E (session taken over) first; mosquitto 2.0.11 just closes.
    let taken = match a1.recv() {
        Some(Packet::Disconnect(reason)) if reason.code == 0x8E => "taken over".into(),
        None if closed(&mut a1.stream) => "taken over".into(),
        other => format!("{other:?}"),
    };
    lines.push(format!("a1 then: {taken}"));
    for anonymous in [Raw::v5("anon"), Raw::v311("anon")] {
        let (_, ack) = Raw::try_connect(port, anonymous);
        lines.push(format!("anonymous: {:?}", ack.map(|a| a.code)));
    }
    let (_, ack) = Raw::try_connect(port, alice(""));
    let assigned = ack.map(|a| (a.code, a.properties.assigned_client_identifier.clone()));
    lines.push(format!("no id: {assigned:?}"));
    lines
}

/// Whether the peer closed `stream` (rather than a read timing out).
fn closed(stream: &mut std::net::TcpStream) -> bool {
    use std::io::ErrorKind::{TimedOut, WouldBlock};
    let _ = stream.set_read_timeout(Some(Duration::from_millis(10)));
    match std::io::Read::read(stream, &mut [0; 1]) {
        Ok(n) => n == 0,
        Err(e) => !matches!(e.kind(), WouldBlock | TimedOut),
    }
}

/// `use_username_as_clientid true` (a listener key), against mqtk serve and
/// mosquitto 2.0.11.
#[test]
fn use_username_as_clientid_like_mosquitto() {
    let expected = [
        "a1: Some(0)",
        "a2: Some(0)",
        "a1 then: taken over",
        "anonymous: Some(135)",
        "anonymous: Some(5)",
        "no id: Some((0, Some(\"alice\")))",
    ];
    let conf = "use_username_as_clientid true";
    let serve = Broker::mqtk_serve_conf(conf);
    assert_eq!(username_as_client_id(serve.port), expected, "mqtk serve");
    let mosquitto = Broker::mosquitto_with(conf);
    assert_eq!(username_as_client_id(mosquitto.port), expected, "mosquitto");
}

/// An ACL reload that revokes a read rule stops the messages a persistent session has queued
/// for it and those published later, and one that restores the rule lets new ones through
/// again, as in mosquitto 2.0.11, run through the same steps.
#[test]
fn a_revoked_read_rule_stops_queued_messages_until_restored() {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    let acl = dir.path().join("acl");
    let rules = |read: bool| {
        let q = if read { "readwrite" } else { "write" };
        std::fs::write(&acl, format!("topic {q} q/#\ntopic readwrite end\n")).unwrap();
        set_mode(&acl, 0o644);
    };
    let conf = |port: u16| {
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\nacl_file {}\n",
            acl.display()
        )
    };
    let file = dir.path().join("mqtk.conf");
    std::fs::write(&file, conf(0)).unwrap();
    rules(true);
    let serve = Broker::mqtk_serve_listeners(&["-c", file.to_str().unwrap()], 1);
    let ours = revoke_and_restore(&serve, "reloaded password and ACL files", &rules);
    drop(serve);
    rules(true);
    let port = common::free_port();
    let mosquitto = Broker::mosquitto_conf(&conf(port), port);
    let theirs = revoke_and_restore(&mosquitto, "Reloading config", &rules);
    assert_eq!(
        ours, theirs,
        "mqtk serve (left) and mosquitto (right) differ"
    );
    assert_eq!(ours, [vec!["end 1"], vec!["q/x restored", "end 2"]]);
}

/// A persistent subscriber to q/# and `end` (a marker it may always read) comes back after
/// each reload: what it gets, up to the marker, once the rule is revoked and once restored.
fn revoke_and_restore(broker: &Broker, reloaded: &str, rules: &dyn Fn(bool)) -> [Vec<String>; 2] {
    let sub = [
        "-c", "-i", "keep", "-q", "1", "-t", "q/#", "-t", "end", "-v",
    ];
    let publish = |topic: &str, message: &str| {
        let args = ["-q", "1", "-t", topic, "-m", message];
        assert_eq!(exit_code(broker, &args), Some(0));
    };
    let come_back = |count: &str| {
        let args = [&sub[..], &["-C", count]].concat();
        let out = finish(
            common::spawn(broker.program("mosquitto_sub", &args)),
            Duration::from_secs(10),
        );
        text(&out.stdout)
            .lines()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    common::succeeds(broker.program("mosquitto_sub", &[&sub[..], &["-E"]].concat()));
    publish("q/x", "queued");
    rules(false);
    broker.signal("HUP");
    broker.wait_for_log_count(reloaded, 1);
    publish("q/x", "revoked");
    publish("end", "1");
    let revoked = come_back("1");
    rules(true);
    broker.signal("HUP");
    broker.wait_for_log_count(reloaded, 2);
    publish("q/x", "restored");
    publish("end", "2");
    [revoked, come_back("2")]
}

/// A password file entry whose hash does not parse is left out with an error line, and the
/// others still work, as in mosquitto 2.0.11 (mqtk used to refuse the whole file).
#[test]
fn a_bad_password_entry_is_left_out_like_mosquitto() {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    let passwords = mosquitto_passwords(dir.path());
    let mut text = std::fs::read_to_string(&passwords).unwrap();
    text.push_str("carol:$9$abc$def\nbob2:\n");
    std::fs::write(&passwords, text).unwrap();
    set_mode(&passwords, 0o644);
    let conf = |port: u16| {
        format!(
            "listener {port} 127.0.0.1\npassword_file {}\n",
            passwords.display()
        )
    };
    let file = dir.path().join("mqtk.conf");
    std::fs::write(&file, conf(0)).unwrap();
    let serve = Broker::mqtk_serve_listeners(&["-c", file.to_str().unwrap()], 1);
    let port = common::free_port();
    let mosquitto = Broker::mosquitto_conf(&conf(port), port);
    for broker in [&serve, &mosquitto] {
        let login = |user: &str, password: &str| {
            exit_code(broker, &["-t", "t", "-m", "m", "-u", user, "-P", password])
        };
        assert_eq!(login("alice", "pw"), Some(0));
        assert_eq!(login("carol", "x"), Some(5));
        assert_eq!(login("bob2", "x"), Some(5));
        let log = broker.log();
        assert!(
            log.contains("Error: Invalid password hash type for user carol, removing entry."),
            "{log}"
        );
        assert!(
            log.contains("Error: Invalid password hash for user bob2, removing entry."),
            "{log}"
        );
    }
}

/// A message the ACL does not let a subscriber read is never queued for it, as in mosquitto
/// 2.0.11 (which checks read access as it queues): it takes no room in an offline session's
/// queue (`max_queued_messages 1` still keeps the readable message after it) and no packet
/// id, online or offline.
#[test]
fn an_unreadable_message_takes_no_queue_room_nor_packet_id() {
    let dir = tempfile::tempdir().unwrap();
    set_mode(dir.path(), 0o755);
    let acl = dir.path().join("acl");
    std::fs::write(&acl, "topic readwrite a/#\ntopic write b/#\n").unwrap();
    set_mode(&acl, 0o644);
    let conf = format!("acl_file {}\nmax_queued_messages 1", acl.display());
    let serve = Broker::mqtk_serve_conf(&conf);
    let mosquitto = Broker::mosquitto_with(&conf);
    let [ours, theirs] = [serve.port, mosquitto.port].map(unreadable_then_readable);
    assert_eq!(
        ours, theirs,
        "mqtk serve (left) and mosquitto (right) differ"
    );
    // CONNACK with session present, then a/1 as id 1; online, a/2 as id 2.
    assert_eq!(
        ours,
        ["2002010032080003612f3100016d", "32080003612f3200026d"]
    );
}

/// A persistent subscriber to `#` at QoS 1 is away while b/1 (which it may not read) and a/1
/// are published, comes back, then b/2 and a/2 are published: what it gets, as hex, on its
/// return (up to its PINGRESP) and the next frame after that.
fn unreadable_then_readable(port: u16) -> [String; 2] {
    use common::raw::frame;
    use common::wire::{connect, disconnect, next_frame, open, string, talk, PINGREQ, PINGRESP};
    let session = connect(b"MQTT", 4, 0x00, 60, b"", b"s");
    let subscribe = frame(0x82, &[&b"\x00\x01"[..], &string(b"#"), &[1]].concat());
    let mut sub = open(port);
    talk(
        &mut sub,
        &[session.clone(), subscribe, PINGREQ.to_vec()],
        PINGRESP,
    );
    disconnect(sub);
    let publish =
        |topic: &[u8], pkid: u8| frame(0x32, &[&string(topic)[..], &[0, pkid], b"m"].concat());
    let mut publisher = open(port);
    let steps = [
        connect(b"MQTT", 4, 0x02, 60, b"", b"p"),
        publish(b"b/1", 1),
        publish(b"a/1", 2),
        PINGREQ.to_vec(),
    ];
    talk(&mut publisher, &steps, PINGRESP);
    let mut sub = open(port);
    let offline = talk(&mut sub, &[session, PINGREQ.to_vec()], PINGRESP);
    let steps = [publish(b"b/2", 3), publish(b"a/2", 4), PINGREQ.to_vec()];
    talk(&mut publisher, &steps, PINGRESP);
    [offline, next_frame(&mut sub)]
}
