//! `pub -l` and `--replay` across connections: the input, what a lost session left to
//! publish again, and the reconnect that outlives a broker restart.

use super::lines::LineReader;
use super::replay::Replay;
use super::{drain, on_event, Publisher};
use crate::client::{Client, ClientError};
use crate::codec::Publish;
use crate::connect;
use std::collections::VecDeque;
use std::io;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;

/// Stop reading stdin while this much is queued for the socket, so memory stays bounded
/// when the broker is slower than the pipe.
const MAX_PENDING: usize = 1 << 20;

/// Once stdin has ended, `pub -l` tries to reconnect this long before it gives up: enough
/// for a broker restart, short enough that a script whose broker is gone learns of it.
const GIVE_UP_AFTER_INPUT: Duration = Duration::from_secs(5);

/// `pub -l` across connections: the lines, and what a lost session left to publish again.
pub(super) struct LineStream<R> {
    publisher: Publisher,
    lines: LineReader<R>,
    /// Messages a new session must get afresh, oldest first, before any further line.
    resend: VecDeque<Publish>,
    /// `--replay`: the lines are records.
    replay: Option<Replay>,
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
    /// `-l`: the lines are messages.
    pub(super) fn new(publisher: Publisher, lines: LineReader<R>) -> LineStream<R> {
        LineStream {
            publisher,
            lines,
            resend: VecDeque::new(),
            replay: None,
        }
    }

    /// `--replay`: the lines are records.
    pub(super) fn replaying(
        publisher: Publisher,
        lines: LineReader<R>,
        replay: Replay,
    ) -> LineStream<R> {
        LineStream {
            replay: Some(replay),
            ..LineStream::new(publisher, lines)
        }
    }

    /// The one-line error of the record that stopped a replay, if one did.
    pub(super) fn failure(self) -> Option<String> {
        self.replay.and_then(|r| r.failed)
    }

    /// True once every line (or record) has been published.
    fn input_done(&self) -> bool {
        match &self.replay {
            Some(replay) => replay.done(&self.lines),
            None => self.lines.finished(),
        }
    }

    /// Publishes every line, and after a lost connection reconnects and resends what was
    /// not acknowledged (README "Policies"). Returns the client once every line is delivered.
    pub(super) async fn publish_all<S, F>(
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
            while client.can_publish() && client.pending() < MAX_PENDING && !self.ordered(client) {
                let Some(packet) = self.next_packet() else {
                    break;
                };
                client.publish(packet)?;
            }
            let blocked = self.ordered(client);
            if self.resend.is_empty() && self.input_done() {
                return Ok(drain(client).await?);
            }
            if client.pending() >= MAX_PENDING {
                // Back-pressure: nothing may come back for QoS 0, so write before reading more.
                client.flush().await?;
                continue;
            }
            // A replayed record waiting for its time holds further reading back.
            let wake = self.replay.as_ref().and_then(Replay::wake);
            let ready = client.can_publish() && !blocked;
            let more = ready && !self.lines.ended() && wake.is_none();
            let due = wake.unwrap_or_else(Instant::now);
            tokio::select! {
                read = self.lines.fill(), if more => read.map_err(Interrupted::Input)?,
                () = tokio::time::sleep_until(due), if wake.is_some() && ready => {
                    client.flush().await?;
                }
                event = client.next_event() => on_event(event?),
            }
        }
    }

    /// True while `--replay` waits for a QoS 2 message to complete before the next record: a
    /// broker may hold QoS 2 back until PUBREL (mosquitto does) and let later messages
    /// overtake it, and a replay keeps the recorded order.
    fn ordered<S>(&mut self, client: &Client<S>) -> bool
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let Some(replay) = &mut self.replay else {
            return false;
        };
        replay.after_qos2 &= client.inflight() > 0;
        replay.after_qos2
    }

    /// The next message: what a lost session left over first, then the next line or due
    /// record.
    fn next_packet(&mut self) -> Option<Publish> {
        if let Some(packet) = self.resend.pop_front() {
            return Some(packet);
        }
        if let Some(replay) = &mut self.replay {
            return replay.next(&mut self.lines);
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
    /// it has ended: up to one read past [`super::lines::READ_SIZE`], the rest waits in the
    /// pipe. Once it has ended, gives up after [`GIVE_UP_AFTER_INPUT`] with the count of
    /// messages not delivered.
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
