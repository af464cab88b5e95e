//! The borrowed PUBLISH writer against rumqttc's: same bytes for every variant we can
//! generate, and `decode` reads them back to the same packet.

use super::*;

/// `p` as rumqttc frames it, the reference for the borrowed writer.
fn rumqttc(p: &Publish, version: Version, buf: &mut BytesMut) -> Result<(), Error> {
    let packet = Packet::Publish(p.clone());
    match version.is_v5() {
        true => v5::encode(&packet, buf),
        false => v4::encode(&packet, buf),
    }
}

/// The borrowed view of `p` that a client or the broker would build for it.
fn borrowed(p: &Publish) -> PublishRef<'_> {
    p.into()
}

/// Encodes `p` both ways and returns the frame; panics unless the bytes match exactly.
fn both_ways(p: &Publish, version: Version) -> BytesMut {
    let mut expected = BytesMut::new();
    rumqttc(p, version, &mut expected).expect("rumqttc encode");
    let mut ours = BytesMut::from(&b"prefix"[..]);
    let written = encode_publish(&borrowed(p), version, connection_max(), &mut ours);
    assert_eq!(written, Ok(true), "{version:?} {p:?}");
    assert_eq!(&ours[..6], b"prefix", "appends after what is there");
    let ours = ours.split_off(6);
    assert!(
        ours == expected,
        "{version:?} {p:?}\nours {ours:?}\nrumqttc {expected:?}"
    );
    ours
}

fn connection_max() -> usize {
    crate::connection::MAX_PACKET
}

/// Checks both encoders agree and, when `p` is valid to receive, that it decodes back.
fn check(p: &Publish, version: Version) {
    let mut frame = both_ways(p, version);
    // No peer may send an empty topic without an alias, or DUP at QoS 0.
    let unreceivable = p.topic.is_empty() || p.dup && p.qos == QoS::AtMostOnce;
    if unreceivable {
        return;
    }
    let mut want = p.clone();
    if p.qos == QoS::AtMostOnce {
        want.pkid = 0;
    }
    if !version.is_v5() {
        want.properties = Props::default();
    }
    let decoded = decode(&mut frame, Some(version), usize::MAX).expect("decode");
    assert_eq!(decoded, Some(Packet::Publish(want)), "{version:?}");
    assert!(frame.is_empty());
}

/// Every subset of the PUBLISH properties, chosen by the bits of `mask`.
fn properties(mask: u32) -> Properties {
    let on = |bit: u32| mask & (1 << bit) != 0;
    Properties {
        payload_format_indicator: on(0).then_some(1),
        message_expiry_interval: on(1).then_some(3600),
        topic_alias: on(2).then_some(7),
        response_topic: on(3).then(|| "reply/ü".into()),
        correlation_data: on(4).then(|| Bytes::from_static(b"\x00\x01corr")),
        user_properties: match on(5) {
            true => vec![
                ("k".into(), "2".into()),
                ("a".into(), "".into()),
                ("k".into(), "1".into()),
            ],
            false => Vec::new(),
        },
        subscription_identifiers: match on(6) {
            true => vec![128, 2_097_151, 1],
            false => Vec::new(),
        },
        content_type: on(7).then(|| "text/plain".into()),
        ..Properties::default()
    }
}

fn publish(topic: &str, qos: QoS, pkid: u16, flags: u8, payload: Bytes) -> Publish {
    Publish {
        dup: flags & 2 != 0,
        qos,
        retain: flags & 1 != 0,
        topic: topic.into(),
        pkid,
        payload,
        properties: Props::default(),
    }
}

const VERSIONS: [Version; 3] = [Version::V31, Version::V311, Version::V5];
/// QoS with packet ids, including a stray id at QoS 0 (never written).
const QOS_PKID: [(QoS, u16); 5] = [
    (QoS::AtMostOnce, 0),
    (QoS::AtMostOnce, 9),
    (QoS::AtLeastOnce, 1),
    (QoS::ExactlyOnce, 65_535),
    (QoS::AtLeastOnce, 300),
];

#[test]
fn matches_rumqttc_for_every_flag_topic_and_property_combination() {
    let topics = ["a", "a/b/c", "température/∂/😀", ""];
    let payloads = [Bytes::new(), Bytes::from_static(b"\x00\xffhello")];
    for version in VERSIONS {
        let masks = if version.is_v5() { 0..256 } else { 0..1 };
        for mask in masks {
            for (qos, pkid) in QOS_PKID {
                for flags in 0..4 {
                    for topic in topics {
                        for payload in &payloads {
                            let mut p = publish(topic, qos, pkid, flags, payload.clone());
                            p.properties = properties(mask).into();
                            check(&p, version);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn matches_rumqttc_for_large_payloads_and_topics() {
    let mib = Bytes::from(vec![0xA5; 1 << 20]);
    let long_topic = "t".repeat(65_535);
    for version in VERSIONS {
        for (qos, pkid) in QOS_PKID {
            for mask in [0, 0xFF] {
                let mut p = publish("big", qos, pkid, 1, mib.clone());
                p.properties = properties(mask).into();
                check(&p, version);
                let mut p = publish(&long_topic, qos, pkid, 0, Bytes::from_static(b"x"));
                p.properties = properties(mask).into();
                check(&p, version);
            }
        }
    }
}

/// Payload sizes either side of each step of the remaining-length varint (1 to 4 bytes).
#[test]
fn matches_rumqttc_at_every_remaining_length_boundary() {
    for version in VERSIONS {
        for step in [128usize, 16_384, 2_097_152] {
            // Remaining length is 2 + topic + 2 (pkid) + (MQTT 5: 1, empty properties) + payload.
            let overhead = 2 + 1 + 2 + version.is_v5() as usize;
            for remaining in step - 3..step + 3 {
                let payload = Bytes::from(vec![7; remaining - overhead]);
                let frame = both_ways(&publish("b", QoS::AtLeastOnce, 5, 0, payload), version);
                let varint = if remaining < 128 {
                    1
                } else if remaining < 16_384 {
                    2
                } else if remaining < 2_097_152 {
                    3
                } else {
                    4
                };
                assert_eq!(frame.len(), 1 + varint + remaining, "{remaining}");
            }
        }
    }
}

/// Many identifiers (1 to 4 varint bytes), byte for byte, and read back whole (rumqttc's own
/// decoder counts one byte too many per identifier, see `publish_in`).
#[test]
fn matches_rumqttc_for_many_subscription_identifiers() {
    let mut p = publish("t", QoS::AtMostOnce, 0, 0, Bytes::from_static(b"p"));
    p.properties.subscription_identifiers = vec![268_435_455, 2_097_152, 16_384, 128, 1];
    p.properties.content_type = Some("c".into());
    let frame = both_ways(&p, Version::V5);
    let ids = b"\x0b\xff\xff\xff\x7f\x0b\x80\x80\x80\x01\x0b\x80\x80\x01\x0b\x80\x01\x0b\x01";
    assert_eq!(
        &frame[5..7],
        &[23, 0x0b],
        "property length, first identifier"
    );
    assert_eq!(&frame[6..25], ids);
    assert_eq!(&frame[25..], b"\x03\x00\x01cp");
    let mut frame = frame;
    let decoded = decode(&mut frame, Some(Version::V5), usize::MAX).expect("decode");
    assert_eq!(decoded, Some(Packet::Publish(p)));
}

/// Hostile PUBLISH frames: a clear error, never a panic.
#[test]
fn the_v5_reader_refuses_short_or_foreign_properties() {
    let cases: [&[u8]; 5] = [
        b"\x30\x05\x00\x01t\x05\x01",     // properties longer than the packet
        b"\x30\x06\x00\x01t\x02\x02\x00", // a u32 cut short
        b"\x30\x06\x00\x01t\x02\x11\x00", // session expiry: not a PUBLISH property
        b"\x30\x09\x00\x01t\x05\x0b\xff\xff\xff\xff", // a five-byte varint
        b"\x30\x08\x00\x01t\x04\x03\x00\x01\xff", // content type not UTF-8
    ];
    refused(&cases, Version::V5);
}

/// The same reader at 3.1.1, where it stands in for rumqttc's.
#[test]
fn the_v311_reader_refuses_short_or_invalid_frames() {
    let cases: [&[u8]; 5] = [
        b"\x30\x02\x00\x05",          // a topic longer than the packet
        b"\x32\x03\x00\x01t",         // QoS 1 without its packet id
        b"\x32\x05\x00\x01t\x00\x00", // QoS 1 with packet id 0
        b"\x30\x03\x00\x01\xff",      // topic not UTF-8
        b"\x30\x03\x00\x01+",         // a wildcard in a topic name
    ];
    refused(&cases, Version::V311);
}

/// Each of `frames` decodes to an error at `version`: a malformed packet, or a protocol
/// error for what mosquitto calls one (packet id 0, a wildcard in the topic).
fn refused(frames: &[&[u8]], version: Version) {
    for bytes in frames {
        let mut frame = BytesMut::from(*bytes);
        let result = decode(&mut frame, Some(version), usize::MAX);
        assert!(
            matches!(result, Err(Error::Malformed(_) | Error::Protocol(_))),
            "{bytes:?}: {result:?}"
        );
    }
}

#[test]
fn per_subscriber_fields_replace_the_messages_own() {
    let stored = Properties {
        message_expiry_interval: Some(100),
        subscription_identifiers: vec![99],
        content_type: Some("c".into()),
        ..Properties::default()
    };
    let message = Publish {
        topic: "t".into(),
        properties: stored.into(),
        ..Publish::default()
    };
    let mut p = borrowed(&message);
    p.subscription_identifiers = &[4, 5];
    p.message_expiry_interval = Some(40);
    let mut ours = BytesMut::new();
    assert_eq!(
        encode_publish(&p, Version::V5, usize::MAX, &mut ours),
        Ok(true)
    );
    let mut want = message.clone();
    want.properties.subscription_identifiers = vec![4, 5];
    want.properties.message_expiry_interval = Some(40);
    assert_eq!(both_ways(&want, Version::V5), ours);
}

#[test]
fn a_frame_above_max_is_left_out() {
    let message = publish("t", QoS::AtLeastOnce, 1, 0, Bytes::from_static(b"12345"));
    // 1 header + 1 length + 2 + 1 topic + 2 pkid + 5 payload = 12 bytes.
    for (max, written) in [(12, true), (11, false)] {
        let mut buf = BytesMut::new();
        let result = encode_publish(&borrowed(&message), Version::V311, max, &mut buf);
        assert_eq!(result, Ok(written), "max {max}");
        assert_eq!(buf.len(), if written { 12 } else { 0 });
    }
}

#[test]
fn invalid_publishes_are_errors_and_append_nothing() {
    let long = "x".repeat(65_536);
    let zero_pkid = publish("t", QoS::AtLeastOnce, 0, 0, Bytes::new());
    let long_topic = publish(&long, QoS::AtMostOnce, 0, 0, Bytes::new());
    let huge = publish(
        "t",
        QoS::AtMostOnce,
        0,
        0,
        Bytes::from(vec![0; 268_435_455]),
    );
    let mut long_user = publish("t", QoS::AtMostOnce, 0, 0, Bytes::new());
    long_user.properties.user_properties = vec![("k".into(), long.clone())];
    let mut big_id = publish("t", QoS::AtMostOnce, 0, 0, Bytes::new());
    big_id.properties.subscription_identifiers = vec![268_435_456];
    let cases = [
        (&zero_pkid, Version::V311),
        (&zero_pkid, Version::V5),
        (&long_topic, Version::V311),
        (&huge, Version::V311),
        (&huge, Version::V5),
        (&long_user, Version::V5),
        (&big_id, Version::V5),
    ];
    for (p, version) in cases {
        let mut buf = BytesMut::from(&b"kept"[..]);
        let result = encode_publish(&borrowed(p), version, usize::MAX, &mut buf);
        assert!(result.is_err(), "{version:?} {}", p.topic.len());
        assert_eq!(&buf[..], b"kept");
    }
    // rumqttc refuses the same packet id and size (it truncates over-long strings instead).
    for (p, version) in [(&zero_pkid, Version::V5), (&huge, Version::V311)] {
        assert!(rumqttc(p, version, &mut BytesMut::new()).is_err());
    }
    // `encode` writes PUBLISH the borrowed way, so it refuses all of them.
    for (p, version) in cases {
        let mut buf = BytesMut::from(&b"kept"[..]);
        assert!(encode(&Packet::Publish(p.clone()), version, &mut buf).is_err());
        assert_eq!(&buf[..], b"kept");
    }
}
