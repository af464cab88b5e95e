//! MQTT 3.1 / 3.1.1 wire format through `rumqttc::mqttbytes::v4`.
use super::*;

pub(super) fn decode_connect(_frame: BytesMut) -> Result<Packet, Error> {
    Err(Error::Malformed("not yet".into()))
}

pub(super) fn decode(_frame: BytesMut) -> Result<Packet, Error> {
    Err(Error::Malformed("not yet".into()))
}

pub(super) fn encode(
    _packet: &Packet,
    _version: Version,
    _buf: &mut BytesMut,
) -> Result<(), Error> {
    Err(Error::Malformed("not yet".into()))
}
