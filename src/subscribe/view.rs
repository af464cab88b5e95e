//! How `sub` shows what arrives: one output per message (mosquitto_sub 2.0's way), each topic
//! on a fixed terminal row (`-w`, mosquitto 2.1), or the number of messages per second
//! (`--message-rate`, mosquitto 2.1). The bytes are mosquitto_sub 2.1's.

use crate::codec::Publish;
use crate::format::Formatter;
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The way messages reach stdout.
pub enum View {
    /// Each message printed after the one before.
    Lines,
    /// `-w`: each topic on its own row, the cursor moved there before the message.
    Watch(Watch),
    /// `--message-rate`: a count each second instead of the messages.
    Rate(Rate),
}

impl View {
    /// Appends what `msg` adds to the output; a formatter error comes back to be reported.
    pub fn show(
        &mut self,
        formatter: &Formatter,
        msg: &Publish,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        match self {
            View::Lines => formatter.write(msg, out),
            View::Watch(watch) => {
                watch.move_to(&msg.topic, out);
                let written = formatter.write(msg, out);
                watch.move_below(out);
                written
            }
            View::Rate(rate) => {
                rate.add();
                Ok(())
            }
        }
    }

    /// A message `--random-filter` leaves out: under `-w` the cursor still goes to its topic's
    /// row (mosquitto_sub 2.1 moves it before drawing lots), and nothing else is printed.
    pub fn skip(&mut self, msg: &Publish, out: &mut Vec<u8>) {
        if let View::Watch(watch) = self {
            watch.move_to(&msg.topic, out);
        }
    }

    /// `--message-rate`: the count of messages since the last report, shared with whatever
    /// prints the last one when `-W` ends the run.
    pub fn rate_count(&self) -> Option<Arc<AtomicU64>> {
        match self {
            View::Rate(rate) => Some(rate.count.clone()),
            _ => None,
        }
    }

    /// Waits for the next `--message-rate` second; never returns for the other views.
    /// Cancel-safe: the second is taken only once it has come.
    pub async fn tick(&mut self) {
        let View::Rate(rate) = self else {
            return std::future::pending().await;
        };
        let due = *rate.due.get_or_insert_with(|| Instant::now() + SECOND);
        if rate.end.is_some_and(|end| due >= end) {
            // -W's last line is printed by its timeout, and only by it.
            return std::future::pending().await;
        }
        tokio::time::sleep_until(due).await;
        // A stalled stdout delays the next report rather than bunching them.
        let now = Instant::now();
        rate.due = Some(if due + SECOND > now {
            due + SECOND
        } else {
            now + SECOND
        });
    }

    /// At a `--message-rate` second: the count since the last one, as `N msgs/s`.
    pub fn on_tick(&mut self, out: &mut Vec<u8>) {
        if let View::Rate(rate) = self {
            rate_line(&rate.count, out);
        }
    }
}

/// `--message-rate`'s line: the messages counted since the last one (the count restarts).
pub fn rate_line(count: &AtomicU64, out: &mut Vec<u8>) {
    let n = count.swap(0, Ordering::Relaxed);
    out.extend_from_slice(format!("{n} msgs/s\n").as_bytes());
}

const SECOND: Duration = Duration::from_secs(1);

/// `--message-rate`: messages counted since the last report, and when the next is due (a
/// second after the first wait began).
#[derive(Default)]
pub struct Rate {
    count: Arc<AtomicU64>,
    due: Option<Instant>,
    /// No earlier than `-W`'s end: a report due then is left to the timeout, so the two cannot
    /// both print one.
    end: Option<Instant>,
}

impl Rate {
    /// A rate that `-W` (`timeout`, starting after now) ends.
    pub fn new(timeout: Option<Duration>) -> Rate {
        Rate {
            end: timeout.map(|t| Instant::now() + t),
            ..Rate::default()
        }
    }

    /// Counts one message.
    pub fn add(&self) {
        self.count.fetch_add(1, Ordering::Relaxed);
    }
}

/// `-w`: the terminal row of each topic, in order of first arrival from row 2 (row 1 holds
/// the `Broker:` line).
pub struct Watch {
    rows: HashMap<String, usize>,
}

impl Watch {
    /// Starts the screen as mosquitto_sub 2.1 does before connecting: clear it, cursor home,
    /// then `Broker: HOST`.
    pub fn new(host: &str, out: &mut Vec<u8>) -> Watch {
        let _ = writeln!(out, "\x1b[2J\x1b[1;1HBroker: {host}");
        Watch {
            rows: HashMap::new(),
        }
    }

    /// Moves the cursor to the start of `topic`'s row, giving a new topic the next row.
    fn move_to(&mut self, topic: &str, out: &mut Vec<u8>) {
        let next = self.rows.len() + 2;
        let row = match self.rows.get(topic) {
            Some(&row) => row,
            None => *self.rows.entry(topic.to_owned()).or_insert(next),
        };
        let _ = write!(out, "\x1b[{row};1H");
    }

    /// After a message: to the last topic's row, then a line break below it.
    fn move_below(&self, out: &mut Vec<u8>) {
        let _ = writeln!(out, "\x1b[{};1H", self.rows.len() + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::OutputOptions;

    fn show(view: &mut View, topic: &str, payload: &str) -> String {
        let formatter = Formatter::new(&OutputOptions {
            verbose: true,
            ..Default::default()
        })
        .unwrap();
        let msg = Publish {
            topic: topic.into(),
            payload: payload.to_owned().into(),
            ..Publish::default()
        };
        let mut out = Vec::new();
        view.show(&formatter, &msg, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn watch_moves_to_each_topic_row() {
        let mut out = Vec::new();
        let mut view = View::Watch(Watch::new("localhost", &mut out));
        assert_eq!(out, b"\x1b[2J\x1b[1;1HBroker: localhost\n");
        assert_eq!(show(&mut view, "a", "1"), "\x1b[2;1Ha 1\n\x1b[2;1H\n");
        assert_eq!(show(&mut view, "b", "1"), "\x1b[3;1Hb 1\n\x1b[3;1H\n");
        assert_eq!(show(&mut view, "a", "22"), "\x1b[2;1Ha 22\n\x1b[3;1H\n");
        let mut out = Vec::new();
        let skipped = Publish {
            topic: "c".into(),
            ..Publish::default()
        };
        view.skip(&skipped, &mut out);
        assert_eq!(out, b"\x1b[4;1H");
        assert_eq!(show(&mut view, "b", "2"), "\x1b[3;1Hb 2\n\x1b[4;1H\n");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_counts_each_second() {
        let formatter = Formatter::new(&Default::default()).unwrap();
        let mut view = View::Rate(Rate::default());
        let mut out = Vec::new();
        for _ in 0..3 {
            view.show(&formatter, &Publish::default(), &mut out)
                .unwrap();
        }
        assert!(out.is_empty());
        let start = Instant::now();
        view.tick().await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        view.on_tick(&mut out);
        view.tick().await;
        view.on_tick(&mut out);
        assert_eq!(out, b"3 msgs/s\n0 msgs/s\n");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_leaves_the_last_second_to_the_timeout() {
        let mut view = View::Rate(Rate::new(Some(Duration::from_secs(2))));
        view.tick().await;
        let second = tokio::time::timeout(Duration::from_secs(5), view.tick()).await;
        assert!(
            second.is_err(),
            "the report due at -W's end is the timeout's"
        );
    }
}
