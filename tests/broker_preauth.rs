//! Peers that have not sent CONNECT: silent sockets cannot lock clients out, a CONNECT cannot
//! make the broker buffer more than `max_connect_size`, and a WebSocket upgrade's request
//! head is bounded.

mod common;

use common::{Broker, Raw, TestBroker};
use mqtk::codec::{Packet, Publish, QoS};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A socket that connects and sends nothing by itself; reads and writes give up after 10 s.
fn silent(port: u16) -> TcpStream {
    let socket = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let limit = Some(Duration::from_secs(10));
    socket.set_read_timeout(limit).expect("timeout");
    socket.set_write_timeout(limit).expect("timeout");
    socket
}

/// True when the broker closed `socket` within 5 s (end of stream or reset, not a timeout).
fn closed_by_broker(socket: &mut TcpStream) -> bool {
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    match socket.read(&mut [0u8; 16]) {
        Ok(n) => n == 0,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

/// A client that connects, subscribes and gets its own QoS 1 message, each answer within 1 s.
fn serves_a_client_at_once(port: u16) {
    let second = Duration::from_secs(1);
    let mut raw = Raw::open(port, Raw::v5("real"));
    assert!(
        matches!(raw.recv_within(second), Some(Packet::ConnAck(a)) if a.code == 0),
        "CONNACK within 1 s"
    );
    assert_eq!(raw.subscribe("real", QoS::AtLeastOnce), [1]);
    raw.send(Packet::Publish(Publish {
        topic: "real".into(),
        qos: QoS::AtLeastOnce,
        pkid: 1,
        payload: "in".into(),
        ..Publish::default()
    }));
    let mut got = (false, false);
    while got != (true, true) {
        match raw.recv_within(second) {
            Some(Packet::PubAck(_)) => got.0 = true,
            Some(Packet::Publish(p)) if p.payload == "in" => got.1 = true,
            other => panic!("expected PUBACK and the message within 1 s, got {other:?}"),
        }
    }
}

#[test]
fn silent_sockets_over_the_pending_cap_make_room_for_clients() {
    // A long connect timeout: what closes the oldest sockets is the cap.
    let broker = TestBroker::with(|c| {
        c.max_pending_connections = 50;
        c.connect_timeout = Duration::from_secs(60);
    });
    let mut sockets: Vec<TcpStream> = (0..200).map(|_| silent(broker.port)).collect();
    serves_a_client_at_once(broker.port);
    // The oldest were dropped to keep 50 pending; the newest still wait for their CONNECT.
    assert!(
        closed_by_broker(&mut sockets[0]),
        "the oldest socket is closed"
    );
    let newest = sockets.last_mut().expect("sockets");
    newest
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let still_open = newest.read(&mut [0u8; 1]).map_err(|e| e.kind());
    assert!(
        matches!(
            still_open,
            Err(std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
        ),
        "the newest socket still waits: {still_open:?}"
    );
}

#[test]
fn a_full_listener_takes_a_client_in_place_of_a_silent_socket() {
    let broker = TestBroker::with(|c| c.max_connections = 20);
    let mut connected: Vec<Raw> = (0..10)
        .map(|i| Raw::connect(&broker, Raw::v5(&format!("c{i}"))).0)
        .collect();
    let _silent: Vec<TcpStream> = (0..10).map(|_| silent(broker.port)).collect();
    serves_a_client_at_once(broker.port);
    // Connected clients are never dropped for a newcomer: they still answer.
    for raw in &mut connected {
        raw.send(Packet::PingReq);
        assert!(matches!(raw.recv(), Some(Packet::PingResp)));
    }
}

/// A CONNECT fixed header claiming MQTT's largest remaining length, then the start of the
/// variable header naming protocol `level`.
fn huge_connect(level: u8) -> Vec<u8> {
    let mut bytes = vec![0x10, 0xFF, 0xFF, 0xFF, 0x7F, 0, 4];
    bytes.extend_from_slice(b"MQTT");
    bytes.push(level);
    bytes
}

#[test]
fn an_oversized_connect_is_refused_after_its_header() {
    let broker = TestBroker::start();
    // MQTT 5: CONNACK 0x95 (packet too large), then the close.
    let mut v5 = silent(broker.port);
    v5.write_all(&huge_connect(5)).expect("write");
    let answer = common::raw::read_to_close(&mut v5);
    assert_eq!(answer, [0x20, 3, 0, 0x95, 0], "CONNACK 0x95, nothing more");
    // 3.1.1 has no code for it: the connection is closed.
    let mut v311 = silent(broker.port);
    v311.write_all(&huge_connect(4)).expect("write");
    assert_eq!(common::raw::read_to_close(&mut v311), b"");
    serves_a_client_at_once(broker.port);
}

#[test]
fn an_oversized_connect_is_not_read() {
    let broker = TestBroker::with(|c| c.max_connect_size = 1000);
    let mut socket = silent(broker.port);
    socket.write_all(&huge_connect(4)).expect("write");
    // The broker closes without reading on: writing 64 MB fails once the loopback
    // buffers (a few MB) are full. A broker that reads the whole CONNECT takes it all.
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0usize;
    while written < 64 << 20 {
        match socket.write(&chunk) {
            Ok(n) => written += n,
            Err(_) => break,
        }
    }
    assert!(
        written < 64 << 20,
        "the broker read {written} bytes of CONNECT"
    );
    serves_a_client_at_once(broker.port);
}

#[test]
fn an_oversized_websocket_upgrade_gets_431() {
    let args = ["--port", "0", "--ws-port", "0"];
    let served = Broker::mqtk_serve_listeners(&args, 2);
    let port: u16 = served.port_of(" (ws)").parse().expect("port");
    let mut socket = silent(port);
    let mut request = String::from("GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    request.push_str(&format!("X-Filler: {}\r\n\r\n", "a".repeat(32 * 1024)));
    socket.write_all(request.as_bytes()).expect("write");
    let answer = common::raw::read_to_close(&mut socket);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431 "), "answered {answer:?}");
    served.wait_for_log("431 sent");
    serves_a_client_at_once(served.port);
}
