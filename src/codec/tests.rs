//! Round trips through both wire formats, and the frames rumqttc alone gets wrong.

use super::*;

fn roundtrip(packet: Packet, version: Version) {
    let mut buf = BytesMut::new();
    encode(&packet, version, &mut buf).expect("encode");
    let decoded = decode(&mut buf, Some(version), usize::MAX).expect("decode");
    assert_eq!(decoded, Some(packet));
    assert!(buf.is_empty());
}

fn publish(qos: QoS, properties: Properties) -> Packet {
    Packet::Publish(Publish {
        qos,
        retain: true,
        topic: "a/b".into(),
        pkid: if qos == QoS::AtMostOnce { 0 } else { 7 },
        payload: Bytes::from_static(b"\x00\xffhello"),
        properties: properties.into(),
        ..Publish::default()
    })
}

fn connect(version: Version, properties: Properties) -> Packet {
    Packet::Connect(Box::new(Connect {
        version,
        client_id: "id".into(),
        clean_start: false,
        keep_alive: 30,
        username: Some("u".into()),
        password: Some(Bytes::from_static(b"p")),
        will: Some(Will {
            topic: "w".into(),
            payload: Bytes::from_static(b"gone"),
            qos: QoS::AtLeastOnce,
            retain: true,
            properties: Properties::default(),
        }),
        properties,
    }))
}

#[test]
fn v311_packets_round_trip() {
    let v = Version::V311;
    roundtrip(connect(v, Properties::default()), v);
    roundtrip(publish(QoS::AtMostOnce, Properties::default()), v);
    roundtrip(publish(QoS::ExactlyOnce, Properties::default()), v);
    roundtrip(Packet::PubAck(Ack::new(3)), v);
    roundtrip(Packet::PubRel(Ack::new(3)), v);
    roundtrip(
        Packet::ConnAck(ConnAck {
            session_present: true,
            code: 5,
            ..ConnAck::default()
        }),
        v,
    );
    roundtrip(
        Packet::SubAck(SubAck {
            pkid: 9,
            codes: vec![0, 2, 0x80],
            ..SubAck::default()
        }),
        v,
    );
    roundtrip(Packet::PingReq, v);
    roundtrip(Packet::Disconnect(Reason::default()), v);
}

#[test]
fn v5_packets_round_trip() {
    let v = Version::V5;
    let props = Properties {
        user_properties: vec![("k".into(), "v".into())],
        content_type: Some("text/plain".into()),
        message_expiry_interval: Some(60),
        correlation_data: Some(Bytes::from_static(b"\x01")),
        ..Properties::default()
    };
    roundtrip(publish(QoS::AtLeastOnce, props), v);
    roundtrip(
        connect(
            v,
            Properties {
                session_expiry_interval: Some(10),
                receive_maximum: Some(5),
                ..Properties::default()
            },
        ),
        v,
    );
    roundtrip(
        Packet::ConnAck(ConnAck {
            code: 0x86,
            properties: Properties {
                assigned_client_identifier: Some("auto-1".into()),
                ..Properties::default()
            }
            .into(),
            ..ConnAck::default()
        }),
        v,
    );
    roundtrip(
        Packet::PubAck(Ack {
            pkid: 1,
            reason: 0x10,
            properties: Props::default(),
        }),
        v,
    );
    roundtrip(
        Packet::Subscribe(Subscribe {
            pkid: 2,
            filters: vec![Subscription {
                filter: "a/#".into(),
                qos: QoS::ExactlyOnce,
                no_local: true,
                retain_as_published: true,
                retain_handling: 2,
            }],
            properties: Properties {
                subscription_identifiers: vec![42],
                ..Properties::default()
            }
            .into(),
        }),
        v,
    );
    roundtrip(
        Packet::UnsubAck(SubAck {
            pkid: 4,
            codes: vec![0x11],
            ..SubAck::default()
        }),
        v,
    );
    roundtrip(Packet::Disconnect(Reason::default()), v);
}

#[test]
fn v5_disconnect_short_forms() {
    for (bytes, code) in [
        (&b"\xe0\x00"[..], 0),
        (b"\xe0\x01\x8e", 0x8e),
        (b"\xe0\x02\x8b\x00", 0x8b),
    ] {
        let mut buf = BytesMut::from(bytes);
        let packet = decode(&mut buf, Some(Version::V5), 100).unwrap();
        assert_eq!(
            packet,
            Some(Packet::Disconnect(Reason {
                code,
                ..Reason::default()
            }))
        );
    }
    let mut buf = BytesMut::new();
    let reason = Reason {
        code: 0x8e,
        ..Reason::default()
    };
    encode(&Packet::Disconnect(reason), Version::V5, &mut buf).unwrap();
    assert_eq!(
        &buf[..],
        b"\xe0\x01\x8e",
        "mosquitto's form: the reason code alone"
    );
}

/// An MQTT 3 broker's answer to an MQTT 5 CONNECT reads as "Unsupported Protocol Version";
/// any other 2-byte CONNACK is malformed in MQTT 5.
#[test]
fn v5_reads_an_mqtt_3_refusal_of_the_version() {
    let mut buf = BytesMut::from(&b"\x20\x02\x00\x01"[..]);
    let packet = decode(&mut buf, Some(Version::V5), 100).unwrap();
    let Some(Packet::ConnAck(connack)) = packet else {
        panic!("{packet:?}")
    };
    assert_eq!((connack.session_present, connack.code), (false, 0x84));
    let mut buf = BytesMut::from(&b"\x20\x02\x00\x05"[..]);
    assert!(decode(&mut buf, Some(Version::V5), 100).is_err());
}

#[test]
fn detects_the_level_from_connect() {
    for version in [Version::V31, Version::V311, Version::V5] {
        let mut buf = BytesMut::new();
        encode(&connect(version, Properties::default()), version, &mut buf).unwrap();
        match decode(&mut buf, None, 1000).unwrap() {
            Some(Packet::Connect(c)) => assert_eq!(c.version, version),
            other => panic!("{other:?}"),
        }
    }
    // MQTT 3.1: "MQIsdp", level 3, clean session, keepalive 60, client id "c".
    let mut buf = BytesMut::from(&b"\x10\x0f\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01c"[..]);
    match decode(&mut buf, None, 1000).unwrap() {
        Some(Packet::Connect(c)) => {
            assert_eq!(
                (c.version, c.client_id.as_str(), c.keep_alive),
                (Version::V31, "c", 60)
            )
        }
        other => panic!("{other:?}"),
    }
    // And it is written the same way.
    let bare = Packet::Connect(Box::new(Connect {
        version: Version::V31,
        client_id: "c".into(),
        clean_start: true,
        keep_alive: 60,
        username: None,
        password: None,
        will: None,
        properties: Properties::default(),
    }));
    let mut out = BytesMut::new();
    encode(&bare, Version::V31, &mut out).unwrap();
    assert_eq!(&out[..], b"\x10\x0f\x00\x06MQIsdp\x03\x02\x00\x3c\x00\x01c");
    let mut buf = BytesMut::from(&b"\x10\x0d\x00\x04MQTT\x06\x02\x00\x3c\x00\x01c"[..]);
    assert_eq!(
        decode(&mut buf, None, 1000),
        Err(Error::UnsupportedVersion(6))
    );
}

#[test]
fn rejects_what_rumqttc_accepts() {
    let cases: [&[u8]; 4] = [
        b"\x30\x06\x00\x03a/#x",          // wildcard in a topic name
        b"\x80\x06\x00\x01\x00\x01a\x00", // SUBSCRIBE with flags 0
        b"\xa2\x02\x00\x01",              // UNSUBSCRIBE without filters
        b"\x32\x05\x00\x01a\x00\x00",     // QoS 1 with packet id 0
    ];
    for bytes in cases {
        let mut buf = BytesMut::from(bytes);
        assert!(
            decode(&mut buf, Some(Version::V311), 100).is_err(),
            "{bytes:?}"
        );
    }
}

#[test]
fn waits_for_whole_frames_and_bounds_size() {
    let mut buf = BytesMut::from(&b"\x30\x05\x00\x01a"[..]);
    assert_eq!(decode(&mut buf, Some(Version::V311), 100), Ok(None));
    buf.extend_from_slice(b"hi");
    assert!(matches!(
        decode(&mut buf, Some(Version::V311), 100),
        Ok(Some(Packet::Publish(_)))
    ));
    let mut buf = BytesMut::from(&b"\x30\xff\xff\x03"[..]);
    assert!(matches!(
        decode(&mut buf, Some(Version::V311), 1000),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn v5_acks_keep_their_reason_codes_and_refuse_foreign_ones() {
    let ack = |reason| Ack {
        pkid: 7,
        reason,
        properties: Properties {
            reason_string: Some("why".into()),
            ..Properties::default()
        }
        .into(),
    };
    roundtrip(Packet::PubAck(ack(0x99)), Version::V5);
    roundtrip(Packet::PubRec(ack(0x97)), Version::V5);
    roundtrip(Packet::PubRel(ack(0x92)), Version::V5);
    roundtrip(Packet::PubComp(ack(0x92)), Version::V5);
    let mut buf = BytesMut::new();
    assert!(encode(&Packet::PubRel(ack(0x10)), Version::V5, &mut buf).is_err());
    assert!(encode(&Packet::PubAck(ack(0x92)), Version::V5, &mut buf).is_err());
    assert!(buf.is_empty());
}

/// Packets move by value from socket to tool several times each; with properties inline they
/// were 408 bytes and those copies were most of `sub`'s CPU.
#[test]
fn packets_stay_small() {
    assert!(std::mem::size_of::<Packet>() <= 80);
}

#[test]
fn absent_properties_read_as_empty_and_allocate_only_when_written() {
    let mut props = Props::default();
    assert!(props.is_empty() && props.topic_alias.is_none());
    assert!(props.present_mut().is_none(), "reading must not allocate");
    assert_eq!(props, Props::from(Properties::default()));
    props.topic_alias = Some(3);
    assert_eq!(props.present_mut().map(|p| p.topic_alias), Some(Some(3)));
    props.topic_alias = None;
    assert!(props.is_empty());
    assert_eq!(props, Props::default(), "an emptied box equals none");
}

/// A 3.1.1 CONNECT whose user name flag carries an empty name reads as no user name; its
/// password alone cannot be written back (3.1.1 forbids it, and the reader refuses it).
#[test]
fn v311_password_needs_a_user_name() {
    let body = b"\x00\x04MQTT\x04\xc2\x00\x3c\x00\x01w\x00\x00\x00\x02pw";
    let mut frame = BytesMut::from(&[&[0x10, body.len() as u8][..], body].concat()[..]);
    let Some(Packet::Connect(connect)) = decode(&mut frame, None, 1000).unwrap() else {
        panic!("not a CONNECT")
    };
    assert_eq!(connect.username, None);
    let mut buf = BytesMut::new();
    assert!(encode(&Packet::Connect(connect), Version::V311, &mut buf).is_err());
    let body = b"\x00\x04MQTT\x04\x42\x00\x3c\x00\x01w\x00\x02pw";
    let mut frame = BytesMut::from(&[&[0x10, body.len() as u8][..], body].concat()[..]);
    assert!(decode(&mut frame, None, 1000).is_err());
}
