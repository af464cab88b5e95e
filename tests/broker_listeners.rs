//! `mqtk serve` TLS, WebSocket and secure WebSocket listeners, reached by mosquitto's clients,
//! our own and paho-mqtt, with certificates made by rcgen in a temporary directory.

mod common;

use common::{finish, mqtk, program, spawn, succeeds, Broker, Pki, Raw};
use mqtk::codec::{Connect, Packet, Publish, QoS, Will};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Runs the subscriber `sub` (which exits after one message), publishes with `publish`, and
/// returns what the subscriber printed.
fn exchange(served: &Broker, sub: Command, publish: Command) -> String {
    let out = served.receive(sub, || {
        succeeds(publish);
    });
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
    let served = Broker::mqtk_serve_listeners(&args, 2);
    assert_eq!(served.listeners[0].1, "", "plain MQTT comes first");
    assert_eq!(served.listeners[1].1, " (mqtts)");
    let port = served.port_of(" (mqtts)");
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
    let served = Broker::mqtk_serve_listeners(&args, 1);
    let port = served.port_of(" (mqtts)");
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
    served.wait_for_log_count("u'sensor-7'", 2);
    assert!(!served.log().contains("u'ignored'"));
}

#[test]
fn websocket_listener_from_a_config_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("mosquitto.conf");
    let text = "listener 0 127.0.0.1\nprotocol websockets\nlistener 0 127.0.0.1\n\
                allow_anonymous true\n";
    std::fs::write(&conf, text).expect("write");
    let served = Broker::mqtk_serve_listeners(&strings(&["-c", &conf.display().to_string()]), 2);
    assert_eq!(served.listeners[0].1, "", "plain MQTT comes first");
    let (tcp, ws) = (served.port_of(""), served.port_of(" (ws)"));
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
    let served = Broker::mqtk_serve_listeners(&args, 2);
    let (tcp, wss) = (served.port_of(""), served.port_of(" (wss)"));
    let url = format!("wss://127.0.0.1:{wss}/mqtt");
    let ca = pki.path("ca.pem");
    let publish = mqtk(&["pub", "-L", &url, "--cafile", &ca, "-t", "t", "-m", "wss"]);
    let sub = program("mosquitto_sub", &["-p", &tcp, "-t", "t", "-C", "1"]);
    assert_eq!(exchange(&served, sub, publish), "wss\n");
}

/// `mqtk serve ... | head -1`: the reader of the listening lines may go away early (here before
/// the first), and the broker keeps serving.
#[test]
fn serve_outlives_a_closed_stdout() {
    let port = common::free_port().to_string();
    let mut child = mqtk(&["serve", "--port", &port, "--ws-port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn mqtk serve");
    drop(child.stdout.take());
    let port_open = common::listening(port.parse().expect("port"));
    let published = mqtk(&["pub", "-p", &port, "-t", "t", "-m", "x"]).status();
    let alive = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(port_open && alive, "mqtk serve died when its stdout closed");
    assert!(published.expect("pub").success());
}

/// Whether a client offering TLS `version` alone completes a handshake with the listener on
/// 127.0.0.1:`port`, whose certificate `ca` signed.
fn handshakes(ca: &str, port: &str, version: &'static rustls::SupportedProtocolVersion) -> bool {
    use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).expect("ca.pem") {
        roots.add(cert.expect("certificate")).expect("CA");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("127.0.0.1").expect("name");
    let mut tls = rustls::ClientConnection::new(Arc::new(config), name).expect("client");
    let mut socket = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    socket.set_read_timeout(Some(LIMIT)).expect("timeout");
    while tls.is_handshaking() {
        if tls.complete_io(&mut socket).is_err() {
            return false;
        }
    }
    true
}

/// `tls_version` is the oldest version a listener accepts, as mosquitto 2.0.11 applies it
/// (`tlsv1.2` still takes TLS 1.3); mosquitto runs the same files.
#[test]
fn tls_version_is_the_oldest_accepted_like_mosquitto() {
    use rustls::version::{TLS12, TLS13};
    let pki = Pki::new();
    let ca = pki.path("ca.pem");
    for (version, expected) in [("tlsv1.3", [false, true]), ("tlsv1.2", [true, true])] {
        let conf = |port: u16| {
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\ncertfile {}\nkeyfile {}\n\
                 tls_version {version}\n",
                pki.path("server.pem"),
                pki.path("server-key.pem")
            )
        };
        let file = pki.path("mqtk.conf");
        std::fs::write(&file, conf(0)).expect("write");
        let served = Broker::mqtk_serve_listeners(&["-c", &file], 1);
        let port = served.port_of(" (mqtts)");
        let accepted = [&TLS12, &TLS13].map(|v| handshakes(&ca, &port, v));
        assert_eq!(accepted, expected, "mqtk serve, tls_version {version}");
        let port = common::free_port();
        let mosquitto = Broker::mosquitto_conf(&conf(port), port);
        let port = mosquitto.port.to_string();
        let accepted = [&TLS12, &TLS13].map(|v| handshakes(&ca, &port, v));
        assert_eq!(accepted, expected, "mosquitto, tls_version {version}");
    }
}

/// `crlfile`: a client certificate its CA revoked is refused, the others still get in;
/// mosquitto 2.0.11 runs the same file.
#[test]
fn revoked_client_certificates_are_refused_like_mosquitto() {
    let pki = Pki::new();
    let conf = |port: u16| {
        let [cert, key, ca, crl] = ["server.pem", "server-key.pem", "ca.pem", "crl.pem"];
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\ncertfile {}\nkeyfile {}\n\
             cafile {}\nrequire_certificate true\ncrlfile {}\n",
            pki.path(cert),
            pki.path(key),
            pki.path(ca),
            pki.path(crl)
        )
    };
    let ca = pki.path("ca.pem");
    // Whether mosquitto_pub gets in with the client certificate, and with the revoked one.
    let get_in = |port: &str| {
        ["client", "stolen"].map(|name| {
            let (cert, key) = (
                pki.path(&format!("{name}.pem")),
                pki.path(&format!("{name}-key.pem")),
            );
            let args = [
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "--cafile",
                &ca,
                "--cert",
                &cert,
                "--key",
                &key,
                "-t",
                "t",
                "-m",
                "x",
            ];
            finish(spawn(program("mosquitto_pub", &args)), LIMIT)
                .status
                .success()
        })
    };
    let file = pki.path("mqtk.conf");
    std::fs::write(&file, conf(0)).expect("write");
    let served = Broker::mqtk_serve_listeners(&["-c", &file], 1);
    assert_eq!(
        get_in(&served.port_of(" (mqtts)")),
        [true, false],
        "mqtk serve"
    );
    let port = common::free_port();
    let mosquitto = Broker::mosquitto_conf(&conf(port), port);
    assert_eq!(
        get_in(&mosquitto.port.to_string()),
        [true, false],
        "mosquitto"
    );
}

/// A 3.1.1 client `id` on `port`, subscribed to `filters` at QoS 1; `will` is a will topic.
fn client(port: u16, id: &str, filters: &[&str], will: Option<&str>) -> Raw {
    let connect = Connect {
        will: will.map(|topic| Will {
            topic: topic.into(),
            payload: "gone".into(),
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Default::default(),
        }),
        ..Raw::v311(id)
    };
    let (mut raw, ack) = Raw::try_connect(port, connect);
    assert_eq!(ack.map(|a| a.code), Some(0), "{id}");
    for filter in filters {
        assert_eq!(raw.subscribe(filter, QoS::AtLeastOnce), [1], "{filter}");
    }
    raw
}

/// Publishes `topic` at QoS 1 (retained if asked) and waits for the PUBACK.
fn publish_acked(raw: &mut Raw, topic: &str, retain: bool) {
    raw.send(Packet::Publish(Publish {
        topic: topic.into(),
        qos: QoS::AtLeastOnce,
        retain,
        pkid: 1,
        payload: "x".into(),
        ..Publish::default()
    }));
    assert!(matches!(raw.recv(), Some(Packet::PubAck(_))));
}

/// The topics `raw` receives (acknowledged, `r:` before retained ones), up to `last`.
fn topics_until(raw: &mut Raw, last: &str) -> Vec<String> {
    let mut topics = Vec::new();
    while let Some(Packet::Publish(p)) = raw.recv() {
        raw.send(Packet::PubAck(mqtk::codec::Ack {
            pkid: p.pkid,
            ..Default::default()
        }));
        let done = p.topic == last;
        topics.push(format!("{}{}", if p.retain { "r:" } else { "" }, p.topic));
        if done {
            return topics;
        }
    }
    panic!("{last} never came; got {topics:?}");
}

/// `mount_point tenant/` on the second listener, seen from a client of each listener: what a
/// mounted client publishes, and its will, come out under tenant/ (mosquitto 2.0.11 agrees);
/// what it receives comes without the prefix and only from below it, its
/// shared subscriptions and retained messages included (what mosquitto 1.6 and 2.0.12 do;
/// 2.0.11 leaves the prefix on, its issue #2244).
#[test]
fn mount_point_keeps_a_listener_under_its_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = |[plain, mounted]: [u16; 2]| {
        format!(
            "listener {plain} 127.0.0.1\nallow_anonymous true\n\
             listener {mounted} 127.0.0.1\nallow_anonymous true\nmount_point tenant/\n"
        )
    };
    let file = dir.path().join("mqtk.conf");
    std::fs::write(&file, conf([0, 0])).expect("write");
    let served = Broker::mqtk_serve_listeners(&["-c", file.to_str().expect("path")], 2);
    let ports = [0, 1].map(|i| {
        served.listeners[i]
            .0
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    });
    let plain_view = [
        "tenant/a",
        "other/b",
        "tenant/x",
        "tenant/w",
        "tenant/r",
        "tenant/end",
    ];
    assert_eq!(mounted_exchange(ports, true), plain_view, "mqtk serve");
    let ports = [common::free_port(), common::free_port()];
    let _mosquitto = Broker::mosquitto_conf(&conf(ports), ports[0]);
    assert!(common::listening(ports[1]), "mosquitto's mounted listener");
    assert_eq!(mounted_exchange(ports, false), plain_view, "mosquitto");
}

/// Runs the exchange of [`mount_point_keeps_a_listener_under_its_prefix`]; returns what the
/// plain listener's subscriber saw, after checking (`mounted_view`) the mounted clients' views.
fn mounted_exchange([plain, mounted]: [u16; 2], mounted_view: bool) -> Vec<String> {
    let mut watcher = client(plain, "watcher", &["#"], None);
    let mut inside = client(mounted, "inside", &["#"], None);
    let mut shared = client(mounted, "shared", &["$share/g/s"], None);
    let mut publisher = client(plain, "publisher", &[], None);
    let mut tenant = client(mounted, "tenant", &[], Some("w"));
    publish_acked(&mut publisher, "tenant/a", false);
    publish_acked(&mut publisher, "other/b", false);
    publish_acked(&mut publisher, "tenant/s", false);
    publish_acked(&mut tenant, "x", false);
    // No DISCONNECT: the will goes out, when the broker sees the connection close.
    drop(tenant);
    let got = topics_until(&mut watcher, "tenant/w");
    publish_acked(&mut publisher, "tenant/r", true);
    publish_acked(&mut publisher, "tenant/end", false);
    let mut got = [got, topics_until(&mut watcher, "tenant/end")].concat();
    got.retain(|t| t != "tenant/s");
    if mounted_view {
        assert_eq!(
            topics_until(&mut inside, "end"),
            ["a", "s", "x", "w", "r", "end"]
        );
        assert_eq!(topics_until(&mut shared, "s"), ["s"]);
        let mut late = client(mounted, "late", &["r"], None);
        assert_eq!(topics_until(&mut late, "r"), ["r:r"]);
    }
    got
}
