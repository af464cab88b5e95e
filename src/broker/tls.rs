//! The rustls server side of TLS listeners: certificate, key and optional client verification.

use crate::transport::pem;
use anyhow::Context;
use rustls::crypto::ring;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
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
}

impl TlsSettings {
    /// Reads every file now, so a bad certificate stops `serve` before it reports readiness.
    /// Uses ring explicitly, never the process-wide default provider.
    pub fn server_config(&self) -> anyhow::Result<Arc<ServerConfig>> {
        let provider = Arc::new(ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS)?;
        let builder = match &self.cafile {
            Some(cafile) => {
                let mut roots = RootCertStore::empty();
                roots.add_parsable_certificates(pem::certs(cafile)?);
                let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider);
                let verifier = match self.require_certificate {
                    true => verifier,
                    false => verifier.allow_unauthenticated(),
                };
                builder.with_client_cert_verifier(verifier.build()?)
            }
            None if self.require_certificate || self.use_identity_as_username => {
                anyhow::bail!("require_certificate and use_identity_as_username need a cafile")
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
