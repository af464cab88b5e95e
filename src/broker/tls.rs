//! The rustls server side of TLS listeners: certificate, key and optional client verification.

use crate::transport::pem;
use anyhow::Context;
use rustls::crypto::ring;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use std::path::PathBuf;
use std::sync::Arc;

/// A TLS listener's files and client-certificate policy, as mosquitto.conf names them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// `certfile`: PEM certificate chain presented to clients.
    pub cert: PathBuf,
    /// `keyfile`: PEM private key of `cert`.
    pub key: PathBuf,
    /// `cafile`: CAs that client certificates must chain to.
    pub cafile: Option<PathBuf>,
    /// `require_certificate`: refuse clients without a valid certificate (needs `cafile`).
    pub require_certificate: bool,
    /// `use_identity_as_username`: the client certificate's CN replaces the CONNECT username.
    pub use_identity_as_username: bool,
    /// `tls_version`: the oldest TLS version accepted.
    pub min_version: MinVersion,
    /// `crlfile`: revoked client certificates (needs `cafile`).
    pub crlfile: Option<PathBuf>,
}

/// `tls_version`, which mosquitto 2.0.11 applies as the oldest version a listener accepts
/// (`tlsv1.2` still lets TLS 1.3 clients in). rustls has no TLS 1.1, so `tlsv1.1` accepts
/// what the default does: TLS 1.2 and 1.3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MinVersion {
    #[default]
    Tls12,
    Tls13,
}

impl MinVersion {
    /// mosquitto's values; others are an error, as in mosquitto.
    pub fn parse(value: &str) -> anyhow::Result<MinVersion> {
        match value {
            "tlsv1.1" | "tlsv1.2" => Ok(MinVersion::Tls12),
            "tlsv1.3" => Ok(MinVersion::Tls13),
            _ => anyhow::bail!("unsupported tls_version {value:?} (tlsv1.3, tlsv1.2 or tlsv1.1)"),
        }
    }

    fn versions(self) -> &'static [&'static SupportedProtocolVersion] {
        static TLS13_ONLY: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
        match self {
            MinVersion::Tls12 => rustls::ALL_VERSIONS,
            MinVersion::Tls13 => &TLS13_ONLY,
        }
    }
}

impl TlsSettings {
    /// Reads every file now, so a bad certificate stops `serve` before it reports readiness.
    /// Uses ring explicitly, never the process-wide default provider.
    pub fn server_config(&self) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(self.min_version.versions())?;
        let builder = match &self.cafile {
            Some(cafile) => {
                let mut roots = RootCertStore::empty();
                roots.add_parsable_certificates(pem::certs(cafile)?);
                let mut verifier =
                    WebPkiClientVerifier::builder_with_provider(roots.into(), provider);
                if let Some(crlfile) = &self.crlfile {
                    // As mosquitto (OpenSSL's X509_V_FLAG_CRL_CHECK): the client's own
                    // certificate is checked, not the CAs above it.
                    let crls = pem::crls(crlfile)?;
                    verifier = verifier.with_crls(crls).only_check_end_entity_revocation();
                }
                let verifier = match self.require_certificate {
                    true => verifier,
                    false => verifier.allow_unauthenticated(),
                };
                builder.with_client_cert_verifier(verifier.build()?)
            }
            None if self.require_certificate
                || self.use_identity_as_username
                || self.crlfile.is_some() =>
            {
                anyhow::bail!(
                    "require_certificate, use_identity_as_username and crlfile need a cafile"
                )
            }
            None => builder.with_no_client_auth(),
        };
        let certs = pem::certs(&self.cert)?;
        let config = builder
            .with_single_cert(certs, pem::key(&self.key)?)
            .context("certfile and keyfile do not work together")?;
        Ok(Arc::new(config))
    }
}
