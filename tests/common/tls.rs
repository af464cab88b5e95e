//! A private PKI made with rcgen in a temporary directory, for TLS listeners and clients
//! (ours and mosquitto's).

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams,
    CertifiedIssuer, DnType, IsCa, KeyIdMethod, KeyPair, RevokedCertParams, SerialNumber,
};
use std::path::Path;

/// A CA, a server certificate for 127.0.0.1, a client certificate with CN `sensor-7`, and one
/// with CN `stolen-8` that the CA's revocation list (`crl.pem`) revokes.
pub struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    /// Makes the CA and both certificates, readable by mosquitto's user.
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut params = CertificateParams::new(Vec::new()).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "test CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().expect("key");
        let ca = CertifiedIssuer::self_signed(params, key).expect("CA");
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).expect("write");
        let server = CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()]);
        leaf(dir.path(), "server", server.expect("params"), &ca);
        let mut client = CertificateParams::new(Vec::new()).expect("params");
        client
            .distinguished_name
            .push(DnType::CommonName, "sensor-7");
        leaf(dir.path(), "client", client, &ca);
        let mut stolen = CertificateParams::new(Vec::new()).expect("params");
        stolen
            .distinguished_name
            .push(DnType::CommonName, "stolen-8");
        stolen.serial_number = Some(SerialNumber::from(8));
        leaf(dir.path(), "stolen", stolen, &ca);
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(2020, 1, 1),
            next_update: date_time_ymd(2099, 1, 1),
            crl_number: SerialNumber::from(1),
            issuing_distribution_point: None,
            revoked_certs: vec![RevokedCertParams {
                serial_number: SerialNumber::from(8),
                revocation_time: date_time_ymd(2020, 1, 1),
                reason_code: None,
                invalidity_date: None,
            }],
            key_identifier_method: KeyIdMethod::Sha256,
        };
        let crl = crl.signed_by(&ca).expect("CRL").pem().expect("PEM");
        std::fs::write(dir.path().join("crl.pem"), crl).expect("write");
        // mosquitto started as root drops to its own user before it reads these.
        for entry in std::fs::read_dir(dir.path()).expect("read_dir") {
            set_mode(&entry.expect("entry").path(), 0o644);
        }
        set_mode(dir.path(), 0o755);
        Pki { dir }
    }

    /// The file `name` (`ca.pem`, `server.pem`, `server-key.pem`, `client.pem`, ...).
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// `--cert server.pem --key server-key.pem`, for `mqtk serve`.
    pub fn server_args(&self) -> Vec<String> {
        let (cert, key) = (self.path("server.pem"), self.path("server-key.pem"));
        vec!["--cert".into(), cert, "--key".into(), key]
    }
}

/// Writes `NAME.pem` and `NAME-key.pem`: a certificate for `params` signed by `ca`.
fn leaf(dir: &Path, name: &str, params: CertificateParams, ca: &CertifiedIssuer<'_, KeyPair>) {
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("sign");
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem()).expect("write");
    std::fs::write(dir.join(format!("{name}-key.pem")), key.serialize_pem()).expect("write");
}

/// `chmod MODE path`.
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
