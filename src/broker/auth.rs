//! The authentication hook CONNECT goes through, for embedders; a configured password file
//! is checked too, and both must accept.

use std::net::SocketAddr;

/// What a client presented in CONNECT.
#[derive(Clone, Copy, Debug)]
pub struct Credentials<'a> {
    pub client_id: &'a str,
    pub username: Option<&'a str>,
    pub password: Option<&'a [u8]>,
    pub peer: SocketAddr,
}

/// Decides whether a client may connect. Anonymous clients (no username) are refused
/// before this is asked when `allow_anonymous` is off.
pub trait Authenticator: Send + Sync {
    /// True to accept the connection.
    fn authenticate(&self, credentials: &Credentials<'_>) -> bool;
}

/// Any `Fn(&Credentials) -> bool` is an authenticator, so tests can pass a closure.
impl<F: Fn(&Credentials<'_>) -> bool + Send + Sync> Authenticator for F {
    fn authenticate(&self, credentials: &Credentials<'_>) -> bool {
        self(credentials)
    }
}
