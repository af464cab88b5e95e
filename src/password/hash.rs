//! Password hashes as mosquitto writes them after `user:` in a password file: parsing,
//! verifying a password, and hashing a new one (for `mqtk passwd`).
//!
//! `$7$ITER$SALT$HASH` (PBKDF2-HMAC-SHA512, mosquitto 2.0+), `$6$SALT$HASH` (SHA-512 of
//! password then salt, older mosquitto) and argon2id PHC strings (mosquitto 2.1).

use anyhow::{anyhow, bail};
use argon2::{Argon2, PasswordVerifier};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha512};
use std::fmt;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
