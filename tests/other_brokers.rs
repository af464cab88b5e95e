//! mqtk's clients (`pub`, `sub`, `rr`, `bench`) against brokers other than mosquitto and our
//! own, as real processes on loopback: aedes 1.x (node, MQTT 3.1.1) and rumqttd 0.20 (Rust,
//! MQTT 3.1.1 and 5 on separate listeners). The same smoke matrix runs against each: QoS 0, 1
//! and 2, `-l`, `--json`, a retained message set and cleared, a will, `bench`, and with MQTT 5
//! `rr`. What the brokers do differently is in the README.

mod common;

use common::{
    finish, free_port, js_dir, listening, mqtk, need_node_module, program, run_with_input, spawn,
    succeeds, text, tool, Lines,
};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// A broker process, killed on drop.
struct Foreign(Child);

impl Drop for Foreign {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `mqtk SUBCOMMAND` (`pub`, `bench pubsub`, ...) against 127.0.0.1:`port` with MQTT
/// `version`, then `args`.
fn client(subcommand: &str, port: u16, version: &str, args: &[&str]) -> Command {
    let port = port.to_string();
    let mut cmd = mqtk(&subcommand.split(' ').collect::<Vec<_>>());
    cmd.args(["-h", "127.0.0.1", "-p", &port, "-V", version])
        .args(args);
    cmd
}

/// `mosquitto_NAME` (pub, sub or rr) against 127.0.0.1:`port` with MQTT `version`, then `args`.
fn mosquitto_client(name: &str, port: u16, version: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(tool(&format!("mosquitto_{name}")));
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string(), "-V", version])
        .args(args);
    cmd
}

/// A running `mqtk sub -d`, returned once the broker acknowledged its subscription.
fn subscribed(port: u16, version: &str, args: &[&str]) -> (Child, Lines) {
    let mut child = spawn(client("sub", port, version, &[&["-d"], args].concat()));
    let mut lines = Lines::follow(&mut child, false);
    lines.wait_for("Subscribed (mid");
    (child, lines)
}

/// What a subscriber printed besides its `-d` lines, once it exited by itself.
fn received(child: Child, lines: Lines) -> Vec<String> {
    let out = finish(child, LIMIT);
    assert!(out.status.success(), "sub: {}", text(&out.stderr));
    let debug = |l: &String| l.starts_with("Client ") || l.starts_with("Subscribed (mid");
    lines.all().into_iter().filter(|l| !debug(l)).collect()
}

/// The smoke matrix against the broker on `port` with MQTT `version` ("311" or "5").
fn smoke(port: u16, version: &str) {
    let t = |name: &str| format!("smoke/{version}/{name}");
    let (sub, lines) = subscribed(
        port,
        version,
        &["-t", &t("q/#"), "-q", "2", "-C", "3", "-v"],
    );
    for qos in ["0", "1", "2"] {
        let topic = t(&format!("q/{qos}"));
        succeeds(client(
            "pub",
            port,
            version,
            &["-t", &topic, "-q", qos, "-m", qos],
        ));
    }
    let expected: Vec<String> = ["0", "1", "2"]
        .map(|q| format!("{} {q}", t(&format!("q/{q}"))))
        .into();
    assert_eq!(received(sub, lines), expected, "QoS 0, 1, 2");

    let (sub, lines) = subscribed(port, version, &["-t", &t("lines"), "-q", "1", "-C", "2"]);
    let out = run_with_input(
        client("pub", port, version, &["-t", &t("lines"), "-q", "1", "-l"]),
        b"one\ntwo\n",
    );
    assert!(out.status.success(), "pub -l: {}", text(&out.stderr));
    assert_eq!(received(sub, lines), ["one", "two"], "-l");

    let (sub, lines) = subscribed(port, version, &["-t", &t("json"), "-C", "1", "--json"]);
    succeeds(client("pub", port, version, &["-t", &t("json"), "-m", "j"]));
    let line = received(sub, lines).join("\n");
    let json: serde_json::Value = serde_json::from_str(&line).expect(&line);
    assert_eq!(
        (&json["topic"], &json["payload"]),
        (&t("json").into(), &"j".into())
    );

    retained(port, version, &t("kept"));
    will(port, version, &t("will"));
    bench(port, version);
    if version == "5" {
        request_response(port, &t("req"), &t("resp"));
    }
}

/// A retained message reaches a later subscriber, and an empty one clears it.
fn retained(port: u16, version: &str, topic: &str) {
    let retain = ["-t", topic, "-q", "1", "-r"];
    succeeds(client(
        "pub",
        port,
        version,
        &[&retain[..], &["-m", "kept"]].concat(),
    ));
    let later = client("sub", port, version, &["-t", topic, "-C", "1", "-W", "5"]);
    assert_eq!(succeeds(later), "kept\n", "retained");
    succeeds(client(
        "pub",
        port,
        version,
        &[&retain[..], &["-n"]].concat(),
    ));
    let cleared = client("sub", port, version, &["-t", topic, "-C", "1", "-W", "1"]);
    let out = finish(spawn(cleared), LIMIT);
    assert_eq!(
        out.status.code(),
        Some(27),
        "cleared: {}",
        text(&out.stdout)
    );
}

/// A subscriber killed without DISCONNECT leaves its will to another.
fn will(port: u16, version: &str, topic: &str) {
    let (watcher, lines) = subscribed(port, version, &["-t", topic, "-q", "1", "-C", "1"]);
    let victim = [
        "-t",
        "smoke/none",
        "--will-topic",
        topic,
        "--will-payload",
        "gone",
    ];
    let (mut victim, _lines) = subscribed(port, version, &[&victim[..], &["-q", "1"]].concat());
    let _ = victim.kill();
    let _ = victim.wait();
    assert_eq!(received(watcher, lines), ["gone"], "will");
}

/// A short lossless `mqtk bench pubsub` run.
fn bench(port: u16, version: &str) {
    let args = [
        "-q",
        "1",
        "--rate",
        "200",
        "--duration",
        "1s",
        "--warmup",
        "200ms",
        "--json",
    ];
    let out = succeeds(client("bench pubsub", port, version, &args));
    let summary: serde_json::Value = serde_json::from_str(&out).expect(&out);
    assert!(summary["sent"].as_u64() > Some(0), "{summary}");
    assert_eq!(summary["received"], summary["sent"], "{summary}");
    assert_eq!(summary["lost"], 0, "{summary}");
}

/// `mqtk rr` (MQTT 5) gets the answer of a responder made of `mqtk sub` and `mqtk pub`.
fn request_response(port: u16, request: &str, response: &str) {
    let (responder, lines) = subscribed(port, "5", &["-t", request, "-C", "1"]);
    let rr = spawn(client(
        "rr",
        port,
        "5",
        &["-t", request, "-e", response, "-m", "ping"],
    ));
    assert_eq!(received(responder, lines), ["ping"], "request");
    succeeds(client("pub", port, "5", &["-t", response, "-m", "pong"]));
    let out = finish(rr, LIMIT);
    assert!(out.status.success(), "rr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "pong\n", "response");
}

#[test]
fn mqtk_clients_against_aedes() {
    need_node_module("aedes", "package.json");
    let mut aedes = program("node", &["aedes.mjs"]);
    aedes.current_dir(js_dir()).stdout(Stdio::piped());
    let mut aedes = Foreign(spawn(aedes));
    let port = Lines::follow(&mut aedes.0, false).wait_for("aedes listening on ");
    let port = port
        .rsplit(' ')
        .next()
        .expect("port")
        .parse()
        .expect("port");
    smoke(port, "311");
    // aedes speaks 3.1.1 only and answers an MQTT 5 CONNECT with a 3.1.1 CONNACK, code 1:
    // mosquitto's clients say "Unsupported Protocol Version" and exit 132 (0x84).
    turned_away(port, "5", &["pub", "sub", "rr"], 132);
}

/// The clients `tools` with MQTT `version` against a broker on `port` that turns that
/// version away: each exits with `code` and prints what mosquitto's client of that name prints.
fn turned_away(port: u16, version: &str, tools: &[&str], code: i32) {
    for &name in tools {
        let args: &[&str] = match name {
            "pub" => &["-t", "a", "-m", "b"],
            "sub" => &["-t", "a"],
            _ => &["-t", "a", "-e", "b", "-m", "c"],
        };
        let ours = finish(spawn(client(name, port, version, args)), LIMIT);
        let theirs = finish(spawn(mosquitto_client(name, port, version, args)), LIMIT);
        let stderr = text(&ours.stderr);
        assert_eq!(ours.status.code(), Some(code), "{name}: {stderr}");
        assert_eq!(
            (ours.status.code(), stderr),
            (theirs.status.code(), text(&theirs.stderr)),
            "{name}"
        );
    }
}

#[test]
fn mqtk_clients_against_rumqttd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v4, v5) = (free_port(), free_port());
    let config = dir.path().join("rumqttd.toml");
    std::fs::write(&config, rumqttd_config(v4, v5)).expect("write");
    let mut rumqttd = Command::new(tool("rumqttd"));
    rumqttd.arg("-c").arg(&config).stdout(Stdio::null());
    let _rumqttd = Foreign(spawn(rumqttd));
    assert!(listening(v4) && listening(v5), "rumqttd did not listen");
    smoke(v4, "311");
    smoke(v5, "5");
    // rumqttd closes an MQTT 3.1 CONNECT without a CONNACK: "Error: The connection was
    // lost." and 7 from mosquitto_pub and mosquitto_rr (mosquitto_sub and `sub`
    // retry for ever: `reconnect::sub_retries_a_connection_closed_before_its_connack`).
    turned_away(v4, "31", &["pub", "rr"], 7);
}

/// rumqttd's configuration: a 3.1.1 and a 5 listener on 127.0.0.1, the rest its defaults.
fn rumqttd_config(v4: u16, v5: u16) -> String {
    let connections = "connection_timeout_ms = 60000\nmax_payload_size = 20480\n\
                       max_inflight_count = 100\ndynamic_filters = true\n";
    format!(
        "id = 0\n\
         [router]\nid = 0\nmax_connections = 100\nmax_outgoing_packet_count = 200\n\
         max_segment_size = 104857600\nmax_segment_count = 10\n\
         [v4.1]\nname = \"v4\"\nlisten = \"127.0.0.1:{v4}\"\nnext_connection_delay_ms = 1\n\
         [v4.1.connections]\n{connections}\
         [v5.1]\nname = \"v5\"\nlisten = \"127.0.0.1:{v5}\"\nnext_connection_delay_ms = 1\n\
         [v5.1.connections]\n{connections}"
    )
}
