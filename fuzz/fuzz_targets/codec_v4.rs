//! The MQTT 3.1/3.1.1 decoder on arbitrary bytes, read as the broker reads a connection:
//! no panic, and every packet it accepts round-trips through the encoder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtk::codec::Version;

fuzz_target!(|data: &[u8]| mqtk_fuzz::decode_all(data, Version::V311));
