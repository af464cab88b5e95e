//! The ACL file parser on arbitrary text, then its checks. Input: the file, optionally a NUL
//! and a topic; the topic is checked as a name (publish, deliver) where it is one, as the
//! broker does before asking the ACL.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mqtk::fuzzing::{Acl, AclClient};
use mqtk::topic::{is_name, matches};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (file, topic) = text.split_once('\0').unwrap_or((text, "a/b"));
    let name = is_name(topic);
    // What the checks below lean on: a name matches itself.
    assert!(
        !name || matches(topic, topic),
        "{topic:?} does not match itself"
    );
    let Ok(acl) = Acl::parse(file) else {
        return;
    };
    for (client_id, username) in [("client", Some("user")), ("client", None), ("c/+", None)] {
        let client = AclClient {
            client_id,
            username,
        };
        let patterns = acl.expand(&client);
        if name {
            let _ = acl.can_write(&client, &patterns, topic);
            let _ = acl.can_read(&client, &patterns, topic);
        }
    }
});
