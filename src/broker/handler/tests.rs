//! The handler's flows driven without a socket: one client's bytes through an in-memory pipe
//! ([`crate::broker::memory::exchange`]) and every byte the handler wrote back, decoded.

use crate::broker::config::Config;
use crate::broker::memory::exchange;
use crate::codec::{self, Packet, Version};
use bytes::BytesMut;
use std::time::Duration;

/// MQTT 3.1.1 CONNECT, clean session, client id "a".
const CONNECT: &[u8] = b"\x10\x0d\x00\x04MQTT\x04\x02\x00\x3c\x00\x01a";

/// The packets the broker sends back for `packets` after CONNECT, CONNACK left out.
fn answers(packets: &[&[u8]]) -> Vec<Packet> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let config = Config {
        sys_interval: None,
        ..Config::default()
    };
    let input = [&[CONNECT][..], packets].concat().concat();
    let output = runtime
        .block_on(exchange(config, &input, Duration::from_secs(10)))
        .expect("the broker closed in time");
    let mut output = BytesMut::from(&output[..]);
    let mut packets = Vec::new();
    while let Some(packet) = codec::decode(&mut output, Some(Version::V311), usize::MAX)
        .expect("the broker's bytes decode")
    {
        packets.push(packet);
    }
    assert!(matches!(packets.first(), Some(Packet::ConnAck(c)) if c.code == 0));
    packets.remove(0);
    packets
}

/// The first byte and packet id of each packet, the part of the flow these tests check.
fn kinds(packets: &[Packet]) -> Vec<(&'static str, u16)> {
    packets
        .iter()
        .map(|p| match p {
            Packet::PubAck(a) => ("PUBACK", a.pkid),
            Packet::PubRec(a) => ("PUBREC", a.pkid),
            Packet::PubComp(a) => ("PUBCOMP", a.pkid),
            Packet::SubAck(s) => ("SUBACK", s.pkid),
            Packet::UnsubAck(u) => ("UNSUBACK", u.pkid),
            Packet::Publish(p) => ("PUBLISH", p.pkid),
            Packet::PingResp => ("PINGRESP", 0),
            _ => ("other", 0),
        })
        .collect()
}

#[test]
fn inbound_qos_1_and_2_are_acknowledged() {
    let got = answers(&[
        b"\x32\x06\x00\x01t\x00\x01x",
        b"\x34\x06\x00\x01t\x00\x02x",
        b"\x62\x02\x00\x02",
        b"\xc0\x00",
    ]);
    assert_eq!(
        kinds(&got),
        [
            ("PUBACK", 1),
            ("PUBREC", 2),
            ("PUBCOMP", 2),
            ("PINGRESP", 0)
        ]
    );
}

/// The retained message goes out right after the SUBACK, before the packets that follow.
#[test]
fn a_subscription_gets_the_retained_message_at_the_granted_qos() {
    let got = answers(&[
        b"\x33\x06\x00\x01r\x00\x01x",
        b"\x82\x06\x00\x02\x00\x01r\x01",
        b"\xc0\x00",
    ]);
    assert_eq!(
        kinds(&got),
        [
            ("PUBACK", 1),
            ("SUBACK", 2),
            ("PUBLISH", 1),
            ("PINGRESP", 0)
        ]
    );
    let Packet::SubAck(ack) = &got[1] else {
        unreachable!()
    };
    assert_eq!(ack.codes, [1]);
    let Packet::Publish(p) = &got[2] else {
        unreachable!()
    };
    assert!(p.retain);
    assert_eq!((p.topic.as_str(), &p.payload[..]), ("r", &b"x"[..]));
}

/// A client's own message reaches it before the packets that follow; one published after
/// its UNSUBSCRIBE does not.
#[test]
fn a_message_reaches_the_subscriber_that_published_it_until_it_unsubscribes() {
    let got = answers(&[
        b"\x82\x06\x00\x01\x00\x01s\x00",
        b"\x30\x04\x00\x01sy",
        b"\xa2\x05\x00\x02\x00\x01s",
        b"\x30\x04\x00\x01sz",
    ]);
    assert_eq!(
        kinds(&got),
        [("SUBACK", 1), ("PUBLISH", 0), ("UNSUBACK", 2)]
    );
    let Packet::Publish(p) = &got[1] else {
        unreachable!()
    };
    assert_eq!(&p.payload[..], b"y");
}
