//! `mqtk pub`: publish one message (possibly repeated) or one message per stdin line.
//!
//! Every QoS 1/2 message is acknowledged before DISCONNECT, so `pub` exiting 0 means the
//! broker has them all. Lines are read in large chunks and published into the client's write
//! buffer, so a burst of short lines goes out in a few syscalls. `-l` is a long-running pipe,
//! so it reconnects after a lost connection and resends what was not acknowledged; a single
//! message leaves that to its caller.

use crate::cli::{self, PubArgs};
use crate::client::{Client, ClientError, Event};
use crate::codec::{Props, Publish, QoS, Reason};
use crate::connect::{self, Tool};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::time::Instant;

/// Stop reading stdin while this much is queued for the socket, so memory stays bounded
/// when the broker is slower than the pipe.
const MAX_PENDING: usize = 1 << 20;

/// How much of stdin is read at once.
const READ_SIZE: usize = 64 * 1024;

/// Once stdin has ended, `pub -l` tries to reconnect this long before it gives up: enough
/// for a broker restart, short enough that a script whose broker is gone learns of it.
const GIVE_UP_AFTER_INPUT: Duration = Duration::from_secs(5);

/// What to publish, resolved from the command line.
#[derive(Clone, Debug)]
pub struct PublishJob {
    pub topic: String,
    pub qos: QoS,
    pub retain: bool,
    /// MQTT 5 PUBLISH properties from `-D publish ...`, boxed once: each message clones
    /// nothing while there are none.
    pub properties: Props,
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
    job: PublishJob,
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
    let (props, target) = match connect::prepare(&args.connect, version, Tool::Pub) {
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
    let job = PublishJob {
        topic: args.topic().unwrap_or_default().to_string(),
        qos: args.connect.qos,
        retain: args.retain,
        properties: props.publish.clone().into(),
        payload,
    };
    let disconnect = Reason {
        code: 0,
        properties: props.disconnect.clone().into(),
    };
    let quiet = args.connect.quiet;
    let session = run(|| target.open(), job, tokio::io::stdin(), disconnect, quiet);
    let result = connect::block_on(session);
    match result {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => connect::report(&e, args.connect.quiet, Tool::Pub),
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

/// Connects with `connect`, publishes `job`, waits for every acknowledgement, then
/// disconnects. `-l` outlives lost connections (README "Policies"); the other modes end there.
pub async fn run<S, F, R>(
    mut connect: F,
    job: PublishJob,
    stdin: R,
    disconnect: Reason,
    quiet: bool,
) -> Result<(), ClientError>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: AsyncFnMut() -> Result<Client<S>, ClientError>,
    R: AsyncRead + Unpin,
{
    let mut client = connect().await?;
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
            let mut stream = LineStream {
                publisher,
                lines: LineReader::new(stdin, topic_separator),
                resend: VecDeque::new(),
            };
            client = stream.publish_all(client, &mut connect, quiet).await?;
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
    if let Event::Delivered { pkid, reason } = event {
        if reason >= 0x80 {
            let text = crate::client::reason_text(reason);
            eprintln!("Warning: Publish {pkid} failed: {text}.");
        }
    }
}

/// `pub -l` across connections: the lines, and what a lost session left to publish again.
struct LineStream<R> {
    publisher: Publisher,
    lines: LineReader<R>,
    /// Messages a new session must get afresh, oldest first, before any further line.
    resend: VecDeque<Publish>,
}

/// Why publishing lines stopped short of the end of input.
enum Interrupted {
    Connection(ClientError),
    Input(io::Error),
}

impl From<ClientError> for Interrupted {
    fn from(e: ClientError) -> Self {
        Interrupted::Connection(e)
    }
}

impl<R: AsyncRead + Unpin> LineStream<R> {
    /// Publishes every line, and after a lost connection reconnects and resends what was
    /// not acknowledged (README "Policies"). Returns the client once every line is delivered.
    async fn publish_all<S, F>(
        &mut self,
        mut client: Client<S>,
        connect: &mut F,
        quiet: bool,
    ) -> Result<Client<S>, ClientError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        F: AsyncFnMut() -> Result<Client<S>, ClientError>,
    {
        loop {
            let lost = match self.publish_lines(&mut client).await {
                Ok(()) => return Ok(client),
                Err(Interrupted::Input(e)) => return Err(ClientError::Io(e)),
                Err(Interrupted::Connection(e)) if !survivable(&e) => return Err(e),
                Err(Interrupted::Connection(e)) => e,
            };
            if !quiet {
                eprintln!("Connection lost: {lost}; reconnecting");
            }
            let unfinished = client.into_unfinished();
            client = self.reconnect(connect, unfinished.count(), quiet).await?;
            let mut again = VecDeque::from(client.resume(unfinished)?);
            again.append(&mut self.resend);
            self.resend = again;
            // The new connection knows no topic alias yet.
            self.publisher.aliased = false;
        }
    }

    /// Publishes within the window until the input ends and everything is acknowledged.
    async fn publish_lines<S>(&mut self, client: &mut Client<S>) -> Result<(), Interrupted>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        loop {
            while client.can_publish() && client.pending() < MAX_PENDING {
                let Some(packet) = self.next_packet() else {
                    break;
                };
                client.publish(packet)?;
            }
            if self.resend.is_empty() && self.lines.finished() {
                return Ok(drain(client).await?);
            }
            if client.pending() >= MAX_PENDING {
                // Back-pressure: nothing may come back for QoS 0, so write before reading more.
                client.flush().await?;
                continue;
            }
            let more = client.can_publish() && !self.lines.ended();
            tokio::select! {
                read = self.lines.fill(), if more => read.map_err(Interrupted::Input)?,
                event = client.next_event() => on_event(event?),
            }
        }
    }

    /// The next message: what a lost session left over first, then the next line.
    fn next_packet(&mut self) -> Option<Publish> {
        if let Some(packet) = self.resend.pop_front() {
            return Some(packet);
        }
        loop {
            let (topic, payload) = self.lines.next_line()?;
            let packet = self.publisher.packet(topic.as_deref(), payload);
            if packet.topic.is_empty() && topic.is_some() {
                eprintln!("Warning: line without a topic skipped");
                continue;
            }
            return Some(packet);
        }
    }

    /// Connects again ([`connect::reconnect`]), reading stdin meanwhile only to learn whether
    /// it has ended: up to one read past [`READ_SIZE`], the rest waits in the pipe. Once it
    /// has ended, gives up after [`GIVE_UP_AFTER_INPUT`] with the count of messages not
    /// delivered.
    async fn reconnect<S, F>(
        &mut self,
        connect: &mut F,
        unfinished: usize,
        quiet: bool,
    ) -> Result<Client<S>, ClientError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        F: AsyncFnMut() -> Result<Client<S>, ClientError>,
    {
        let retry = connect::reconnect(connect, quiet);
        tokio::pin!(retry);
        let mut give_up = None;
        loop {
            if give_up.is_none() && self.lines.ended() {
                give_up = Some(Instant::now() + GIVE_UP_AFTER_INPUT);
            }
            let deadline = give_up.unwrap_or_else(Instant::now);
            tokio::select! {
                client = &mut retry => return client,
                read = self.lines.fill(), if self.lines.has_room() => read?,
                () = tokio::time::sleep_until(deadline), if give_up.is_some() => {
                    let lost = unfinished + self.resend.len() + self.lines.remaining();
                    let text = format!(
                        "Error: no broker {} s after the end of input; {lost} messages not delivered",
                        GIVE_UP_AFTER_INPUT.as_secs()
                    );
                    return Err(ClientError::Io(io::Error::new(io::ErrorKind::TimedOut, text)));
                }
            }
        }
    }
}

/// A connection that failed, rather than a broker that objected to us, is worth a reconnect:
/// I/O errors other than a packet we could not encode, keepalive timeouts, and DISCONNECT
/// for normal closing, server busy or shutting down, keepalive timeout, administrative
/// action or connection rate. Other DISCONNECT reasons judge our messages; resending them
/// would only repeat the verdict.
fn survivable(e: &ClientError) -> bool {
    match e {
        ClientError::Io(e) => e.kind() != io::ErrorKind::InvalidInput,
        ClientError::KeepaliveTimeout => true,
        ClientError::Disconnected(r) => matches!(r.code, 0x00 | 0x89 | 0x8B | 0x8D | 0x98 | 0x9F),
        _ => false,
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
    fn has_room(&self) -> bool {
        !self.eof && self.buf.len() < READ_SIZE
    }

    /// How many messages the buffer still holds.
    fn remaining(&self) -> usize {
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
