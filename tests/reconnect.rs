//! `mqtk pub -l` and `mqtk sub` across lost connections: brokers killed with SIGKILL and
//! started again on the same port, a proxy cutting connections while the broker keeps the
//! session, and real subscribers on either side of the outage.

mod common;

use common::*;
use std::io::Write;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(10);

/// A running `pub -l` fed through a pipe, its stdout (`-d` lines) and stderr followed.
struct LinePub {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Lines,
}

impl LinePub {
    fn start(mut cmd: Command) -> LinePub {
        cmd.stdin(Stdio::piped());
        let mut child = spawn(cmd);
        LinePub {
            stdin: child.stdin.take(),
            output: Lines::follow(&mut child, true),
            child,
        }
    }

    fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).expect("write to pub");
        stdin.flush().expect("flush");
    }

    /// Sends `signal` (`STOP`, `CONT`) to the running `pub`.
    fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        let sent = Command::new(tool("kill"))
            .args([&format!("-{signal}"), &pid])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{signal} {pid}");
    }

    /// Waits for a line containing `needle` after the one the last wait matched.
    fn wait_for(&mut self, needle: &str) {
        self.output.wait_for(needle);
    }

    /// Closes stdin and waits for a successful exit; returns every output line.
    fn end_ok(self) -> Vec<String> {
        let (status, output, _) = self.end(LIMIT);
        assert!(status.success(), "{status:?} {output:?}");
        output
    }

    /// Closes stdin and waits (at most `limit`) for the exit; returns the status, every
    /// output line, and how long the exit took after stdin closed.
    fn end(mut self, limit: Duration) -> (ExitStatus, Vec<String>, Duration) {
        drop(self.stdin.take());
        let closed = Instant::now();
        let out = finish(self.child, limit);
        let took = closed.elapsed();
        (out.status, self.output.all(), took)
    }
}

/// `sub -t TOPIC -q 1 -C COUNT`, once subscribed.
fn subscriber(broker: &Broker, topic: &str, count: &str) -> Child {
    broker.subscribed(broker.mqtk("sub", &["-t", topic, "-q", "1", "-C", count]))
}

/// Starts the stopped `broker` again with a [`subscriber`] waiting for `count` messages. The
/// `publisher` is paused meanwhile, so that its next attempt cannot come before the
/// subscription however slow the restart.
fn restart_with_subscriber(
    broker: &mut Broker,
    publisher: &LinePub,
    topic: &str,
    count: &str,
) -> Child {
    publisher.signal("STOP");
    broker.start_again();
    let sub = subscriber(broker, topic, count);
    publisher.signal("CONT");
    sub
}

/// What a subscriber printed before it ended.
fn received(sub: Child) -> String {
    text(&finish(sub, LIMIT).stdout)
}

/// `pub -t TOPIC -q 1 -l -d ARGS`, once its first line `first` has reached a subscriber and
/// `pub` has its PUBACK (the broker may forward before it acknowledges; until the PUBACK,
/// `first` would be resent after a restart and counted as not delivered).
fn connected_pub(broker: &Broker, topic: &str, args: &[&str]) -> LinePub {
    let sub = subscriber(broker, topic, "1");
    let mut cmd = broker.mqtk("pub", &["-t", topic, "-q", "1", "-l", "-d"]);
    let mut publisher = LinePub::start({
        cmd.args(args);
        cmd
    });
    publisher.write("first\n");
    assert_eq!(received(sub), "first\n");
    publisher.wait_for("received PUBACK");
    publisher
}

/// Lines written before, during and after a broker restart all arrive, in order, and `pub`
/// still exits 0 once stdin closes.
#[test]
fn pub_l_resends_across_a_broker_restart() {
    for mut broker in [Broker::mqtk_serve(), Broker::mosquitto()] {
        let mut publisher = connected_pub(&broker, "l", &[]);

        broker.kill();
        publisher.write("down 1\n");
        publisher.wait_for("Connection lost: ");
        // A failed attempt: the next one is a second away, time to restart and subscribe.
        publisher.wait_for("Error: Connection refused");
        publisher.write("down 2\n");
        let late = restart_with_subscriber(&mut broker, &publisher, "l", "4");
        publisher.write("up 1\nup 2\n");
        let stderr = publisher.end_ok();
        let lost: Vec<&String> = stderr
            .iter()
            .filter(|l| l.contains("Connection lost"))
            .collect();
        assert_eq!(lost.len(), 1, "one line for the loss: {stderr:?}");
        assert!(lost[0].ends_with("; reconnecting"), "{stderr:?}");
        assert_eq!(received(late), "down 1\ndown 2\nup 1\nup 2\n");
    }
}

/// An MQTT 5 broker shutting down says so (DISCONNECT 0x8B): `pub` reconnects, and since the
/// new connection knows no topic alias, names the topic again.
#[test]
fn pub_l_reconnects_after_a_v5_shutdown_and_sets_its_topic_alias_again() {
    let mut broker = Broker::mqtk_serve();
    let alias = ["-V", "5", "-D", "publish", "topic-alias", "1"];
    let mut publisher = connected_pub(&broker, "v", &alias);
    broker.stop("TERM");
    publisher.wait_for("Connection lost: Disconnected by the broker");
    publisher.wait_for("Error: Connection refused");
    let late = restart_with_subscriber(&mut broker, &publisher, "v", "2");
    publisher.write("third\nfourth\n");
    publisher.end_ok();
    assert_eq!(received(late), "third\nfourth\n");
}

/// With the broker gone for good, closing stdin ends `pub` within the documented five
/// seconds, with status 7 and the count of lines that never reached a broker.
#[test]
fn pub_l_gives_up_five_seconds_after_input_ends_without_a_broker() {
    let mut broker = Broker::mqtk_serve();
    let mut publisher = connected_pub(&broker, "g", &[]);
    broker.kill();
    publisher.wait_for("Connection lost: ");
    publisher.write("lost 1\nlost 2\n");
    let (status, stderr, took) = publisher.end(LIMIT);
    assert_eq!(status.code(), Some(7), "{stderr:?}");
    assert_eq!(
        stderr.last().map(String::as_str),
        Some("Error: no broker 5 s after the end of input; 2 messages not delivered")
    );
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(7),
        "{took:?}"
    );
}

/// A broker that comes back refusing us ends `pub` with mosquitto's CONNACK status.
#[test]
fn pub_l_exits_with_the_connack_code_when_a_reconnect_is_refused() {
    let mut broker = Broker::mosquitto();
    let mut publisher = connected_pub(&broker, "r", &[]);
    broker.kill();
    publisher.wait_for("Connection lost: ");
    // The clients give no username, so they are refused.
    broker.configure_mosquitto("allow_anonymous false");
    broker.start_again();
    publisher.wait_for("Connection error: ");
    let (status, stderr, _) = publisher.end(LIMIT);
    assert_eq!(status.code(), Some(5), "{stderr:?}");
}

/// Lines the broker never acknowledged (it was frozen, then killed) go again after the
/// restart, with DUP set and new packet ids since the session is new.
#[test]
fn pub_l_resends_unacknowledged_lines_with_dup_after_a_restart() {
    for mut broker in [Broker::mqtk_serve(), Broker::mosquitto()] {
        let mut publisher = connected_pub(&broker, "u", &[]);
        broker.freeze();
        publisher.write("held 1\nheld 2\n");
        publisher.wait_for("sending PUBLISH (d0, q1, r0, m3, 'u', ... (6 bytes))");
        broker.kill();
        publisher.wait_for("Connection lost: ");
        publisher.wait_for("Error: Connection refused");
        let late = restart_with_subscriber(&mut broker, &publisher, "u", "2");
        publisher.wait_for("sending PUBLISH (d1, q1, r0, m1, 'u', ... (6 bytes))");
        publisher.wait_for("sending PUBLISH (d1, q1, r0, m2, 'u', ... (6 bytes))");
        publisher.end_ok();
        assert_eq!(received(late), "held 1\nheld 2\n");
    }
}

/// With `-c` the broker keeps the session across a cut connection: unacknowledged QoS 2
/// lines go again under their own packet ids and arrive exactly once.
#[test]
fn pub_l_keeps_packet_ids_when_the_broker_kept_the_session() {
    for broker in [Broker::mosquitto(), Broker::mqtk_serve()] {
        let proxy = Proxy::to(broker.port);
        let watcher = broker.subscribed(broker.mqtk("sub", &["-t", "k", "-q", "2", "-C", "4"]));
        let port = proxy.port.to_string();
        let args = [
            "-p", &port, "-t", "k", "-q", "2", "-l", "-c", "-i", "keeper", "-d",
        ];
        let mut cmd = mqtk(&["pub", "-h", "127.0.0.1"]);
        cmd.args(args);
        let mut publisher = LinePub::start(cmd);
        publisher.write("first\n");
        publisher.wait_for("received PUBCOMP (Mid: 1, RC:0)");
        proxy.hold_replies();
        publisher.write("held 1\nheld 2\n");
        // Both PUBRECs (4 bytes each) came and were dropped: the broker holds both messages.
        let deadline = Instant::now() + LIMIT;
        while proxy.held() < 8 {
            assert!(Instant::now() < deadline, "no PUBREC from the broker");
            std::thread::sleep(Duration::from_millis(10));
        }
        proxy.cut();
        publisher.wait_for("Connection lost: ");
        publisher.wait_for("sending PUBLISH (d1, q2, r0, m2, 'k', ... (6 bytes))");
        publisher.wait_for("sending PUBLISH (d1, q2, r0, m3, 'k', ... (6 bytes))");
        publisher.end_ok();
        let mut end = broker.mqtk("pub", &["-t", "k", "-q", "2", "-m", "end"]);
        assert!(end.status().expect("pub").success());
        assert_eq!(received(watcher), "first\nheld 1\nheld 2\nend\n");
    }
}

/// `sub` ends like mosquitto_sub when the broker comes back refusing it: status 5 and
/// mosquitto's line.
#[test]
fn sub_exits_like_mosquitto_sub_when_a_reconnect_is_refused() {
    let mut broker = Broker::mosquitto();
    let ours = broker.subscribed(broker.mqtk("sub", &["-t", "x"]));
    let theirs = broker.subscribed(broker.program("mosquitto_sub", &["-t", "x"]));
    broker.kill();
    // The clients give no username, so they are refused.
    broker.configure_mosquitto("allow_anonymous false");
    broker.start_again();
    for child in [ours, theirs] {
        let out = finish(child, LIMIT);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(5), "{stderr}");
        assert_eq!(
            stderr.lines().last(),
            Some("Connection error: Connection Refused: not authorised.")
        );
    }
}

/// A broker that closes `sub`'s first connection before CONNACK (as rumqttd closes an MQTT 3.1
/// CONNECT): mosquitto_sub connects again, silently, and so does `sub`; the second connection
/// is answered and brings the message `-C 1` waits for.
#[test]
fn sub_retries_a_connection_closed_before_its_connack() {
    for (name, mut cmd) in [
        ("mosquitto_sub", program("mosquitto_sub", &[])),
        ("mqtk sub", mqtk(&["sub"])),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port().to_string();
        cmd.args(["-h", "127.0.0.1", "-p", &port, "-t", "x", "-C", "1"]);
        let child = spawn(cmd);
        let (first, _) = listener.accept().expect("first connection");
        drop(first);
        let (mut second, _) = listener.accept().expect("second connection");
        second.set_read_timeout(Some(LIMIT)).expect("timeout");
        assert!(
            wire::next_frame(&mut second).starts_with("10"),
            "{name}: no CONNECT"
        );
        second.write_all(&[0x20, 2, 0, 0]).expect("CONNACK");
        let subscribe = wire::next_frame(&mut second);
        let pkid = u16::from_str_radix(&subscribe[4..8], 16).expect("packet id");
        let [hi, lo] = pkid.to_be_bytes();
        second.write_all(&[0x90, 3, hi, lo, 0]).expect("SUBACK");
        second
            .write_all(&[0x30, 5, 0, 1, b'x', b'h', b'i'])
            .expect("PUBLISH");
        let out = finish(child, LIMIT);
        assert_eq!(
            (out.status.code(), text(&out.stdout), text(&out.stderr)),
            (Some(0), "hi\n".to_string(), String::new()),
            "{name}"
        );
    }
}
