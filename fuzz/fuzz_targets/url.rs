//! The `-L` URL parser on arbitrary text: a URL or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(url) = mqtk::fuzzing::parse_url(text) {
            let _ = url.topic();
            let _ = url.websocket_path();
        }
    }
});
