//! `mqtk pub`: publish one message (possibly repeated) or one message per stdin line.
//!
//! Every QoS 1/2 message is acknowledged before DISCONNECT, so `pub` exiting 0 means the
//! broker has them all. Lines are read in large chunks and published into the client's write
//! buffer, so a burst of short lines goes out in a few syscalls.

use crate::cli::{self, PubArgs};
use crate::client::{Client, ClientError, Event};
use crate::codec::{Properties, Publish, QoS, Reason};
use crate::connect;
use bytes::{Bytes, BytesMut};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};

/// Stop reading stdin while this much is queued for the socket, so memory stays bounded
/// when the broker is slower than the pipe.
const MAX_PENDING: usize = 1 << 20;

/// What to publish, resolved from the command line.
#[derive(Clone, Debug)]
pub struct Job {
    pub topic: String,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 PUBLISH properties from `-D publish ...`.
    pub properties: Properties,
    pub payload: Payload,
}

/// Where the payload comes from.
#[derive(Clone, Debug)]
pub enum Payload {
    /// One message (`-m`, `-f`, `-s`, `-n`), sent `repeat` times `delay` apart.
    Single {
        body: Bytes,
        repeat: u32,
        delay: Duration,
    },
    /// `-l`: one message per line of stdin; with `topic_separator`, each line is
    /// `topic SEP payload`.
    Lines { topic_separator: Option<String> },
}

/// Builds successive PUBLISH packets: after the first, an MQTT 5 topic alias stands in for
/// the topic, as mosquitto_pub does.
struct Publisher {
    job: Job,
    aliased: bool,
}

impl Publisher {
    fn packet(&mut self, topic: Option<&str>, payload: Bytes) -> Publish {
        let alias = self.job.properties.topic_alias.is_some() && topic.is_none();
        let topic = match (topic, alias && self.aliased) {
            (Some(t), _) => t.to_string(),
            (None, true) => String::new(),
            (None, false) => self.job.topic.clone(),
        };
        self.aliased |= alias;
        Publish {
            qos: self.job.qos,
            retain: self.job.retain,
            topic,
            payload,
            properties: self.job.properties.clone(),
            ..Publish::default()
        }
    }
}

/// `mqtk pub`: returns the process exit status.
pub fn main(args: PubArgs) -> i32 {
    let version = args.version();
    let (props, target) = match connect::prepare(&args.connect, version) {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let payload = match load(&args) {
        Ok(payload) => payload,
        Err(message) => {
            eprintln!("{message}");
            return 1;
        }
    };
    let job = Job {
        topic: args.topic().unwrap_or_default().to_string(),
        qos: args.connect.qos,
        retain: args.retain,
        properties: props.publish.clone(),
        payload,
    };
    let disconnect = Reason {
        code: 0,
        properties: props.disconnect.clone(),
    };
    let result = connect::block_on(async move {
        let client = target.open().await?;
        run(client, job, tokio::io::stdin(), disconnect).await
    });
    match result {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => connect::report(&e, args.connect.quiet),
        Err(e) => {
            eprintln!("Error: {e}");
            1
        }
    }
}

/// Reads the payload the options name, with mosquitto_pub's messages on failure.
fn load(args: &PubArgs) -> Result<Payload, String> {
    let single = |body: Vec<u8>| Payload::Single {
        body: Bytes::from(body),
        repeat: args.repeat,
        delay: args.repeat_delay,
    };
    Ok(match args.payload() {
        Some(cli::Payload::Message(body)) => single(body),
        Some(cli::Payload::Null) | None => single(Vec::new()),
        Some(cli::Payload::File(path)) => single(std::fs::read(&path).map_err(|_| {
            let path = path.display();
            format!("Error: Unable to open file \"{path}\".\nError loading input file \"{path}\".")
        })?),
        Some(cli::Payload::Stdin) => {
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
                .map_err(|e| format!("Error: {e}"))?;
            if body.is_empty() {
                return Err("Error: Zero length input.\nError loading input from stdin.".into());
            }
            single(body)
        }
        Some(cli::Payload::Lines) => Payload::Lines {
            topic_separator: args.topic_from_line.clone(),
        },
    })
}

/// Publishes `job` on `client`, waits for every acknowledgement, then disconnects.
pub async fn run<S, R>(
    mut client: Client<S>,
    job: Job,
    stdin: R,
    disconnect: Reason,
) -> Result<(), ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    let mut publisher = Publisher {
        job: job.clone(),
        aliased: false,
    };
    match job.payload {
        Payload::Single {
            body,
            repeat,
            delay,
        } => publish_repeated(&mut client, &mut publisher, body, repeat, delay).await?,
        Payload::Lines { topic_separator } => {
            let lines = LineReader::new(stdin, topic_separator);
            publish_lines(&mut client, &mut publisher, lines).await?
        }
    }
    client.disconnect(disconnect).await
}

async fn publish_repeated<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
    publisher: &mut Publisher,
    body: Bytes,
    repeat: u32,
    delay: Duration,
) -> Result<(), ClientError> {
    let repeat = repeat.max(1);
    for i in 0..repeat {
        if i > 0 && !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        client.publish(publisher.packet(None, body.clone()))?;
        // The last QoS 0 message goes out with DISCONNECT, in one write.
        if i + 1 < repeat || client.inflight() > 0 {
            drain(client).await?;
        }
    }
    Ok(())
}

/// Waits until every QoS 1/2 publish is complete and everything queued is written.
async fn drain<S: AsyncRead + AsyncWrite + Unpin>(
    client: &mut Client<S>,
) -> Result<(), ClientError> {
    client.flush().await?;
    while client.inflight() > 0 {
        on_event(client.next_event().await?);
    }
    Ok(())
}

/// mosquitto_pub prints a warning for a negative acknowledgement and carries on.
fn on_event(event: Event) {
    if let Event::Delivered { reason, .. } = event {
        if reason >= 0x80 {
            eprintln!(
                "Warning: Publish {} failed: {}.",
                reason,
                crate::client::connack_text(reason)
            );
        }
    }
}

async fn publish_lines<S, R>(
    client: &mut Client<S>,
    publisher: &mut Publisher,
    mut lines: LineReader<R>,
) -> Result<(), ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    R: AsyncRead + Unpin,
{
    loop {
        while client.can_publish() && client.pending() < MAX_PENDING {
            let Some((topic, payload)) = lines.next_line() else {
                break;
            };
            let packet = publisher.packet(topic.as_deref(), payload);
            if packet.topic.is_empty() && topic.is_some() {
                eprintln!("Warning: line without a topic skipped");
                continue;
            }
            client.publish(packet)?;
        }
        if lines.finished() {
            return drain(client).await;
        }
        if client.pending() >= MAX_PENDING {
            // Back-pressure: nothing may come back for QoS 0, so write before reading more.
            client.flush().await?;
            continue;
        }
        tokio::select! {
            read = lines.fill(), if client.can_publish() => { read.map_err(ClientError::Io)?; }
            event = client.next_event() => on_event(event?),
        }
    }
}

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
            buf: BytesMut::with_capacity(64 * 1024),
            eof: false,
            separator,
        }
    }

    /// Reads more input; at end of input a partial last line becomes a whole one.
    pub async fn fill(&mut self) -> std::io::Result<()> {
        self.buf.reserve(64 * 1024);
        if self.input.read_buf(&mut self.buf).await? == 0 {
            self.eof = true;
        }
        Ok(())
    }

    /// True once every line has been handed out.
    pub fn finished(&self) -> bool {
        self.eof && self.buf.is_empty()
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
