//! `mqtk pub -l` across broker restarts: brokers killed with SIGKILL and started again on the
//! same port, with real subscribers on either side of the outage.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(10);

/// A running `pub -l` fed through a pipe, its stderr followed line by line.
struct LinePub {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Receiver<String>,
    seen: Vec<String>,
}

impl LinePub {
    fn start(mut cmd: Command) -> LinePub {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn pub");
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        LinePub {
            stdin: child.stdin.take(),
            child,
            stderr: rx,
            seen: Vec::new(),
        }
    }

    fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).expect("write to pub");
        stdin.flush().expect("flush");
    }

    /// Waits for a stderr line containing `needle`; every line is kept for [`LinePub::end`].
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + LIMIT;
        while !self.seen.iter().any(|l| l.contains(needle)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => panic!("no {needle:?} on stderr; saw {:?}", self.seen),
            }
        }
    }

    /// Closes stdin and waits (at most `limit`) for the exit; returns the status, every
    /// stderr line, and how long the exit took after stdin closed.
    fn end(mut self, limit: Duration) -> (ExitStatus, Vec<String>, Duration) {
        drop(self.stdin.take());
        let closed = Instant::now();
        let out = finish(self.child, limit);
        let took = closed.elapsed();
        self.seen.extend(self.stderr.iter());
        (out.status, self.seen, took)
    }
}

/// `pub -t TOPIC -q 1 -l`, once its first line `first` has reached a subscriber.
fn connected_pub(broker: &Broker, topic: &str) -> LinePub {
    let sub = broker.subscribed(broker.mqtk("sub", &["-t", topic, "-q", "1", "-C", "1"]));
    let mut publisher = LinePub::start(broker.mqtk("pub", &["-t", topic, "-q", "1", "-l"]));
    publisher.write("first\n");
    assert_eq!(text(&finish(sub, LIMIT).stdout), "first\n");
    publisher
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Lines written before, during and after a broker restart all arrive, in order, and `pub`
/// still exits 0 once stdin closes.
#[test]
fn pub_l_resends_across_a_broker_restart() {
    for mut broker in [Broker::mqtk_serve(), Broker::mosquitto()] {
        let mut publisher = connected_pub(&broker, "l");

        broker.kill();
        publisher.write("down 1\n");
        publisher.wait_for("Connection lost: ");
        // A failed attempt: the next one is a second away, time to restart and subscribe.
        publisher.wait_for("Error: Connection refused");
        publisher.write("down 2\n");
        broker.start_again();
        let late = broker.subscribed(broker.mqtk("sub", &["-t", "l", "-q", "1", "-C", "4"]));
        publisher.write("up 1\nup 2\n");
        let (status, stderr, _) = publisher.end(LIMIT);
        assert!(status.success(), "{status:?} {stderr:?}");
        assert!(
            stderr[0].ends_with("; reconnecting"),
            "one line for the loss: {stderr:?}"
        );
        assert_eq!(
            text(&finish(late, LIMIT).stdout),
            "down 1\ndown 2\nup 1\nup 2\n"
        );
    }
}

/// With the broker gone for good, closing stdin ends `pub` within the documented five
/// seconds, with status 7 and the count of lines that never reached a broker.
#[test]
fn pub_l_gives_up_five_seconds_after_input_ends_without_a_broker() {
    let mut broker = Broker::mqtk_serve();
    let mut publisher = connected_pub(&broker, "g");
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

/// Reconnecting never stops Ctrl-C or SIGTERM from ending `pub` at once.
#[test]
fn pub_l_ends_at_once_on_sigterm_while_reconnecting() {
    let mut broker = Broker::mqtk_serve();
    let mut publisher = connected_pub(&broker, "s");
    broker.kill();
    publisher.wait_for("Connection lost: ");
    let pid = publisher.child.id().to_string();
    let sent = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    let (status, _, _) = publisher.end(LIMIT);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(15)
    );
    assert!(sent.elapsed() < Duration::from_millis(500));
}

/// A broker that comes back refusing us ends `pub` with mosquitto's CONNACK status.
#[test]
fn pub_l_exits_with_the_connack_code_when_a_reconnect_is_refused() {
    let mut broker = Broker::mosquitto();
    let mut publisher = connected_pub(&broker, "r");
    broker.kill();
    publisher.wait_for("Connection lost: ");
    let dir = tempfile::tempdir().expect("tempdir");
    let passwords = dir.path().join("pw");
    std::fs::write(&passwords, "").expect("password file");
    broker.configure_mosquitto(&format!(
        "allow_anonymous false\npassword_file {}",
        passwords.display()
    ));
    broker.start_again();
    publisher.wait_for("Connection error: ");
    let (status, stderr, _) = publisher.end(LIMIT);
    assert_eq!(status.code(), Some(5), "{stderr:?}");
}
