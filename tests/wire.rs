//! Byte-level parity with Debian's mosquitto 2.0.11 where MQTT leaves a choice (issue 18):
//! each case sends the same raw packets to both brokers and compares every byte that comes
//! back. The expected hex is spelled out too, so a case cannot pass by both brokers going
//! silent.

mod common;

use common::wire::*;

/// mosquitto's CONNACK for a plain MQTT 5 CONNECT: Topic Alias Maximum 10, Receive Maximum 20.
const CONNACK5: &str = "200900000622000a210014";

#[test]
fn connack_v5_without_properties() {
    assert_eq!(same_bytes(&[connect5(b"w", b"")]), CONNACK5);
}

#[test]
fn connack_v5_ignores_the_client_limits() {
    // Session expiry 100, receive maximum 5, maximum packet size 1000, topic alias maximum 3.
    let props = b"\x11\x00\x00\x00\x64\x21\x00\x05\x27\x00\x00\x03\xe8\x22\x00\x03";
    assert_eq!(same_bytes(&[connect5(b"w", props)]), CONNACK5);
}

#[test]
fn connack_v5_keep_alive_0_gets_server_keep_alive() {
    let connect = connect(b"MQTT", 5, 0x02, 0, b"", b"w");
    assert_eq!(same_bytes(&[connect]), "200c00000922000a13ffff210014");
}

#[test]
fn connack_v311_and_v31() {
    assert_eq!(
        same_bytes(&[connect(b"MQTT", 4, 0x02, 60, b"", b"w")]),
        "20020000"
    );
    assert_eq!(
        same_bytes(&[connect(b"MQIsdp", 3, 0x02, 60, b"", b"w")]),
        "20020000"
    );
}

#[test]
fn puback_v5_is_short() {
    let packets = [connect5(b"w", b""), publish5(b"t/1", 1, b"", b"x")];
    // Reason 0x10, no matching subscribers, without a property length.
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}4003000110"));
}

#[test]
fn suback_and_unsuback_v5() {
    let packets = [
        connect5(b"w", b""),
        subscribe5(3, b"a/b", 1, b""),
        unsubscribe5(4, b"a/b"),
        unsubscribe5(5, b"zz"),
    ];
    let acks = "900400030001b00400040000b00400050011";
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}{acks}"));
}

/// A malformed SUBSCRIBE gets DISCONNECT 0x81 with one byte of remaining length.
#[test]
fn disconnect_v5_reason_alone_is_one_byte() {
    for filter in [&b"a/#/b"[..], b"a/b#"] {
        let packets = [connect5(b"w", b""), subscribe5(3, filter, 1, b"")];
        assert_eq!(same_bytes(&packets), format!("{CONNACK5}e00181|EOF"));
    }
    let packets = [connect5(b"w", b""), subscribe5(3, b"a", 3, b"")];
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}e00181|EOF"));
}

#[test]
fn topic_alias_above_the_maximum_is_0x94() {
    let packets = [
        connect5(b"w", b""),
        publish5(b"t", 0, b"\x23\x00\x0b", b"x"),
    ];
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}e00194|EOF"));
}

#[test]
fn v311_puback() {
    let connect = connect(b"MQTT", 4, 0x02, 60, b"", b"w");
    let publish = common::raw::frame(0x32, b"\x00\x01t\x00\x01x");
    assert_eq!(same_bytes(&[connect, publish]), "2002000040020001");
}


/// QoS 2 in MQTT 5 with nobody subscribed: PUBREC and PUBCOMP in 2 bytes (mosquitto says
/// success at PUBREC: it routes at PUBREL).
#[test]
fn qos2_acks_v5_are_short() {
    let pubrel = common::raw::frame(0x62, b"\x00\x01");
    let packets = [connect5(b"w", b""), publish5(b"t", 2, b"", b"x"), pubrel];
    assert_eq!(same_bytes(&packets), format!("{CONNACK5}5002000170020001"));
}

/// MQTT 3.1.1 QoS 2: PUBREC and PUBCOMP of 2 bytes, as the version requires.
#[test]
fn qos2_acks_v311() {
    let connect = connect(b"MQTT", 4, 0x02, 60, b"", b"w");
    let publish = common::raw::frame(0x34, b"\x00\x01t\x00\x01x");
    let pubrel = common::raw::frame(0x62, b"\x00\x01");
    assert_eq!(same_bytes(&[connect, publish, pubrel]), "200200005002000170020001");
}
