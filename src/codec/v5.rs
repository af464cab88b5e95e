//! MQTT 5 wire format through `rumqttc::v5::mqttbytes::v5`.
use super::*;

pub(super) fn decode(_frame: BytesMut) -> Result<Packet, Error> {
    Err(Error::Malformed("not yet".into()))
}

pub(super) fn encode(_packet: &Packet, _buf: &mut BytesMut) -> Result<(), Error> {
    Err(Error::Malformed("not yet".into()))
}
