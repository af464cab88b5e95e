//! `bench merge`'s summary reader (JSON with base64 HdrHistograms) on arbitrary text: a
//! summary or an error, never a panic or an allocation the input's size does not justify.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = mqtk::fuzzing::bench_summary(text);
    }
});
