//! Certificates and keys read from PEM files, with errors that name the file.

use std::fs;
use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};

use super::ConnectError;

/// Every certificate in `path`; a file without one is an error.
pub(crate) fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    every(path, "certificate")
}

/// Every certificate revocation list in `path`; a file without one is an error.
pub(crate) fn crls(
    path: &Path,
) -> Result<Vec<CertificateRevocationListDer<'static>>, ConnectError> {
    every(path, "certificate revocation list")
}

/// Every `T` (a `what`) in `path`, at least one.
fn every<T: PemObject>(path: &Path, what: &str) -> Result<Vec<T>, ConnectError> {
    let items: Result<Vec<T>, _> = T::pem_slice_iter(&read(path)?).collect();
    let items = items.map_err(|e| ConnectError::config(format!("{}: {e}", path.display())))?;
    if items.is_empty() {
        return Err(ConnectError::config(format!(
            "{}: no {what} found",
            path.display()
        )));
    }
    Ok(items)
}

/// The certificates of every file in `dir` that holds any; other files are skipped, as a CA
/// directory often holds more than certificates.
pub(super) fn dir_certs(dir: &Path) -> Result<Vec<CertificateDer<'static>>, ConnectError> {
    let unreadable = |e| ConnectError::config(format!("{}: {}", dir.display(), super::os_text(&e)));
    let mut certs = Vec::new();
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if let Ok(bytes) = fs::read(&path) {
            certs.extend(parse_certs(&bytes).unwrap_or_default());
        }
    }
    Ok(certs)
}

/// The first private key in `path`: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted.
pub(crate) fn key(path: &Path) -> Result<PrivateKeyDer<'static>, ConnectError> {
    PrivateKeyDer::from_pem_slice(&read(path)?).map_err(|e| {
        let reason = match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no unencrypted private key found".into()
            }
            e => e.to_string(),
        };
        ConnectError::config(format!("{}: {reason}", path.display()))
    })
}

fn parse_certs(
    bytes: &[u8],
) -> Result<Vec<CertificateDer<'static>>, rustls::pki_types::pem::Error> {
    CertificateDer::pem_slice_iter(bytes).collect()
}

fn read(path: &Path) -> Result<Vec<u8>, ConnectError> {
    fs::read(path)
        .map_err(|e| ConnectError::config(format!("{}: {}", path.display(), super::os_text(&e))))
}
