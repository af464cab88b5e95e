//! Raw MQTT for what real clients never do: hand-written frames on a TCP stream, and [`Raw`],
//! a client driven packet by packet over the crate's codec. Works with either broker.

use super::Target;
use mqtk::codec::{self, ConnAck, Connect, Packet, QoS, Version};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Writes `bytes` on a raw connection, ignoring a reset (the broker may already have closed).
pub fn send(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.write_all(bytes);
}

/// Reads until the broker closes the connection (or the read timeout passes); returns what
/// it sent.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

/// A 3.1.1 CONNECT with `client_id`, clean session and a 60 s keepalive.
pub fn connect_v311(client_id: &str) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 4, 0x02, 0, 60];
    body.extend((client_id.len() as u16).to_be_bytes());
    body.extend(client_id.as_bytes());
    frame(0x10, &body)
}

/// An MQTT 5 CONNECT with `client_id`, clean start, no properties.
pub fn connect_v5(client_id: &str) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', 5, 0x02, 0, 60, 0];
    body.extend((client_id.len() as u16).to_be_bytes());
    body.extend(client_id.as_bytes());
    frame(0x10, &body)
}

/// A packet with fixed-header byte `first` and `body`.
pub fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    let mut len = body.len();
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            break;
        }
    }
    out.extend(body);
    out
}

/// A hand-driven MQTT client over the crate's codec, for what real clients never do.
pub struct Raw {
    /// The connection, for bytes the codec would not write.
    pub stream: TcpStream,
    buf: bytes::BytesMut,
    version: Version,
}

impl Raw {
    /// Connects with `connect` and returns the client with the CONNACK.
    pub fn connect(broker: &impl Target, connect: Connect) -> (Raw, ConnAck) {
        match Raw::try_connect(broker.port(), connect) {
            (raw, Some(ack)) => (raw, ack),
            (_, None) => panic!("closed without a CONNACK"),
        }
    }

    /// Connects to the broker on `port` with `connect`; returns the client and its CONNACK,
    /// `None` if the broker closed the connection without one.
    pub fn try_connect(port: u16, connect: Connect) -> (Raw, Option<ConnAck>) {
        let mut raw = Raw::open(port, connect);
        match raw.recv() {
            Some(Packet::ConnAck(ack)) => (raw, Some(ack)),
            None => (raw, None),
            Some(other) => panic!("expected CONNACK, got {other:?}"),
        }
    }

    /// Connects to any broker on `port` and sends `connect`, without waiting for the answer.
    pub fn open(port: u16, connect: Connect) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut raw = Raw {
            stream,
            buf: bytes::BytesMut::new(),
            version: connect.version,
        };
        raw.send(Packet::Connect(Box::new(connect)));
        raw
    }

    /// An MQTT 5 CONNECT for `client_id` with clean start and no will.
    pub fn v5(client_id: &str) -> Connect {
        Connect {
            version: Version::V5,
            client_id: client_id.into(),
            clean_start: true,
            keep_alive: 60,
            username: None,
            password: None,
            will: None,
            properties: Default::default(),
        }
    }

    /// The same as [`Raw::v5`] in MQTT 3.1.1.
    pub fn v311(client_id: &str) -> Connect {
        Connect {
            version: Version::V311,
            ..Raw::v5(client_id)
        }
    }

    /// Writes `packet`.
    pub fn send(&mut self, packet: Packet) {
        let mut out = bytes::BytesMut::new();
        codec::encode(&packet, self.version, &mut out).expect("encode");
        send(&mut self.stream, &out);
    }

    /// The next packet, `None` when the broker closed the connection or 5 s passed.
    pub fn recv(&mut self) -> Option<Packet> {
        self.recv_within(Duration::from_secs(5))
    }

    /// The next packet within `limit`.
    pub fn recv_within(&mut self, limit: Duration) -> Option<Packet> {
        self.stream.set_read_timeout(Some(limit)).expect("timeout");
        loop {
            let packet = codec::decode(&mut self.buf, Some(self.version), usize::MAX)
                .expect("broker sent a valid packet");
            if packet.is_some() {
                return packet;
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    /// Subscribes to `filter` at `qos` and waits for the SUBACK; returns its codes.
    pub fn subscribe(&mut self, filter: &str, qos: QoS) -> Vec<u8> {
        let subscribe = codec::Subscribe {
            pkid: 1,
            filters: vec![codec::Subscription {
                filter: filter.into(),
                qos,
                ..Default::default()
            }],
            properties: Default::default(),
        };
        self.send(Packet::Subscribe(subscribe));
        // A SUBSCRIBE that matches a large retained store (a debug build on a loaded machine)
        // may take seconds to answer: a generous bound, which only a failure waits out.
        match self.recv_within(Duration::from_secs(30)) {
            Some(Packet::SubAck(ack)) => ack.codes,
            other => panic!("expected SUBACK, got {other:?}"),
        }
    }
}
