//! One connection to a fresh broker over an in-memory pipe instead of a socket, through the
//! same connection handler a TCP client reaches: what the `broker_stream` fuzz target drives,
//! where a loopback connect per input would cost more than the broker's work on it.

use super::config::Config;
use super::door::{Door, Entry};
use super::handler;
use super::listener::Ready;
use super::router::Router;
use super::security::Access;
use super::server::{Accepted, Shared};
use super::shutdown::Shutdown;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{broadcast, mpsc};

/// Sends `input` to a new broker configured by `config` as one client connection, closes
/// the sending half, and returns every byte the broker wrote back until it closed the
/// connection; `None` when it had not closed within `limit` (a hang, for the caller to
/// report). The broker's state is this connection's alone, so an input replays the same.
pub async fn exchange(config: Config, input: &[u8], limit: Duration) -> Option<Vec<u8>> {
    let router = Router::new(&config, Default::default());
    let access = Arc::new(Access {
        allow_anonymous: config.allow_anonymous,
        allow_zero_length_clientid: config.limits.allow_zero_length_clientid,
        security: config.security.clone(),
        limits: Default::default(),
        port: 0,
        clients: Default::default(),
    });
    let (notify, _) = broadcast::channel::<()>(1);
    let shared = Arc::new(Shared::new(config, router, Vec::new(), notify.subscribe()));
    let (complete, _all_done) = mpsc::channel::<()>(1);
    let shutdown = Shutdown::new(notify.subscribe(), complete);
    let (client, server) = tokio::io::duplex(64 * 1024);
    let opened = Ready {
        stream: Box::new(server),
        identity: None,
    };
    let peer = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    // A door of one place, which this connection always gets.
    let Some(Entry::Free(ticket)) = Door::new(1, 1).enter(peer) else {
        return None;
    };
    let accepted = Accepted {
        peer,
        access,
        ticket,
    };
    let served = tokio::spawn(handler::serve(opened, accepted, shared, shutdown));
    let (mut from_broker, mut to_broker) = tokio::io::split(client);
    let send = async {
        // The broker may close before reading everything: that is an answer, not an error.
        let _ = to_broker.write_all(input).await;
        let _ = to_broker.shutdown().await;
    };
    let receive = async {
        let mut output = Vec::new();
        let _ = from_broker.read_to_end(&mut output).await;
        output
    };
    let whole = async {
        let ((), output) = tokio::join!(send, receive);
        let _ = served.await;
        output
    };
    tokio::time::timeout(limit, whole).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{self, Packet, Version};
    use bytes::BytesMut;

    fn exchange_now(input: &[u8]) -> Vec<u8> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = Config {
            sys_interval: None,
            ..Config::default()
        };
        let exchanged = exchange(config, input, Duration::from_secs(5));
        runtime
            .block_on(exchanged)
            .expect("the broker closed in time")
    }

    #[test]
    fn a_connect_and_a_ping_are_answered_then_the_broker_closes_on_eof() {
        let connect = b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01a";
        let input = [&connect[..], b"\xc0\x00"].concat();
        let mut output = BytesMut::from(&exchange_now(&input)[..]);
        let connack = codec::decode(&mut output, Some(Version::V311), usize::MAX);
        assert!(matches!(connack, Ok(Some(Packet::ConnAck(c))) if c.code == 0));
        let pong = codec::decode(&mut output, Some(Version::V311), usize::MAX);
        assert_eq!(pong, Ok(Some(Packet::PingResp)));
        assert!(output.is_empty());
    }

    #[test]
    fn garbage_before_connect_is_closed_without_an_answer() {
        assert!(exchange_now(b"\x30\x00garbage").is_empty());
    }
}
