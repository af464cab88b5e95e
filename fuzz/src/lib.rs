//! What more than one fuzz target checks: that a decoded packet survives encoding, and that a
//! byte stream splits into well-formed packets.

use bytes::BytesMut;
use mqtk::codec::{self, Packet, Version};

/// The largest packet the targets accept: far above libFuzzer's input sizes, so the limit
/// itself is never what ends a stream.
pub const MAX_PACKET: usize = 1 << 20;

/// Decodes `data` as the broker reads a connection: the opening packet as a CONNECT at
/// whatever level it names, then the rest as a stream of packets at that level (`target`'s
/// when the CONNECT names the other family, or when there is no CONNECT and the whole input
/// is read as a stream). Every packet decoded must round-trip through the encoder.
pub fn decode_all(data: &[u8], target: Version) {
    let mut stream = BytesMut::from(data);
    let version = match codec::decode(&mut stream, None, MAX_PACKET) {
        Ok(Some(Packet::Connect(connect))) => {
            let named = connect.version;
            round_trip(&Packet::Connect(connect), named, None);
            if named.is_v5() == target.is_v5() {
                named
            } else {
                target
            }
        }
        _ => {
            stream = BytesMut::from(data);
            target
        }
    };
    while let Ok(Some(packet)) = codec::decode(&mut stream, Some(version), MAX_PACKET) {
        round_trip(&packet, version, Some(version));
    }
}

/// Encodes `packet` and decodes it again (as a first packet when `read_as` is `None`): what
/// we write must read back as the same packet. Packets the encoder refuses (say, a 3.1.1
/// CONNECT with a password that is not UTF-8) are skipped.
fn round_trip(packet: &Packet, version: Version, read_as: Option<Version>) {
    let mut wire = BytesMut::new();
    if codec::encode(packet, version, &mut wire).is_err() {
        return;
    }
    let encoded = wire.clone();
    match codec::decode(&mut wire, read_as, MAX_PACKET) {
        Ok(Some(again)) => assert_eq!(&again, packet, "re-decoded {encoded:02x?}"),
        other => panic!("{packet:?} encoded as {encoded:02x?}, which decodes to {other:?}"),
    }
    assert!(
        wire.is_empty(),
        "bytes left after re-decoding {encoded:02x?}"
    );
}

/// Splits `data`, which a broker wrote to a `version` client, into packets; every one must
/// decode and none may be cut short, since the broker closes only between packets.
pub fn assert_well_formed(data: &[u8], version: Version) {
    let mut stream = BytesMut::from(data);
    while !stream.is_empty() {
        match codec::decode(&mut stream, Some(version), usize::MAX) {
            Ok(Some(_)) => {}
            other => panic!("the broker wrote {stream:02x?}, which decodes to {other:?}"),
        }
    }
}
