//! Checks rumqttc's codec skips.
use super::*;

/// Header length and remaining length of the frame at the start of `buf`, `None` if incomplete.
pub fn frame(_buf: &[u8]) -> Result<Option<(usize, usize)>, Error> {
    Ok(None)
}

/// Rejects reserved fixed-header flag values.
pub fn fixed_header_flags(_byte: u8) -> Result<(), Error> {
    Ok(())
}

/// Semantic checks on a decoded packet.
pub fn packet(_packet: &Packet) -> Result<(), Error> {
    Ok(())
}
