//! `sub`'s output on arbitrary `-F` templates and messages. Input: a flags byte (`--json`,
//! `--pretty`, `-v`, `-N`), the template up to a NUL, then the payload.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use mqtk::codec::Publish;
use mqtk::fuzzing::{Formatter, OutputOptions};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let Ok(template) = std::str::from_utf8(&rest[..split]) else {
        return;
    };
    // A width or precision may go up to i32::MAX, as in C: `%2000000000p` asks for 2 GB of
    // padding per message, which mosquitto_sub would print too. Widths of up to five digits
    // keep the output within the fuzzer's memory limit.
    if template.as_bytes().windows(6).any(|w| w.iter().all(u8::is_ascii_digit)) {
        return;
    }
    let payload = rest.get(split + 1..).unwrap_or_default();
    let options = OutputOptions {
        json: flags & 1 != 0,
        pretty: flags & 2 != 0,
        verbose: flags & 4 != 0,
        no_eol: flags & 8 != 0,
        format: (flags & 16 != 0).then(|| template.to_string()),
        color: false,
    };
    let Ok(formatter) = Formatter::new(&options) else {
        return;
    };
    let message = Publish {
        topic: "sensors/a".into(),
        payload: Bytes::copy_from_slice(payload),
        ..Publish::default()
    };
    let mut out = Vec::new();
    let _ = formatter.write_at(&message, &Default::default(), &mut out);
});
