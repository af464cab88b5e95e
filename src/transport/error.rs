//! Why a connection could not be opened, in one line, with the class mosquitto reports.

use std::{fmt, io};

/// A failure to open the byte stream to the broker.
///
/// `Display` is one line without an `Error: ` prefix, modelled on mosquitto_pub's messages.
/// mosquitto exits 1 for all of these when the first connection fails; the variant says which
/// libmosquitto error class it would report otherwise (see [`ConnectError::mosq_err`]).
#[derive(Debug)]
pub enum ConnectError {
    /// Options that cannot work: an unreadable CA file, a bad key, an unsupported TLS version.
    Config(String),
    /// The host name (or the `-A` bind address) did not resolve.
    Lookup { host: String, source: io::Error },
    /// The socket failed: refused, unreachable, no such unix socket, bind failure.
    Io(io::Error),
    /// The TLS handshake failed, including server certificate verification.
    Tls(io::Error),
    /// The WebSocket upgrade failed (an HTTP error, no `mqtt` subprotocol, a closed socket).
    WebSocket(String),
}

impl ConnectError {
    /// The libmosquitto `MOSQ_ERR_*` value of this failure: PROTOCOL 2, INVAL 3, TLS 8,
    /// ERRNO 14, EAI 15.
    pub fn mosq_err(&self) -> i32 {
        match self {
            ConnectError::WebSocket(_) => 2,
            ConnectError::Config(_) => 3,
            ConnectError::Tls(_) => 8,
            ConnectError::Io(_) => 14,
            ConnectError::Lookup { .. } => 15,
        }
    }

    pub(crate) fn config(message: impl fmt::Display) -> Self {
        ConnectError::Config(format!("Problem setting TLS options: {message}"))
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Config(message) => f.write_str(message),
            ConnectError::Lookup { host, source } => {
                write!(
                    f,
                    "Unable to connect (Lookup error: {host}: {})",
                    os_text(source)
                )
            }
            ConnectError::Io(e) => f.write_str(&os_text(e)),
            ConnectError::Tls(e) => write!(f, "Unable to connect (TLS error: {e})"),
            ConnectError::WebSocket(e) => write!(f, "Unable to connect (WebSocket error: {e})"),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConnectError::Config(_) | ConnectError::WebSocket(_) => None,
            ConnectError::Lookup { source: e, .. } | ConnectError::Io(e) | ConnectError::Tls(e) => {
                Some(e)
            }
        }
    }
}

/// The OS message without Rust's ` (os error N)` suffix, as `strerror` prints it:
/// `Connection refused`.
pub(crate) fn os_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(end) => text[..end].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let refused = io::Error::from_raw_os_error(111);
        assert_eq!(ConnectError::Io(refused).to_string(), "Connection refused");
        let lookup = ConnectError::Lookup {
            host: "nowhere.invalid".into(),
            source: io::Error::other("failed to lookup address information"),
        };
        assert_eq!(
            lookup.to_string(),
            "Unable to connect (Lookup error: nowhere.invalid: failed to lookup address information)"
        );
        assert_eq!(lookup.mosq_err(), 15);
    }
}
