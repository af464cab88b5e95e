//! The options-file reader (`~/.config/mosquitto_sub`, `--options-file`) on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = mqtk::argv::parse_options(text);
    }
});
