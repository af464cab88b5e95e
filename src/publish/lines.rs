//! `pub -l`'s input: stdin read in large chunks and cut into messages.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt};

/// How much of stdin is read at once.
pub(super) const READ_SIZE: usize = 64 * 1024;

/// Splits stdin into messages exactly as `mosquitto_pub -l` does: only `\n` is stripped,
/// an empty line is an empty message, and a last line without `\n` still counts.
pub struct LineReader<R> {
    input: R,
    buf: BytesMut,
    eof: bool,
    separator: Option<String>,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    /// Reads lines from `input`; with `separator`, each line carries its own topic.
    pub fn new(input: R, separator: Option<String>) -> LineReader<R> {
        LineReader {
            input,
            buf: BytesMut::with_capacity(READ_SIZE),
            eof: false,
            separator,
        }
    }

    /// Reads more input; at end of input a partial last line becomes a whole one.
    pub async fn fill(&mut self) -> std::io::Result<()> {
        self.buf.reserve(READ_SIZE);
        if self.input.read_buf(&mut self.buf).await? == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// True once every line has been handed out.
    pub fn finished(&self) -> bool {
        self.eof && self.buf.is_empty()
    }

    /// True once the input has ended, lines may still be buffered.
    pub fn ended(&self) -> bool {
        self.eof
    }

    /// True while input may still come and the buffer holds less than [`READ_SIZE`]: while
    /// disconnected, `pub -l` reads no further ahead.
    pub(super) fn has_room(&self) -> bool {
        !self.eof && self.buf.len() < READ_SIZE
    }

    /// How many messages the buffer still holds.
    pub(super) fn remaining(&self) -> usize {
        let lines = self.buf.iter().filter(|&&b| b == b'\n').count();
        lines + usize::from(!self.buf.is_empty() && !self.buf.ends_with(b"\n"))
    }

    /// The next complete line as (topic, payload); the topic only with a separator.
    pub fn next_line(&mut self) -> Option<(Option<String>, Bytes)> {
        let line = match newline(&self.buf) {
            Some(i) => {
                let line = self.buf.split_to(i + 1).freeze();
                line.slice(..i)
            }
            None if self.eof && !self.buf.is_empty() => self.buf.split().freeze(),
            None => return None,
        };
        Some(self.split_topic(line))
    }

    fn split_topic(&self, line: Bytes) -> (Option<String>, Bytes) {
        let Some(sep) = &self.separator else {
            return (None, line);
        };
        let at = line
            .windows(sep.len().max(1))
            .position(|w| w == sep.as_bytes());
        match at {
            Some(i) => {
                let topic = String::from_utf8_lossy(&line[..i]).into_owned();
                (Some(topic), line.slice(i + sep.len()..))
            }
            None => (Some(String::new()), line),
        }
    }
}

fn newline(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &'static [u8], sep: Option<&str>) -> Vec<(Option<String>, Bytes)> {
        let mut reader = LineReader::new(input, sep.map(String::from));
        let mut out = Vec::new();
        while !reader.finished() {
            while let Some(line) = reader.next_line() {
                out.push(line);
            }
            if !reader.finished() {
                reader.fill().await.unwrap();
            }
        }
        out
    }

    #[tokio::test]
    async fn splits_like_mosquitto_pub() {
        let got = lines(b"a\r\n\nlast", None).await;
        let payloads: Vec<&[u8]> = got.iter().map(|(_, p)| &p[..]).collect();
        assert_eq!(payloads, vec![&b"a\r"[..], b"", b"last"]);
        assert!(lines(b"", None).await.is_empty());
    }

    #[tokio::test]
    async fn takes_topics_from_lines() {
        let got = lines(b"t/1\tx\ny\n", Some("\t")).await;
        assert_eq!(got[0], (Some("t/1".into()), Bytes::from_static(b"x")));
        assert_eq!(got[1], (Some(String::new()), Bytes::from_static(b"y")));
    }
}
