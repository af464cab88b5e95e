//! Passwords as mosquitto keeps them: the hash formats ([`Hash`](enum@Hash)) and password files
//! ([`PasswordFile`]). The broker checks logins against a file; `mqtk passwd` writes one.

mod file;
mod hash;

pub use file::{split_line, PasswordFile};
pub use hash::{Hash, PBKDF2_ITERATIONS};
