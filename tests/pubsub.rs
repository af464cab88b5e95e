//! mqtk pub/sub/rr against a real mosquitto broker, compared with mosquitto_pub/mosquitto_sub.

mod common;

use common::*;
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// Every test that needs no broker-specific configuration runs against both brokers.
fn brokers() -> [Broker; 2] {
    [Broker::mosquitto(), Broker::mqtk_serve()]
}

/// Runs `cmd` and insists it succeeds.
fn ok(cmd: Command) {
    succeeds(cmd);
}

#[test]
fn lines_arrive_exactly_as_mosquitto_pub_sends_them() {
    for broker in brokers() {
        let input = b"one\r\n\ntwo words\nlast-without-newline";
        let sub = ["-t", "lines", "-C", "4", "-v"];
        let send = |program: Command| run_with_input(program, input);
        let ours = broker.receive(broker.program("mosquitto_sub", &sub), || {
            send(broker.mqtk("pub", &["-t", "lines", "-l"]));
        });
        let theirs = broker.receive(broker.program("mosquitto_sub", &sub), || {
            send(broker.program("mosquitto_pub", &["-t", "lines", "-l"]));
        });
        assert_eq!(ours.stdout, theirs.stdout);
        assert_eq!(
            text(&ours.stdout),
            "lines one\r\nlines (null)\nlines two words\nlines last-without-newline\n"
        );
    }
}

#[test]
fn sub_prints_what_mosquitto_sub_prints() {
    for broker in brokers() {
        let send = || {
            ok(broker.program("mosquitto_pub", &["-t", "out/a", "-m", "x y"]));
            ok(broker.program("mosquitto_pub", &["-t", "out/b", "-n"]));
            ok(broker.program("mosquitto_pub", &["-t", "out/c", "-m", "z", "-q", "1"]));
        };
        for args in [
            &["-C", "3"][..],
            &["-C", "3", "-v"],
            &["-C", "3", "-v", "-N"],
            &["-C", "3", "-F", "%t|%l|%q|%x"],
        ] {
            let mut sub = vec!["-t", "out/#", "-q", "1"];
            sub.extend(args);
            let ours = broker.receive(broker.mqtk("sub", &sub), send);
            let theirs = broker.receive(broker.program("mosquitto_sub", &sub), send);
            assert!(ours.status.success(), "{}", text(&ours.stderr));
            assert_eq!(text(&ours.stdout), text(&theirs.stdout), "{args:?}");
        }
    }
}

#[test]
fn v5_properties_travel_and_print_like_mosquitto() {
    for broker in brokers() {
        let sub = ["-t", "v5", "-V", "5", "-C", "1", "-F", "%t %P %C %R %E %p"];
        let props = [
            "-t",
            "v5",
            "-m",
            "hi",
            "-D",
            "publish",
            "user-property",
            "k",
            "v",
            "-D",
            "publish",
            "content-type",
            "text",
            "-D",
            "publish",
            "response-topic",
            "rt",
            "-D",
            "publish",
            "message-expiry-interval",
            "30",
        ];
        let ours = broker.receive(broker.mqtk("sub", &sub), || ok(broker.mqtk("pub", &props)));
        let theirs = broker.receive(broker.program("mosquitto_sub", &sub), || {
            ok(broker.mqtk("pub", &props))
        });
        assert_eq!(text(&ours.stdout), "v5 k:v text rt 30 hi\n");
        assert_eq!(ours.stdout, theirs.stdout);
    }
}

#[test]
fn qos1_lines_past_the_packet_id_space_all_arrive() {
    // Unbounded queue: mosquitto would otherwise drop what its slow subscriber can't take.
    for broker in [
        Broker::mosquitto_with("max_queued_messages 0"),
        Broker::mqtk_serve(),
    ] {
        let n = 70_000;
        let input: String = (0..n).map(|i| format!("{i}\n")).collect();
        let count = n.to_string();
        let sub = broker.program("mosquitto_sub", &["-t", "many", "-q", "1", "-C", &count]);
        let out = broker.receive(sub, || {
            let out = run_with_input(
                broker.mqtk("pub", &["-t", "many", "-q", "1", "-l"]),
                input.as_bytes(),
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
        });
        assert_eq!(text(&out.stdout), input);
    }
}

#[test]
fn megabyte_payloads_work_both_ways() {
    for broker in brokers() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        let body: Vec<u8> = (0..(1 << 20) + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &body).unwrap();
        let path = file.to_str().unwrap();
        let out = broker.receive(broker.mqtk("sub", &["-t", "big", "-C", "1", "-N"]), || {
            ok(broker.mqtk("pub", &["-t", "big", "-q", "2", "-f", path]))
        });
        assert_eq!(out.stdout, body);
    }
}

#[test]
fn retained_messages_and_timeouts_keep_mosquitto_exit_codes() {
    for broker in brokers() {
        ok(broker.mqtk("pub", &["-t", "keep", "-r", "-m", "stored"]));
        let out = finish(
            spawn(broker.mqtk("sub", &["-t", "keep", "-C", "1", "-F", "%r %t %p"])),
            LIMIT,
        );
        assert_eq!(text(&out.stdout), "1 keep stored\n");
        // -R hides stale messages; --remove-retained with --retained-only clears them and stops.
        let out = finish(
            spawn(broker.mqtk("sub", &["-t", "keep", "-R", "-W", "1"])),
            LIMIT,
        );
        assert_eq!(
            (out.status.code(), text(&out.stdout)),
            (Some(27), String::new())
        );
        assert_eq!(text(&out.stderr), "Timed out\n");
        let clear = ["-t", "#", "--remove-retained", "--retained-only", "-W", "4"];
        let out = finish(spawn(broker.mqtk("sub", &clear)), LIMIT);
        assert_eq!(text(&out.stdout), "stored\n");
        let out = finish(spawn(broker.mqtk("sub", &["-t", "keep", "-W", "1"])), LIMIT);
        assert_eq!(
            (out.status.code(), text(&out.stdout)),
            (Some(27), String::new())
        );
    }
}

#[test]
fn connection_failures_exit_like_mosquitto() {
    let port = free_port().to_string();
    let args = ["-h", "127.0.0.1", "-p", &port, "-t", "a", "-m", "b"];
    let ours = mqtk(&["pub"]).args(args).output().unwrap();
    let theirs = program("mosquitto_pub", &args).output().unwrap();
    assert_eq!(
        (ours.status.code(), text(&ours.stderr)),
        (Some(1), "Error: Connection refused\n".into())
    );
    assert_eq!(theirs.status.code(), Some(1));

    // The clients give no username, so they are refused: same status and same words, in
    // MQTT 3.1, 3.1.1 and 5 (mosquitto_rr speaks 5 only).
    let broker = Broker::mosquitto_with("allow_anonymous false");
    let cases = [
        ("pub", "31"),
        ("pub", "311"),
        ("pub", "5"),
        ("sub", "311"),
        ("sub", "5"),
    ];
    for (client, version) in cases.into_iter().chain([("rr", "5")]) {
        let args = match client {
            "pub" => vec!["-t", "a", "-m", "c"],
            "sub" => vec!["-t", "a"],
            _ => vec!["-t", "a", "-e", "b", "-m", "c"],
        };
        let args = [&args[..], &["-V", version]].concat();
        let ours = broker.mqtk(client, &args).output().unwrap();
        let theirs = broker
            .program(&format!("mosquitto_{client}"), &args)
            .output()
            .unwrap();
        let code = if version == "5" { 135 } else { 5 };
        assert_eq!(ours.status.code(), Some(code), "{client} -V {version}");
        assert_eq!(
            (ours.status.code(), text(&ours.stderr)),
            (theirs.status.code(), text(&theirs.stderr)),
            "{client} -V {version}"
        );
    }
}

/// A QoS 1 publish the broker refuses (MQTT 5 PUBACK 0x87) gets mosquitto_pub's warning,
/// naming the message id, and pub still exits 0.
#[test]
fn a_refused_publish_is_reported_like_mosquitto_pub() {
    let dir = tempfile::tempdir().unwrap();
    let acl = dir.path().join("acl");
    std::fs::write(&acl, "topic read denied\n").unwrap();
    let broker = Broker::mosquitto_with(&format!("acl_file {}", acl.display()));
    let args = ["-V", "5", "-q", "1", "-t", "denied", "-m", "x"];
    let ours = broker.mqtk("pub", &args).output().unwrap();
    let theirs = broker.program("mosquitto_pub", &args).output().unwrap();
    assert_eq!(
        text(&ours.stderr),
        "Warning: Publish 1 failed: Not authorized.\n"
    );
    assert_eq!(
        (ours.status.code(), text(&ours.stderr)),
        (theirs.status.code(), text(&theirs.stderr))
    );
}

/// A listener that never answers CONNECT: both clients give up after the keepalive with 19.
#[test]
fn a_silent_broker_ends_the_handshake_after_the_keepalive() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().take(2).collect();
        std::thread::sleep(LIMIT);
        drop(held);
    });
    let args = [
        "-h",
        "127.0.0.1",
        "-p",
        &port,
        "-k",
        "5",
        "-t",
        "a",
        "-m",
        "b",
    ];
    let started = std::time::Instant::now();
    let theirs = spawn(program("mosquitto_pub", &args));
    let mut cmd = mqtk(&["pub"]);
    cmd.args(args);
    let ours = finish(spawn(cmd), LIMIT);
    assert_eq!(
        (ours.status.code(), text(&ours.stderr)),
        (Some(19), "Keepalive timeout\n".into())
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    assert_eq!(finish(theirs, LIMIT).status.code(), Some(19));
}

#[test]
fn wills_and_persistent_sessions() {
    for broker in brokers() {
        let watcher = broker.subscribed(broker.mqtk("sub", &["-t", "will", "-C", "1", "-v"]));
        let mut doomed = broker.subscribed(broker.mqtk(
            "sub",
            &["-t", "x", "--will-topic", "will", "--will-payload", "died"],
        ));
        doomed.kill().unwrap();
        doomed.wait().unwrap();
        assert_eq!(text(&finish(watcher, LIMIT).stdout), "will died\n");

        ok(broker.mqtk("sub", &["-t", "ps", "-q", "1", "-c", "-i", "psid", "-E"]));
        ok(broker.mqtk("pub", &["-t", "ps", "-q", "1", "-m", "queued"]));
        let out = finish(
            spawn(broker.mqtk(
                "sub",
                &["-t", "ps", "-q", "1", "-c", "-i", "psid", "-C", "1", "-v"],
            )),
            LIMIT,
        );
        assert_eq!(text(&out.stdout), "ps queued\n");
    }
}

#[test]
fn request_response_and_json_output() {
    for broker in brokers() {
        let responder = broker
            .subscribed(broker.mqtk("sub", &["-t", "req", "-V", "5", "-C", "1", "-F", "%R %p"]));
        let rr = std::thread::spawn({
            let cmd = broker.mqtk("rr", &["-t", "req", "-e", "resp", "-m", "ping", "-W", "5"]);
            move || finish(spawn(cmd), LIMIT)
        });
        assert_eq!(text(&finish(responder, LIMIT).stdout), "resp ping\n");
        // mosquitto_rr subscribes before it publishes, so the response cannot be missed.
        ok(broker.mqtk("pub", &["-t", "resp", "-m", "pong"]));
        assert_eq!(text(&rr.join().unwrap().stdout), "pong\n");

        let json = broker.receive(
            broker.mqtk("sub", &["-t", "j", "-C", "2", "--json"]),
            || {
                run_with_input(broker.mqtk("pub", &["-t", "j", "-s"]), b"\xff\x00");
                ok(broker.mqtk("pub", &["-t", "j", "-m", "{\"a\":1}"]));
            },
        );
        let lines: Vec<serde_json::Value> = text(&json.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["payload_base64"], "/wA=");
        assert_eq!(lines[1]["payload"], "{\"a\":1}");
        assert_eq!(lines[1]["topic"], "j");
    }
}

#[test]
fn drop_in_through_a_symlink_and_a_closed_pipe() {
    for broker in brokers() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("mosquitto_sub");
        std::os::unix::fs::symlink(mqtk_path(), &link).unwrap();
        let out = Command::new(&link)
            .args(["-q", "5", "-t", "x"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(
            text(&out.stderr).contains("Use 'mosquitto_sub --help' to see usage."),
            "{}",
            text(&out.stderr)
        );

        let mut sub = Command::new(&link);
        sub.args(broker.addr()).args(["-t", "pipe"]);
        let mut child = broker.subscribed(sub);
        drop(child.stdout.take()); // the reader is gone, like `| head -0`
        ok(broker.mqtk("pub", &["-t", "pipe", "-m", "x"]));
        let out = finish(child, LIMIT);
        assert_eq!(
            (out.status.code(), text(&out.stderr)),
            (Some(0), String::new())
        );
    }
}

#[test]
fn options_come_from_config_files() {
    for broker in brokers() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("mqtk")).unwrap();
        std::fs::write(
            home.path().join("mqtk/sub"),
            format!("# defaults\n-p {}\n-h 127.0.0.1\n-v\n", broker.port),
        )
        .unwrap();
        let mut sub = mqtk(&["sub", "-t", "cfg", "-C", "1"]);
        sub.env("XDG_CONFIG_HOME", home.path());
        let out = broker.receive(sub, || ok(broker.mqtk("pub", &["-t", "cfg", "-m", "v"])));
        assert_eq!(text(&out.stdout), "cfg v\n");
    }
}

#[test]
fn debug_lines_match_mosquitto_pub() {
    let broker = Broker::mosquitto();
    let args = ["-d", "-t", "dbg", "-m", "x", "-q", "2"];
    let ours = broker.mqtk("pub", &args).output().unwrap();
    let theirs = broker.program("mosquitto_pub", &args).output().unwrap();
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
    assert!(text(&ours.stdout).contains("received PUBCOMP (Mid: 1, RC:0)"));
}

#[test]
fn sub_debug_lines_interleave_with_messages_like_mosquitto_sub() {
    let broker = Broker::mosquitto();
    // A retained backlog reaches the subscriber in one burst, already buffered together.
    for m in ["a", "b", "c"] {
        ok(broker.mqtk(
            "pub",
            &["-t", &format!("dbg/{m}"), "-m", m, "-q", "1", "-r"],
        ));
    }
    let args = [
        "-d", "-t", "dbg/#", "-q", "1", "-C", "3", "-W", "10", "-i", "dbgsub",
    ];
    let ours = broker.mqtk("sub", &args).output().unwrap();
    let theirs = broker.program("mosquitto_sub", &args).output().unwrap();
    assert_eq!(text(&ours.stdout), text(&theirs.stdout));
    assert!(text(&ours.stdout).contains("sending PUBACK (m1, rc0)\na\n"));
}

#[test]
fn tls_with_a_private_ca_interoperates_with_mosquitto() {
    let pki = Pki::new();
    let broker = Broker::mosquitto_with(&format!(
        "cafile {}\ncertfile {}\nkeyfile {}",
        pki.path("ca.pem"),
        pki.path("server.pem"),
        pki.path("server-key.pem")
    ));
    let ca = pki.path("ca.pem");
    let theirs = broker.program(
        "mosquitto_sub",
        &["--cafile", &ca, "-t", "tls", "-C", "1", "-v"],
    );
    let out = broker.receive(theirs, || {
        ok(broker.mqtk("pub", &["--cafile", &ca, "-t", "tls", "-m", "secret"]))
    });
    assert_eq!(text(&out.stdout), "tls secret\n");
    let ours = broker.mqtk("sub", &["--cafile", &ca, "-t", "tls", "-C", "1", "-v"]);
    let out = broker.receive(ours, || {
        ok(broker.program(
            "mosquitto_pub",
            &["--cafile", &ca, "-t", "tls", "-m", "back"],
        ))
    });
    assert_eq!(text(&out.stdout), "tls back\n");
    // The broker's certificate does not chain to the OS store: refused, exit 1.
    let out = broker
        .mqtk("pub", &["--tls-use-os-certs", "-t", "tls", "-m", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn ten_thousand_retained_messages_reach_a_new_wildcard_subscriber() {
    for broker in brokers() {
        let input: String = (0..10_000).map(|i| format!("ret/{i}\t{i}\n")).collect();
        let publish = broker.mqtk("pub", &["-r", "-q", "1", "-l", "--topic-from-line", "\t"]);
        let out = run_with_input(publish, input.as_bytes());
        assert!(out.status.success(), "{}", text(&out.stderr));
        let sub = broker.mqtk("sub", &["-t", "#", "-C", "10000", "-W", "10", "-F", "%r"]);
        let out = finish(spawn(sub), LIMIT);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "1\n".repeat(10_000));
    }
}

/// Overlapping subscriptions: `mqtk serve` sends one message carrying every matching
/// subscription identifier (three here), and `sub` reads the payload intact (rumqttc's v5
/// decoder put the third identifier's bytes in front of it).
#[test]
fn sub_reads_a_message_with_several_subscription_identifiers() {
    let broker = Broker::mqtk_serve();
    let filters = ["-t", "a/#", "-t", "a/+", "-t", "a/b"];
    let id = [
        "-V",
        "5",
        "-D",
        "subscribe",
        "subscription-identifier",
        "7",
        "-C",
        "1",
    ];
    let sub = broker.subscribed(broker.mqtk("sub", &[&filters[..], &id[..]].concat()));
    ok(broker.mqtk("pub", &["-t", "a/b", "-m", "hello"]));
    assert_eq!(text(&finish(sub, LIMIT).stdout), "hello\n");
}

/// `--help` and `--version` of pub, sub and rr exit as mosquitto_pub, mosquitto_sub and
/// mosquitto_rr 2.0 do (1), with the text on stdout.
#[test]
fn help_and_version_exit_as_mosquittos_clients() {
    for client in ["pub", "sub", "rr"] {
        for flag in ["--help", "--version"] {
            let theirs = common::program(&format!("mosquitto_{client}"), &[flag])
                .output()
                .expect("mosquitto client");
            let ours = common::mqtk(&[client, flag]).output().expect("mqtk");
            assert_eq!(ours.status.code(), theirs.status.code(), "{client} {flag}");
            assert!(!ours.stdout.is_empty(), "{client} {flag} prints on stdout");
        }
    }
}

/// `-V 31` / `-V mqttv31`: pub and sub speak MQTT 3.1 (protocol `MQIsdp`, level 3, and
/// without `-i` a generated `mosq-` id, since 3.1 has no assigned ids) to mosquitto and to
/// `mqtk serve` alike.
#[test]
fn mqtt_3_1_clients_work_with_both_brokers() {
    for broker in [Broker::mosquitto(), Broker::mqtk_serve()] {
        let sub = broker.mqtk("sub", &["-V", "mqttv31", "-t", "v31", "-C", "1", "-v"]);
        let publish = ["-V", "31", "-t", "v31", "-m", "old", "-q", "1"];
        let out = broker.receive(sub, || {
            succeeds(broker.mqtk("pub", &publish));
        });
        assert_eq!(text(&out.stdout), "v31 old\n");
    }
    // mosquitto logs the protocol (p1: MQTT 3.1) and the id each client sent.
    let mosquitto = Broker::mosquitto();
    succeeds(mosquitto.mqtk("pub", &["-V", "31", "-t", "v31", "-m", "x"]));
    mosquitto.wait_for_log(" as mosq-");
    let log = mosquitto.log();
    let line = log.lines().find(|l| l.contains(" as mosq-")).expect("line");
    assert!(line.contains("(p1, c1, k60)"), "{line}");
}

/// `--remove-retained --retained-only -W 2`: print the retained messages, clear them, then
/// wait for a live one until `-W` (exit 27), as mosquitto_sub does: the clears coming back do
/// not end the run.
#[test]
fn remove_retained_only_clears_then_times_out() {
    for broker in brokers() {
        for name in ["mosquitto_sub", "mqtk"] {
            for (topic, body) in [("r/a", "A"), ("r/b", "B")] {
                publish(&broker, &["-t", topic, "-m", body, "-r"]);
            }
            let flags = [
                "-t",
                "r/#",
                "-v",
                "--remove-retained",
                "--retained-only",
                "-W",
                "2",
            ];
            let cmd = match name {
                "mqtk" => broker.mqtk("sub", &flags),
                _ => broker.program(name, &flags),
            };
            let out = finish(spawn(cmd), LIMIT);
            let mut lines: Vec<String> = text(&out.stdout).lines().map(String::from).collect();
            lines.sort(); // the store's order, which differs between runs in mosquitto
            assert_eq!(lines, ["r/a A", "r/b B"], "{name}");
            assert_eq!(out.status.code(), Some(27), "{name}: {}", text(&out.stderr));
            let left = ["-t", "r/#", "--retained-only", "-W", "1"];
            let left = finish(spawn(broker.program("mosquitto_sub", &left)), LIMIT);
            assert_eq!(text(&left.stdout), "", "{name} left retained messages");
        }
    }
}
