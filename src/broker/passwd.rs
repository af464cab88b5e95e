//! mosquitto password files (`user:hash` lines, as `mosquitto_passwd` writes them): parsing,
//! verifying a password, and hashing a new one.
//!
//! Hashes: `$7$ITER$SALT$HASH` (PBKDF2-HMAC-SHA512, mosquitto 2.0+), `$6$SALT$HASH`
//! (SHA-512 of password then salt, older mosquitto) and argon2id PHC strings (mosquitto 2.1).

use anyhow::{anyhow, bail, Context};
use argon2::{Argon2, PasswordVerifier};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha512};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use subtle::ConstantTimeEq;

/// Iterations `mosquitto_passwd` 2.0 uses; mosquitto reads any count.
pub const PBKDF2_ITERATIONS: u32 = 101;
/// Salt length `mosquitto_passwd` 2.0 writes.
const SALT_LEN: usize = 12;
/// SHA-512 output length, the hash length mosquitto writes.
const HASH_LEN: usize = 64;

/// One user's stored password hash.
#[derive(Clone, PartialEq, Eq)]
pub enum Hash {
    /// `$7$`: PBKDF2-HMAC-SHA512.
    Pbkdf2 {
        iterations: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
    /// `$6$`: SHA-512(password || salt).
    Sha512 { salt: Vec<u8>, hash: Vec<u8> },
    /// `$argon2id$...`, kept as text: the argon2 crate parses it when verifying.
    Argon2(String),
}

impl Hash {
    /// Parses the part of a line after `user:`.
    pub fn parse(text: &str) -> anyhow::Result<Hash> {
        if text.starts_with("$argon2id$") {
            // Validate now so a bad line fails at load time, not at every CONNECT.
            argon2::PasswordHash::new(text).map_err(|e| anyhow!("bad argon2id hash: {e}"))?;
            return Ok(Hash::Argon2(text.to_string()));
        }
        let fields: Vec<&str> = text.split('$').collect();
        match fields.as_slice() {
            ["", "7", iterations, salt, hash] => {
                let iterations = iterations
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| anyhow!("bad iteration count"))?;
                Ok(Hash::Pbkdf2 {
                    iterations,
                    salt: decode(salt)?,
                    hash: decode(hash)?,
                })
            }
            ["", "6", salt, hash] => Ok(Hash::Sha512 {
                salt: decode(salt)?,
                hash: decode(hash)?,
            }),
            _ => bail!("unknown password hash format (not $6$, $7$ or $argon2id$)"),
        }
    }

    /// A `$7$` hash of `password` with a fresh random salt, as `mosquitto_passwd` makes.
    pub fn pbkdf2(password: &[u8], iterations: u32) -> anyhow::Result<Hash> {
        let salt = random_salt()?;
        let mut hash = vec![0; HASH_LEN];
        pbkdf2::pbkdf2_hmac::<Sha512>(password, &salt, iterations, &mut hash);
        Ok(Hash::Pbkdf2 {
            iterations,
            salt,
            hash,
        })
    }

    /// An argon2id PHC string for `password` with the crate's default parameters.
    pub fn argon2id(password: &[u8]) -> anyhow::Result<Hash> {
        use argon2::PasswordHasher;
        let hash = Argon2::default()
            .hash_password(password)
            .map_err(|e| anyhow!("argon2id: {e}"))?;
        Ok(Hash::Argon2(hash.to_string()))
    }

    /// True if `password` hashes to this; the comparison takes the same time wherever the
    /// hashes differ.
    pub fn verify(&self, password: &[u8]) -> bool {
        match self {
            Hash::Pbkdf2 {
                iterations,
                salt,
                hash,
            } => {
                let mut computed = vec![0; hash.len()];
                pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, *iterations, &mut computed);
                computed.ct_eq(hash).into()
            }
            Hash::Sha512 { salt, hash } => {
                let computed = Sha512::new()
                    .chain_update(password)
                    .chain_update(salt)
                    .finalize();
                computed.as_slice().ct_eq(hash).into()
            }
            // The crate compares in constant time itself.
            Hash::Argon2(phc) => Argon2::default()
                .verify_password(password, phc.as_str())
                .is_ok(),
        }
    }
}

impl fmt::Display for Hash {
    /// The text `mosquitto_passwd` writes after `user:`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hash::Pbkdf2 {
                iterations,
                salt,
                hash,
            } => write!(
                f,
                "$7${iterations}${}${}",
                STANDARD.encode(salt),
                STANDARD.encode(hash)
            ),
            Hash::Sha512 { salt, hash } => {
                write!(f, "$6${}${}", STANDARD.encode(salt), STANDARD.encode(hash))
            }
            Hash::Argon2(phc) => f.write_str(phc),
        }
    }
}

fn decode(text: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = STANDARD
        .decode(text)
        .map_err(|_| anyhow!("bad base64 in hash"))?;
    match bytes.is_empty() {
        true => bail!("empty salt or hash"),
        false => Ok(bytes),
    }
}

fn random_salt() -> anyhow::Result<Vec<u8>> {
    let mut salt = vec![0; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| anyhow!("no random salt: {e}"))?;
    Ok(salt)
}

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
    fn new_hashes_round_trip_like_mosquitto_passwd() {
        let hash = Hash::pbkdf2(b"pw", PBKDF2_ITERATIONS).unwrap();
        let text = hash.to_string();
        assert!(text.starts_with("$7$101$"));
        let Hash::Pbkdf2 { salt, hash: h, .. } = Hash::parse(&text).unwrap() else {
            panic!("not pbkdf2");
        };
        assert_eq!((salt.len(), h.len()), (SALT_LEN, HASH_LEN));
        assert!(Hash::parse(&text).unwrap().verify(b"pw"));
        let thousand = Hash::pbkdf2(b"pw", 1000).unwrap();
        assert!(Hash::parse(&thousand.to_string()).unwrap().verify(b"pw"));
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
