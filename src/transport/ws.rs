//! MQTT over WebSocket: the upgrade handshake, then binary messages seen as a byte stream.
//!
//! MQTT packets may span or share WebSocket messages, so the session just reads and writes
//! bytes; each write becomes one binary message.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Buf, Bytes};
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{client_async, WebSocketStream};

use super::{BoxedStream, ConnectError};

/// Upgrades `stream` to a WebSocket on `path` with the `mqtt` subprotocol.
pub(super) async fn handshake(
    stream: BoxedStream,
    host: &str,
    port: u16,
    path: &str,
    tls: bool,
) -> Result<WsStream, ConnectError> {
    let scheme = if tls { "wss" } else { "ws" };
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    let mut request = format!("{scheme}://{host}:{port}{path}")
        .into_client_request()
        .map_err(|e| ConnectError::WebSocket(e.to_string()))?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
    let (inner, _) = client_async(request, stream)
        .await
        .map_err(|e| ConnectError::WebSocket(e.to_string()))?;
    Ok(WsStream::new(inner))
}

/// A WebSocket carrying MQTT, read and written as bytes; the broker's WebSocket listeners
/// use it too, after their own upgrade.
pub(crate) struct WsStream {
    inner: WebSocketStream<BoxedStream>,
    /// What the caller has not yet read of the last binary message.
    unread: Bytes,
}

impl WsStream {
    /// Wraps an upgraded WebSocket, client or server side.
    pub(crate) fn new(inner: WebSocketStream<BoxedStream>) -> WsStream {
        WsStream {
            inner,
            unread: Bytes::new(),
        }
    }
}

impl AsyncRead for WsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        while self.unread.is_empty() {
            match ready!(Pin::new(&mut self.inner).poll_next(cx)) {
                Some(Ok(Message::Binary(data))) => self.unread = data,
                // tungstenite answers pings itself.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => return Poll::Ready(Ok(())),
                Some(Ok(_)) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "WebSocket text frame received; MQTT uses binary frames only",
                    )))
                }
                Some(Err(e)) => return Poll::Ready(Err(io::Error::other(e))),
            }
        }
        let n = buf.remaining().min(self.unread.len());
        buf.put_slice(&self.unread[..n]);
        self.unread.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for WsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut inner = Pin::new(&mut self.inner);
        ready!(inner.as_mut().poll_ready(cx)).map_err(io::Error::other)?;
        let message = Message::Binary(Bytes::copy_from_slice(buf));
        inner.start_send(message).map_err(io::Error::other)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner)
            .poll_flush(cx)
            .map_err(io::Error::other)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner)
            .poll_close(cx)
            .map_err(io::Error::other)
    }
}
