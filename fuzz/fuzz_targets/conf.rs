//! The mosquitto.conf parser (`FileConfig::parse`, what `serve -c` reads) on arbitrary
//! text: a value or an error, never a panic.
//!
//! Lines that leave the process are dropped first: `include_dir` reads directories, and a
//! `listener` with a host name asks the resolver; a fuzzer must not do either per input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtk::broker::FileConfig;
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let local: Vec<&str> = text.lines().filter(|line| stays_local(line)).collect();
    let _ = FileConfig::parse(&local.join("\n"));
});

fn stays_local(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.as_slice() {
        ["include_dir", ..] => false,
        ["listener", _, host] => host.parse::<IpAddr>().is_ok(),
        _ => true,
    }
}
