//! The common name (CN) of a client certificate's subject, for `use_identity_as_username`.
//!
//! A few lines of DER walking rather than a full X.509 parser: rustls has already verified
//! the certificate, so only the path to the subject needs reading, and any surprise yields
//! `None` instead of an error.

/// The OID 2.5.4.3 (commonName), as encoded in DER.
const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID: u8 = 0x06;
/// `[0] EXPLICIT Version`, present in every v3 certificate.
const VERSION: u8 = 0xA0;

/// The first CN of the subject of DER certificate `cert`, if it has a textual one.
pub fn common_name(cert: &[u8]) -> Option<String> {
    let (_, certificate, _) = expect(cert, SEQUENCE)?;
    let (_, mut tbs, _) = expect(certificate, SEQUENCE)?;
    if tbs.first() == Some(&VERSION) {
        tbs = tlv(tbs)?.2;
    }
    // serial number, signature algorithm, issuer, validity; then the subject.
    for _ in 0..4 {
        tbs = tlv(tbs)?.2;
    }
    let (_, mut names, _) = expect(tbs, SEQUENCE)?;
    while !names.is_empty() {
        let (_, mut set, rest) = expect(names, SET)?;
        names = rest;
        // A relative distinguished name may hold several attributes.
        while !set.is_empty() {
            let (_, pair, rest) = expect(set, SEQUENCE)?;
            set = rest;
            let (_, oid, value) = expect(pair, OID)?;
            if oid == COMMON_NAME {
                let (_, text, _) = tlv(value)?;
                return String::from_utf8(text.to_vec()).ok();
            }
        }
    }
    None
}

/// The next element of `input` if its tag is `tag`.
fn expect(input: &[u8], tag: u8) -> Option<(u8, &[u8], &[u8])> {
    tlv(input).filter(|(t, _, _)| *t == tag)
}

/// Splits the next DER element off `input`: its tag, its contents and what follows.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7F => (usize::from(first), rest),
        0x81..=0x84 => {
            let n = usize::from(first & 0x7F);
            let bytes = rest.get(..n)?;
            let len = bytes
                .iter()
                .fold(0usize, |len, &b| len << 8 | usize::from(b));
            (len, &rest[n..])
        }
        _ => return None,
    };
    let contents = rest.get(..len)?;
    Some((tag, contents, &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, DnType, KeyPair};

    fn cert_with(names: &[(DnType, &str)]) -> Vec<u8> {
        let mut params = CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        for (kind, value) in names {
            params.distinguished_name.push(kind.clone(), *value);
        }
        let key = KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn finds_the_common_name_among_other_names() {
        let der = cert_with(&[
            (DnType::CountryName, "FR"),
            (DnType::CommonName, "sensor-7"),
            (DnType::OrganizationName, "mqtk"),
        ]);
        assert_eq!(common_name(&der).as_deref(), Some("sensor-7"));
    }

    #[test]
    fn none_without_a_common_name_or_with_garbage() {
        assert_eq!(
            common_name(&cert_with(&[(DnType::OrganizationName, "x")])),
            None
        );
        assert_eq!(common_name(&[]), None);
        assert_eq!(common_name(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]), None);
        let der = cert_with(&[(DnType::CommonName, "c")]);
        for cut in 0..der.len() {
            let _ = common_name(&der[..cut]);
        }
    }
}
