//! The rustls client configuration behind mosquitto's TLS options.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::crypto::ring;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion};
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

use super::verifier::IgnoreHostname;
use super::{pem, BoxedStream, ConnectError};

/// TLS options as mosquitto_pub/sub take them. Trust anchors are the union of `cafile`,
/// `capath` and, with `os_certs` or when neither of those is given, the OS store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// `--cafile`: PEM file of trusted CA certificates (several allowed).
    pub cafile: Option<PathBuf>,
    /// `--capath`: directory whose PEM files hold trusted CA certificates.
    pub capath: Option<PathBuf>,
    /// `--cert`: PEM client certificate chain; needs `key`.
    pub cert: Option<PathBuf>,
    /// `--key`: PEM private key (PKCS#8, PKCS#1 or SEC1) for `cert`.
    pub key: Option<PathBuf>,
    /// `--insecure`: accept a server certificate issued for another host name.
    pub insecure: bool,
    /// `--tls-version`: the oldest version allowed; both 1.2 and 1.3 when `None`.
    pub version: Option<TlsVersion>,
    /// `--tls-alpn`: the one ALPN protocol to offer.
    pub alpn: Option<String>,
    /// `--tls-use-os-certs`; also what `mqtts://` and `-p 8883` imply.
    pub os_certs: bool,
    /// `--tls-keylog`: the file the session secrets are appended to.
    pub keylog: Option<PathBuf>,
}

/// `--tls-version`, a minimum as in mosquitto 2.0 (`tlsv1.2` still allows 1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

impl FromStr for TlsVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "tlsv1.2" => Ok(TlsVersion::Tls12),
            "tlsv1.3" => Ok(TlsVersion::Tls13),
            "tlsv1.1" | "tlsv1" => Err(format!(
                "TLS version {s} is not supported, use tlsv1.2 or tlsv1.3."
            )),
            _ => Err(format!("Protocol {s} not supported.")),
        }
    }
}

/// What `--tls-version tlsv1.3` allows.
static TLS13_ONLY: &[&SupportedProtocolVersion] = &[&rustls::version::TLS13];

impl TlsVersion {
    fn allowed(version: Option<TlsVersion>) -> &'static [&'static SupportedProtocolVersion] {
        match version {
            Some(TlsVersion::Tls13) => TLS13_ONLY,
            Some(TlsVersion::Tls12) | None => rustls::ALL_VERSIONS,
        }
    }
}

/// Builds the client configuration, reading every file now so that bad options fail before
/// any connection is tried. Uses ring explicitly, never the process-wide default provider.
pub(super) fn client_config(opts: &TlsOptions) -> Result<Arc<ClientConfig>, ConnectError> {
    let provider = Arc::new(ring::default_provider());
    let roots = Arc::new(root_store(opts)?);
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(ConnectError::config)?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(TlsVersion::allowed(opts.version))
        .map_err(ConnectError::config)?;
    let builder = if opts.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(IgnoreHostname(webpki)))
    } else {
        builder.with_webpki_verifier(webpki)
    };
    let mut config = match (&opts.cert, &opts.key) {
        (Some(cert), Some(key)) => builder
            .with_client_auth_cert(pem::certs(cert)?, pem::key(key)?)
            .map_err(|e| ConnectError::config(format!("client certificate or key: {e}")))?,
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(ConnectError::Config(
                "Both certfile and keyfile must be provided if one of them is set.".into(),
            ))
        }
    };
    config.alpn_protocols = opts.alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    if let Some(path) = &opts.keylog {
        config.key_log = Arc::new(KeyLogFile(path.clone()));
    }
    Ok(Arc::new(config))
}

/// `--tls-keylog FILE`: session secrets in the NSS key log format Wireshark reads, one
/// `LABEL CLIENT_RANDOM SECRET` line each (hex). rustls's own `KeyLogFile` reads only the
/// `SSLKEYLOGFILE` variable, so the file named on the command line gets this one. As mosquitto
/// 2.1 does (`tls_keylog_callback`), the file is opened to append each line, created if need
/// be, and a line that cannot be written is dropped without a word.
#[derive(Debug)]
struct KeyLogFile(std::path::PathBuf);

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        use std::io::Write;
        let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.0);
        if let Ok(mut file) = file {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

/// Runs the handshake over `stream`, sending `host` as SNI unless it is an IP address.
pub(super) async fn handshake(
    config: Arc<ClientConfig>,
    host: &str,
    stream: BoxedStream,
) -> Result<TlsStream<BoxedStream>, ConnectError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| ConnectError::config(format!("invalid host name '{host}'")))?;
    TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(ConnectError::Tls)
}

fn root_store(opts: &TlsOptions) -> Result<RootCertStore, ConnectError> {
    let mut roots = RootCertStore::empty();
    if let Some(cafile) = &opts.cafile {
        add_all(&mut roots, pem::certs(cafile)?, &cafile.display())?;
    }
    if let Some(capath) = &opts.capath {
        add_all(&mut roots, pem::dir_certs(capath)?, &capath.display())?;
    }
    if opts.os_certs || (opts.cafile.is_none() && opts.capath.is_none()) {
        add_native(&mut roots)?;
    }
    Ok(roots)
}

/// Adds the certificates rustls can use; none at all is an error naming `source`.
fn add_all(
    roots: &mut RootCertStore,
    certs: Vec<rustls::pki_types::CertificateDer<'static>>,
    source: &dyn std::fmt::Display,
) -> Result<(), ConnectError> {
    match roots.add_parsable_certificates(certs) {
        (0, _) => Err(ConnectError::config(format!(
            "{source}: no usable CA certificate"
        ))),
        _ => Ok(()),
    }
}

/// Adds what the OS store yields; one broken system certificate must not stop the others.
fn add_native(roots: &mut RootCertStore) -> Result<(), ConnectError> {
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    match (added, native.errors.first()) {
        (0, Some(e)) => Err(ConnectError::config(format!("OS certificate store: {e}"))),
        (0, None) => Err(ConnectError::config(
            "OS certificate store: no usable certificate",
        )),
        _ => Ok(()),
    }
}
