//! `pub --replay`'s record reader on arbitrary lines: a record or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for line in data.split(|&b| b == b'\n') {
        let _ = mqtk::fuzzing::parse_replay_record(line);
    }
});
