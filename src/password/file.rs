//! mosquitto password files: `user:hash` lines, as `mosquitto_passwd` writes them.

use super::Hash;
use anyhow::Context;
use std::collections::HashMap;
use std::path::Path;

/// Splits a password file line into user and hash text; `None` for blank lines and comments.
pub fn split_line(line: &str) -> Option<(&str, &str)> {
    let line = line.trim_end();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    Some(line.split_once(':').unwrap_or((line, "")))
}

/// A loaded password file.
#[derive(Default)]
pub struct PasswordFile {
    users: HashMap<String, Hash>,
    /// Checked for unknown users, so response times do not tell which users exist.
    decoy: Option<Hash>,
    /// mosquitto's error line for each entry left out because its hash did not parse.
    pub removed: Vec<String>,
}

impl PasswordFile {
    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> anyhow::Result<PasswordFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read password file {}", path.display()))?;
        Ok(PasswordFile::parse(&text))
    }

    /// Parses file text. As mosquitto 2.0.11 does, an entry whose hash does not parse is
    /// left out (that user cannot log in) with an error line in [`PasswordFile::removed`],
    /// and a user name without a hash is left out silently.
    pub fn parse(text: &str) -> PasswordFile {
        let mut file = PasswordFile::default();
        for line in text.lines() {
            let Some((user, hash)) = split_line(line) else {
                continue;
            };
            if !line.contains(':') {
                continue;
            }
            match Hash::parse(hash) {
                Ok(hash) => {
                    file.decoy = Some(hash.clone());
                    file.users.insert(user.to_string(), hash);
                }
                // The hash is not echoed: error messages end up in logs.
                Err(_) => file.removed.push(removal(user, hash)),
            }
        }
        file
    }

    /// True if `user` is in the file and `password` is theirs.
    pub fn verify(&self, user: &str, password: Option<&[u8]>) -> bool {
        match (self.users.get(user), password) {
            (Some(hash), Some(password)) => hash.verify(password),
            (None, Some(password)) => {
                if let Some(decoy) = &self.decoy {
                    decoy.verify(password);
                }
                false
            }
            (_, None) => false,
        }
    }
}

/// mosquitto's words for an entry whose `hash` did not parse.
fn removal(user: &str, hash: &str) -> String {
    let what = match hash {
        "" => "Invalid password hash",
        _ if ["$6$", "$7$", "$argon2id$"]
            .iter()
            .any(|k| hash.starts_with(k)) =>
        {
            "Unable to decode password"
        }
        _ => "Invalid password hash type",
    };
    format!("Error: {what} for user {user}, removing entry.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use sha2::{Digest, Sha512};

    /// Written by Debian's `mosquitto_passwd` 2.0.11 (`-b -c FILE alice secret`).
    const MOSQUITTO_LINE: &str = "alice:$7$101$Gep8/txBqP4UdADE$\
        IXN5GbvcPHgKAic9hVgukIBws0PIrlYbyONa3CFxVB7NsbVU7gHU3kdc1LFr/de76Rd36S+mhOM6iMlRIQuqzA==";

    #[test]
    fn verifies_a_mosquitto_passwd_line() {
        let file = PasswordFile::parse(MOSQUITTO_LINE);
        assert!(file.verify("alice", Some(b"secret")));
        assert!(!file.verify("alice", Some(b"Secret")));
        assert!(!file.verify("alice", None));
        assert!(!file.verify("bob", Some(b"secret")));
    }

    #[test]
    fn verifies_legacy_sha512() {
        let salt = b"0123456789ab";
        let digest = Sha512::new()
            .chain_update(b"pw")
            .chain_update(salt)
            .finalize();
        let line = format!(
            "# comment\n\nbob:$6${}${}\n",
            STANDARD.encode(salt),
            STANDARD.encode(digest)
        );
        let file = PasswordFile::parse(&line);
        assert!(file.verify("bob", Some(b"pw")));
        assert!(!file.verify("bob", Some(b"pw2")));
    }

    #[test]
    fn verifies_argon2id() {
        let hash = Hash::argon2id(b"pw").unwrap();
        let text = hash.to_string();
        assert!(text.starts_with("$argon2id$"));
        let file = PasswordFile::parse(&format!("carol:{text}"));
        assert!(file.verify("carol", Some(b"pw")));
        assert!(!file.verify("carol", Some(b"pW")));
    }

    #[test]
    fn leaves_out_malformed_entries_as_mosquitto_does() {
        let hash = "Unable to decode password";
        for (bad, error) in [
            ("u:plain", Some("Invalid password hash type")),
            ("u:", Some("Invalid password hash")),
            ("u", None),
            ("u:$7$x$AAAA$AAAA", Some(hash)),
            ("u:$7$0$AAAA$AAAA", Some(hash)),
            ("u:$7$101$!!$AAAA", Some(hash)),
            ("u:$6$AAAA", Some(hash)),
            ("u:$argon2id$nonsense", Some(hash)),
        ] {
            let file = PasswordFile::parse(&format!("{MOSQUITTO_LINE}\n{bad}"));
            let expected = error.map(|e| format!("Error: {e} for user u, removing entry."));
            assert_eq!(file.removed, Vec::from_iter(expected), "{bad}");
            assert!(!file.verify("u", Some(b"plain")), "{bad}");
            assert_eq!(file.users.len(), 1, "{bad}");
        }
    }
}
