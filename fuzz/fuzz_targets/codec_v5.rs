//! The MQTT 5 decoder on arbitrary bytes, read as the broker reads a connection: no panic,
//! and every packet it accepts round-trips through the encoder, properties included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtk::codec::Version;

fuzz_target!(|data: &[u8]| mqtk_fuzz::decode_all(data, Version::V5));
