//! The password-file parser on arbitrary text: no panic; every hash it accepts prints as
//! text that parses back to the same hash (what `mqtk passwd` rewrites a file with); and a
//! check against what it loaded answers.
//!
//! Only `$6$` files are verified: PBKDF2 and argon2id costs come from the file itself, and an
//! administrator's iteration count is not a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtk::password::{split_line, Hash, PasswordFile};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (_, hash) in text.lines().filter_map(split_line) {
        if let Ok(parsed) = Hash::parse(hash) {
            let printed = parsed.to_string();
            let again = Hash::parse(&printed).expect("a printed hash parses");
            assert!(
                again == parsed,
                "{hash:?} printed as {printed:?} parses differently"
            );
        }
    }
    let file = PasswordFile::parse(text);
    if !text.contains("$7$") && !text.contains("$argon2") {
        let user = text.split(':').next().unwrap_or_default();
        let _ = file.verify(user, Some(b"password"));
        let _ = file.verify(user, None);
        let _ = file.verify("nobody-in-the-file\n", Some(b"password"));
    }
});
