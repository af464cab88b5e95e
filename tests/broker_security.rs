//! `mqtk serve` authentication and authorization against real mosquitto clients: password
//! files written by mosquitto_passwd, ACL files, SIGHUP reloads, and `mqtk passwd` files read
//! by mosquitto itself.

mod common;

use common::{finish, mqtk, publish, run_tool, Broker, Sub, TestBroker};
use mqtk::broker::Security;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

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

fn mqtk_passwd(args: &[&str]) {
    let status = mqtk(&["passwd"]).args(args).status().expect("mqtk passwd");
    assert!(status.success(), "mqtk passwd {args:?}");
}

#[test]
fn sighup_reloads_users_and_keeps_connections() {
    let dir = tempfile::tempdir().unwrap();
    let passwords = dir.path().join("passwords");
    let file = passwords.to_str().unwrap();
    mqtk_passwd(&["-c", "-b", file, "alice", "pw"]);
    let serve = Broker::mqtk_serve_with(&["--password-file", file], None);
    let alice = ["-t", "t", "-C", "1", "-u", "alice", "-P", "pw"];
    let sub = serve.subscribed(serve.program("mosquitto_sub", &alice));
    let carol = ["-t", "t", "-m", "from carol", "-u", "carol", "-P", "pw2"];
    let pub_status = |args| run_tool("mosquitto_pub", &serve, args).status;
    assert_eq!(pub_status(&carol).code(), Some(5));
    mqtk_passwd(&["-b", file, "carol", "pw2"]);
    serve.signal("HUP");
    serve.wait_for_log("reloaded password and ACL files");
    assert!(pub_status(&carol).success());
    // Alice's connection survived the reload and got carol's message.
    let out = finish(sub, Duration::from_secs(10));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "from carol");
}

/// mosquitto itself accepts the password file `mqtk passwd` writes.
#[test]
fn mosquitto_reads_mqtk_passwd_files() {
    if Command::new("mosquitto").arg("-h").output().is_err() {
        eprintln!("mosquitto not installed: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // mosquitto started as root drops to user mosquitto, who must read the password file.
    set_mode(dir.path(), 0o755);
    let passwords = dir.path().join("passwords");
    mqtk_passwd(&["-c", "-b", passwords.to_str().unwrap(), "alice", "s3cret"]);
    set_mode(&passwords, 0o644);
    let mosquitto = Broker::mosquitto_with(&format!(
        "allow_anonymous false\npassword_file {}",
        passwords.display()
    ));
    let status = |password: &str| {
        let args = ["-t", "t", "-m", "x", "-u", "alice", "-P", password];
        run_tool("mosquitto_pub", &mosquitto, &args).status
    };
    let good = status("s3cret");
    let bad = status("wrong");
    assert!(good.success());
    assert_eq!(bad.code(), Some(5));
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
