//! The HTTP request of a WebSocket upgrade, bounded like an HTTP server bounds it: the
//! request head is read here, up to [`MAX_HEAD`] bytes, before tungstenite parses it, and a
//! longer one is answered with 431 and a close instead of being buffered.

use crate::transport::BoxedStream;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

/// The longest request head (request line and headers) a WebSocket upgrade may send.
pub const MAX_HEAD: usize = 16 * 1024;

/// How long a refused upgrade's rest is read and dropped before the socket closes.
const LINGER: Duration = Duration::from_secs(1);

const TOO_LARGE: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\n\
    Connection: close\r\nContent-Length: 0\r\n\r\n";

/// Reads the request head from `stream` and returns the stream with what was read put
/// back in front; over [`MAX_HEAD`] bytes, answers 431, closes and fails.
pub async fn bounded_head(mut stream: BoxedStream) -> io::Result<BoxedStream> {
    let mut head = Vec::with_capacity(1024);
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() >= MAX_HEAD {
            stream.write_all(TOO_LARGE).await?;
            stream.shutdown().await?;
            linger(&mut stream).await;
            let why = format!("WebSocket upgrade request head over {MAX_HEAD} bytes (431 sent)");
            return Err(io::Error::new(io::ErrorKind::InvalidData, why));
        }
        let mut chunk = [0u8; 4096];
        let room = (MAX_HEAD - head.len()).min(chunk.len());
        let n = stream.read(&mut chunk[..room]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&chunk[..n]);
    }
    Ok(Box::new(Rewound {
        head,
        read: 0,
        inner: stream,
    }))
}

/// Reads and drops what the peer still sends, for at most [`LINGER`]: closing a socket
/// with unread bytes resets it, and the reset can destroy the 431 before the peer reads it.
async fn linger(stream: &mut BoxedStream) {
    let drain = async {
        let mut sink = [0u8; 4096];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// A stream whose first reads return `head`, bytes already taken from `inner`.
struct Rewound {
    head: Vec<u8>,
    read: usize,
    inner: BoxedStream,
}

impl AsyncRead for Rewound {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.read < this.head.len() {
            let n = buf.remaining().min(this.head.len() - this.read);
            buf.put_slice(&this.head[this.read..this.read + n]);
            this.read += n;
            if this.read == this.head.len() {
                this.head = Vec::new();
                this.read = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewound {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
