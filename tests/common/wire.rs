//! The same raw packet exchange against Debian's mosquitto 2.0.11 and the embedded broker,
//! compared byte for byte: what test suites that replay mosquitto's bytes see.

use super::raw::frame;
use super::{Broker, TestBroker};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// How long an exchange may take before the test fails.
const LIMIT: Duration = Duration::from_secs(10);

/// PINGREQ, sent after the packets of an exchange: a broker answers a connection's packets in
/// order, so its PINGRESP marks the end of the answer.
pub const PINGREQ: [u8; 2] = [0xC0, 0];
pub const PINGRESP: &[u8] = &[0xD0, 0];

/// Sends `packets` and a PINGREQ in one write on a new connection to `port` and returns, as
/// hex, the frames that came back before the PINGRESP, with `|EOF` when the broker closed the
/// connection instead.
pub fn exchange(port: u16, packets: &[Vec<u8>]) -> String {
    let mut packets = packets.to_vec();
    packets.push(PINGREQ.to_vec());
    talk(&mut open(port), &packets, PINGRESP)
}

/// A new connection to the broker on `port`.
pub fn open(port: u16) -> TcpStream {
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    stream
}

/// Sends `packets` in one write on `stream` and returns, as hex, the frames that came back
/// before the frame `until`, with `|EOF` when the broker closed the connection instead.
pub fn talk(stream: &mut TcpStream, packets: &[Vec<u8>], until: &[u8]) -> String {
    let _ = stream.write_all(&packets.concat());
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let frames = whole_frames(&received);
        if let Some(at) = frames.iter().position(|f| *f == until) {
            return hex(&frames[..at].concat());
        }
        match stream.read(&mut chunk) {
            Ok(0) => return hex(&received) + "|EOF",
            Ok(n) => received.extend(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return hex(&received) + "|EOF"
            }
            Err(e) => panic!(
                "no {} nor close within {LIMIT:?} ({e}); got {}",
                hex(until),
                hex(&received)
            ),
        }
    }
}

/// Sends DISCONNECT and waits until the broker has closed the connection, so the session is
/// offline before anything that follows.
pub fn disconnect(mut stream: TcpStream) {
    let _ = stream.write_all(&[0xE0, 0]);
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
}

/// The next whole frame `stream` brings, as hex; panics when none comes within the limit.
pub fn next_frame(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut byte = [0u8; 1];
    while frame_len(&received) != Some(received.len()) {
        match stream.read(&mut byte) {
            Ok(1) => received.push(byte[0]),
            other => panic!(
                "no whole frame within {LIMIT:?} ({other:?}); got {}",
                hex(&received)
            ),
        }
    }
    hex(&received)
}

/// The CONNECT a client sends; then the client is killed.
pub fn connect_sent_by(client: std::process::Command) -> String {
    listened_to(client, next_frame)
}

/// The first `count` frames an MQTT 5 client sends after its CONNECT, to a listener that
/// answers CONNECT, SUBSCRIBE and UNSUBSCRIBE with success, as a broker would.
pub fn frames_sent_by(client: std::process::Command, count: usize) -> Vec<String> {
    listened_to(client, |stream| {
        let mut frames = Vec::new();
        while frames.len() < count {
            let frame = unhex(&next_frame(stream));
            if let Some(answer) = answer_to(&frame) {
                stream.write_all(&answer).expect("answer");
            }
            if frame[0] != 0x10 {
                frames.push(hex(&frame));
            }
        }
        frames
    })
}

/// Starts `client` with `-h 127.0.0.1 -p PORT` of a listener of ours, lets `listen` take its
/// connection, then kills the client: only what it sent counts, not whether it would then
/// wait, retry or exit.
fn listened_to<T>(
    mut client: std::process::Command,
    listen: impl FnOnce(&mut TcpStream) -> T,
) -> T {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port().to_string();
    client.args(["-h", "127.0.0.1", "-p", &port]);
    let mut child = super::process::spawn(client);
    let (mut stream, _) = listener.accept().expect("accept");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    let heard = listen(&mut stream);
    let _ = child.kill();
    let _ = child.wait();
    heard
}

/// A broker's success answer to `frame`, if it needs one: CONNACK, SUBACK or UNSUBACK with
/// one code per filter (the filters are counted from the frame's body).
fn answer_to(frame: &[u8]) -> Option<Vec<u8>> {
    let kind = frame[0];
    if kind == 0x10 {
        return Some(vec![0x20, 3, 0, 0, 0]);
    }
    if kind != 0x82 && kind != 0xA2 {
        return None;
    }
    let body = &frame[header_len(frame)..];
    let (props, props_len) = read_varint(&body[2..]);
    let mut at = 2 + props_len + props;
    let mut codes = Vec::new();
    while at < body.len() {
        at += 2 + usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
        at += usize::from(kind == 0x82);
        codes.push(0);
    }
    let answer = [&body[..2], &[0][..], &codes].concat();
    Some(super::raw::frame(kind + 0x0E, &answer))
}

/// The length of `frame`'s fixed header.
fn header_len(frame: &[u8]) -> usize {
    1 + read_varint(&frame[1..]).1
}

/// A variable byte integer at the start of `bytes`: its value and how many bytes it took.
fn read_varint(bytes: &[u8]) -> (usize, usize) {
    let mut value = 0;
    for (i, &b) in bytes.iter().enumerate().take(4) {
        value |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return (value, i + 1);
        }
    }
    panic!("bad variable byte integer in {}", hex(bytes))
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The whole frames at the start of `bytes`.
fn whole_frames(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut frames = Vec::new();
    while let Some(len) = frame_len(bytes) {
        frames.push(&bytes[..len]);
        bytes = &bytes[len..];
    }
    frames
}

/// The length of the frame `bytes` starts with, once all of it is there.
fn frame_len(bytes: &[u8]) -> Option<usize> {
    let (mut remaining, mut shift) = (0usize, 0);
    for (i, &b) in bytes.iter().enumerate().skip(1).take(4) {
        remaining |= usize::from(b & 0x7F) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            let len = i + 1 + remaining;
            return (bytes.len() >= len).then_some(len);
        }
    }
    None
}

/// Runs `packets` against mosquitto and `mqtk`'s broker, asserts both answered alike and
/// returns the answer.
pub fn same_bytes(packets: &[Vec<u8>]) -> String {
    Pair::start().same_bytes(packets, "")
}

/// mosquitto and the embedded broker, started once for several exchanges.
pub struct Pair {
    pub mosquitto: Broker,
    pub mqtk: TestBroker,
}

impl Pair {
    pub fn start() -> Pair {
        Pair {
            mosquitto: Broker::mosquitto(),
            mqtk: TestBroker::start(),
        }
    }

    /// The answers of the embedded broker and of mosquitto to `packets`, in that order.
    pub fn answers(&self, packets: &[Vec<u8>]) -> (String, String) {
        (
            exchange(self.mqtk.port, packets),
            exchange(self.mosquitto.port, packets),
        )
    }

    /// [`same_bytes`] on these brokers; `case` names the exchange in the failure.
    pub fn same_bytes(&self, packets: &[Vec<u8>], case: &str) -> String {
        let theirs = exchange(self.mosquitto.port, packets);
        let ours = exchange(self.mqtk.port, packets);
        assert_eq!(
            ours, theirs,
            "{case}: mqtk serve (left) and mosquitto (right) differ"
        );
        ours
    }
}

/// An MQTT 3.1/3.1.1/5 CONNECT at `level` with `flags`, keepalive 60, MQTT 5 `properties`
/// and the payload `strings` (client id, then will, user name, password as the flags say).
pub fn connect_with(level: u8, flags: u8, properties: &[u8], strings: &[&[u8]]) -> Vec<u8> {
    let name: &[u8] = if level == 3 { b"MQIsdp" } else { b"MQTT" };
    let mut body = string(name);
    body.extend([level, flags, 0, 60]);
    if level == 5 {
        body.extend(varint(properties.len()));
        body.extend(properties);
    }
    for s in strings {
        body.extend(string(s));
    }
    frame(0x10, &body)
}

/// A two-byte-length-prefixed string.
pub fn string(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend(bytes);
    out
}

/// A variable byte integer.
pub fn varint(mut n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n % 128) as u8;
        n /= 128;
        out.push(if n > 0 { byte | 0x80 } else { byte });
        if n == 0 {
            return out;
        }
    }
}

/// CONNECT with protocol `name` and `level`, connect `flags`, `keep_alive`, MQTT 5
/// `properties` (ignored below level 5) and `payload` after the client id `id`.
pub fn connect(
    name: &[u8],
    level: u8,
    flags: u8,
    keep_alive: u16,
    properties: &[u8],
    id: &[u8],
) -> Vec<u8> {
    let mut body = string(name);
    body.extend([level, flags]);
    body.extend(keep_alive.to_be_bytes());
    if level == 5 {
        body.extend(varint(properties.len()));
        body.extend(properties);
    }
    body.extend(string(id));
    frame(0x10, &body)
}

/// An MQTT 5 CONNECT for `id` with clean start, keepalive 60 and `properties`.
pub fn connect5(id: &[u8], properties: &[u8]) -> Vec<u8> {
    connect(b"MQTT", 5, 0x02, 60, properties, id)
}

/// An MQTT 5 PUBLISH of `payload` to `topic` at `qos` (packet id 1 above 0) with `properties`.
pub fn publish5(topic: &[u8], qos: u8, properties: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = string(topic);
    if qos > 0 {
        body.extend([0, 1]);
    }
    body.extend(varint(properties.len()));
    body.extend(properties);
    body.extend(payload);
    frame(0x30 | (qos << 1), &body)
}

/// An MQTT 5 SUBSCRIBE (packet id `pkid`) of `filter` with subscription `options`.
pub fn subscribe5(pkid: u16, filter: &[u8], options: u8, properties: &[u8]) -> Vec<u8> {
    let mut body = pkid.to_be_bytes().to_vec();
    body.extend(varint(properties.len()));
    body.extend(properties);
    body.extend(string(filter));
    body.push(options);
    frame(0x82, &body)
}

/// An MQTT 5 UNSUBSCRIBE (packet id `pkid`) of `filter`.
pub fn unsubscribe5(pkid: u16, filter: &[u8]) -> Vec<u8> {
    let mut body = pkid.to_be_bytes().to_vec();
    body.push(0);
    body.extend(string(filter));
    frame(0xA2, &body)
}
