//! Packets over a byte stream: one read buffer, one write buffer, both directions batched.
//!
//! Like mini-redis's `Connection`, but writes are queued and sent by [`Connection::flush`],
//! so a burst of packets costs one syscall instead of one each. Client, broker and bench all
//! frame their streams with it.

use crate::codec::{self, Packet, Version};
use bytes::{Buf, BytesMut};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Poll};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// A quiet connection reads into a stack buffer of this size and keeps no read buffer of
/// its own between packets, so thousands of idle connections cost no heap for reading. A
/// read that fills it switches the connection to reading [`READ_CHUNK`] at a time.
const QUIET_READ: usize = 4096;
/// How much a busy connection reads at once.
const READ_CHUNK: usize = 64 * 1024;

/// MQTT's own ceiling on a packet: a 268,435,455-byte remaining length plus its header.
pub const MAX_PACKET: usize = 268_435_460;

/// A framed MQTT stream.
pub struct Connection<S> {
    stream: S,
    read_buf: BytesMut,
    write_buf: BytesMut,
    /// Protocol level; `None` on a server until CONNECT has been read.
    pub version: Option<Version>,
    /// Largest packet we accept from the peer.
    pub max_incoming: u32,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    /// Wraps `stream`; `version` is known up front by a client, learnt from CONNECT by a server.
    pub fn new(stream: S, version: Option<Version>) -> Connection<S> {
        Connection {
            stream,
            read_buf: BytesMut::new(),
            write_buf: BytesMut::new(),
            version,
            max_incoming: MAX_PACKET as u32,
        }
    }

    /// A packet already buffered, without touching the socket.
    pub fn try_packet(&mut self) -> Result<Option<Packet>, io::Error> {
        let packet = codec::decode(&mut self.read_buf, self.version, self.max_incoming as usize)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if let (None, Some(Packet::Connect(c))) = (self.version, &packet) {
            self.version = Some(c.version);
        }
        Ok(packet)
    }

    /// The bytes read and not yet decoded.
    pub fn buffered(&self) -> &[u8] {
        &self.read_buf
    }

    /// True when a whole packet is already buffered, so reading it will not wait.
    pub fn has_frame(&self) -> bool {
        matches!(codec::whole_frame(&self.read_buf, usize::MAX), Ok(Some(_)))
    }

    /// The next packet, or `None` when the peer closed the stream cleanly between packets.
    ///
    /// Cancel-safe: bytes read before a cancellation stay in the buffer.
    pub async fn read_packet(&mut self) -> Result<Option<Packet>, io::Error> {
        match std::future::poll_fn(|cx| self.poll_fill(cx)).await? {
            true => self.try_packet(),
            false => Ok(None),
        }
    }

    /// Reads until [`Connection::try_packet`] has a packet or an error to give, without
    /// decoding it; `false` when the peer closed the stream cleanly between packets. A poll
    /// keeps no state of its own (the buffer does), so a task waiting on it with other
    /// things holds no future for the read.
    pub fn poll_fill(&mut self, cx: &mut std::task::Context<'_>) -> Poll<io::Result<bool>> {
        loop {
            if self.decodable() {
                return Poll::Ready(Ok(true));
            }
            let n = if self.read_buf.is_empty() && self.read_buf.capacity() <= QUIET_READ {
                ready!(self.poll_read_quietly(cx))?
            } else {
                if self.read_buf.capacity() - self.read_buf.len() < QUIET_READ / 4 {
                    self.read_buf.reserve(READ_CHUNK);
                }
                ready!(std::pin::pin!(self.stream.read_buf(&mut self.read_buf)).poll(cx))?
            };
            if n == 0 {
                return Poll::Ready(match self.read_buf.is_empty() {
                    true => Ok(false),
                    false => Err(io::ErrorKind::UnexpectedEof.into()),
                });
            }
        }
    }

    /// True when decoding the buffer gives a packet or an error rather than waiting for more
    /// bytes ([`codec::whole_frame`], which [`codec::decode`] waits for).
    fn decodable(&self) -> bool {
        !matches!(
            codec::whole_frame(&self.read_buf, self.max_incoming as usize),
            Ok(None)
        )
    }

    /// Reads into a stack buffer and copies what arrived into a read buffer of that size;
    /// the empty read buffer is freed first. The stack buffer lives only during the poll,
    /// so waiting costs no memory either.
    fn poll_read_quietly(&mut self, cx: &mut std::task::Context<'_>) -> Poll<io::Result<usize>> {
        self.read_buf = BytesMut::new();
        let mut chunk = [0u8; QUIET_READ];
        let mut buf = ReadBuf::new(&mut chunk);
        ready!(Pin::new(&mut self.stream).poll_read(cx, &mut buf))?;
        let n = buf.filled().len();
        if n == QUIET_READ {
            self.read_buf.reserve(READ_CHUNK);
        }
        self.read_buf.extend_from_slice(buf.filled());
        Poll::Ready(Ok(n))
    }

    /// Queues `packet` for the next [`flush`](Self::flush).
    pub fn queue(&mut self, packet: &Packet) -> Result<(), io::Error> {
        let version = self.version.unwrap_or(Version::V311);
        codec::encode(packet, version, &mut self.write_buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    }

    /// Queues a borrowed PUBLISH unless it encodes to more than `max` bytes; false when it was
    /// left out, as MQTT 5 requires for a peer's maximum packet size (MQTT-3.1.2-25). Written
    /// straight into the buffer, with no packet built or copied per message (the broker's
    /// delivery path).
    pub fn queue_publish_within(
        &mut self,
        publish: &codec::PublishRef,
        max: usize,
    ) -> Result<bool, io::Error> {
        let version = self.version.unwrap_or(Version::V311);
        codec::encode_publish(publish, version, max, &mut self.write_buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    }

    /// The stream itself, to swap it for another (see `broker::parking`).
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// The stream, for a connection with nothing buffered either way (see
    /// `broker::parking`): anything still in the buffers is dropped with them.
    pub fn into_stream(self) -> S {
        debug_assert!(self.read_buf.is_empty() && self.write_buf.is_empty());
        self.stream
    }

    /// Bytes queued and not yet written; callers bound it to apply back-pressure.
    pub fn pending(&self) -> usize {
        self.write_buf.len()
    }

    /// Writes everything queued. Cancel-safe: what was written is never written again.
    pub async fn flush(&mut self) -> Result<(), io::Error> {
        std::future::poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// [`Connection::flush`] as a poll: it keeps no state of its own (the buffer does), so a
    /// caller may poll it once and, only if the socket is full, wait in a future it builds
    /// then.
    pub fn poll_flush(&mut self, cx: &mut std::task::Context<'_>) -> Poll<io::Result<()>> {
        while self.write_buf.has_remaining() {
            let n = ready!(Pin::new(&mut self.stream).poll_write(cx, &self.write_buf))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.write_buf.advance(n);
        }
        // A small buffer is freed rather than kept: an idle connection then holds none, and
        // a busy one, whose buffer grew, keeps it.
        match self.write_buf.capacity() <= QUIET_READ {
            true => self.write_buf = BytesMut::new(),
            false => self.write_buf.clear(),
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    /// Frees the buffers while they hold nothing: those a burst grew are kept while the
    /// connection is busy (see [`Connection::poll_flush`]), and given back when it is idle.
    pub fn release_spare(&mut self) {
        if self.write_buf.is_empty() {
            self.write_buf = BytesMut::new();
        }
        if self.read_buf.is_empty() {
            self.read_buf = BytesMut::new();
        }
    }

    /// Flushes, then closes the write side so the peer sees a clean end of stream. Nothing
    /// more is read: the read buffer (up to a whole large packet) goes at once, which counts
    /// when a broker over `memory_limit` is closing the client that took it there.
    pub async fn shutdown(&mut self) -> Result<(), io::Error> {
        self.read_buf = BytesMut::new();
        self.flush().await?;
        self.stream.shutdown().await
    }
}
