//! How `sub` shows what arrives: one output per message (mosquitto_sub 2.0's way), one fixed
//! terminal line per topic rewritten in place (`-w`, mosquitto 2.1), or the number of
//! messages per second (`--message-rate`, mosquitto 2.1).

use crate::codec::Publish;
use crate::format::Formatter;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// The way messages reach stdout.
pub enum View {
    /// Each message printed after the one before.
    Lines,
    /// `-w`: each topic on its own line, updated in place.
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
                let mut text = Vec::new();
                let written = formatter.write(msg, &mut text);
                watch.place(&msg.topic, &text, out);
                written
            }
            View::Rate(rate) => {
                rate.count += 1;
                Ok(())
            }
        }
    }

    /// Waits for the next `--message-rate` second; never returns for the other views.
    /// Cancel-safe: the second is taken only once it has come.
    pub async fn tick(&mut self) {
        let View::Rate(rate) = self else {
            return std::future::pending().await;
        };
        let due = *rate.due.get_or_insert_with(|| Instant::now() + SECOND);
        tokio::time::sleep_until(due).await;
        // A stalled stdout delays the next report rather than bunching them.
        let now = Instant::now();
        rate.due = Some(if due + SECOND > now {
            due + SECOND
        } else {
            now + SECOND
        });
    }

    /// At a `--message-rate` second: the count since the last one, on a line of its own.
    pub fn on_tick(&mut self, out: &mut Vec<u8>) {
        if let View::Rate(rate) = self {
            out.extend_from_slice(format!("{}\n", rate.count).as_bytes());
            rate.count = 0;
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);

/// `--message-rate`: messages counted since the last report, and when the next is due (a
/// second after the first wait began).
#[derive(Default)]
pub struct Rate {
    count: u64,
    due: Option<Instant>,
}

/// `-w`: the terminal row of each topic, in order of first arrival below where output began.
#[derive(Default)]
pub struct Watch {
    rows: HashMap<String, usize>,
    /// Rows written so far; the cursor waits at the start of the row below them.
    lines: usize,
    /// The terminal's width: a longer line is cut so it cannot wrap and shift the rows.
    columns: Option<usize>,
}

impl Watch {
    pub fn new(columns: Option<usize>) -> Watch {
        Watch {
            columns,
            ..Watch::default()
        }
    }

    /// Writes `text` (a formatted message) on `topic`'s row: a new row at the bottom for a
    /// new topic, else up to its row, clear it, write, and back down.
    fn place(&mut self, topic: &str, text: &[u8], out: &mut Vec<u8>) {
        let line = self.one_line(text);
        match self.rows.get(topic) {
            Some(&row) => {
                let up = self.lines - row;
                out.extend_from_slice(format!("\x1b[{up}A\r\x1b[2K").as_bytes());
                out.extend_from_slice(&line);
                out.extend_from_slice(format!("\x1b[{up}B\r").as_bytes());
            }
            None => {
                self.rows.insert(topic.to_owned(), self.lines);
                self.lines += 1;
                out.extend_from_slice(&line);
                out.push(b'\n');
            }
        }
    }

    /// `text` as one row: without its end of line, other line breaks as spaces, cut to the
    /// terminal's width in characters.
    fn one_line(&self, text: &[u8]) -> Vec<u8> {
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let text = String::from_utf8_lossy(text).replace(['\n', '\r'], " ");
        match self.columns {
            Some(columns) => text.chars().take(columns).collect::<String>().into_bytes(),
            None => text.into_bytes(),
        }
    }
}

/// The width of the terminal on stdout, when stdout is one.
pub fn terminal_columns() -> Option<usize> {
    let (width, _) = terminal_size::terminal_size_of(std::io::stdout())?;
    Some(usize::from(width.0)).filter(|&columns| columns > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(watch: &mut Watch, topic: &str, text: &str) -> String {
        let mut out = Vec::new();
        watch.place(topic, text.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn watch_rewrites_each_topic_on_its_own_row() {
        let mut watch = Watch::new(None);
        assert_eq!(place(&mut watch, "a", "a 1\n"), "a 1\n");
        assert_eq!(place(&mut watch, "b", "b 1\n"), "b 1\n");
        assert_eq!(
            place(&mut watch, "a", "a 2\n"),
            "\x1b[2A\r\x1b[2Ka 2\x1b[2B\r"
        );
        assert_eq!(
            place(&mut watch, "b", "b\n2\n"),
            "\x1b[1A\r\x1b[2Kb 2\x1b[1B\r"
        );
    }

    #[test]
    fn watch_cuts_rows_to_the_terminal() {
        let mut watch = Watch::new(Some(3));
        assert_eq!(place(&mut watch, "t", "éabcdef\n"), "éab\n");
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
        assert_eq!(out, b"3\n0\n");
    }
}
