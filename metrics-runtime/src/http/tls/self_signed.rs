//! `self_signed: true`: a certificate generated at start (ECDSA P-256, rcgen), for `localhost`, the
//! loopback addresses, the host bound and the machine's host name. Nobody can verify it: scrapers skip
//! verification (Prometheus's `insecure_skip_verify`), as Argo's `secure: true` expects.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

use super::TlsError;

/// How long a generated certificate is valid: it is made again at every start, and nobody verifies it.
const VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);
/// How far back its validity starts, for clients whose clock is behind.
const BACKDATE: Duration = Duration::from_secs(24 * 3600);

/// The names a generated certificate holds for a server bound to `host`.
pub(super) fn names_for(host: IpAddr) -> Vec<String> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if !host.is_unspecified() && !host.is_loopback() {
        names.push(host.to_string());
    }
    // A pod's name, which is its host name in Kubernetes.
    let hostname = std::env::var("HOSTNAME").ok().filter(|h| valid_dns_name(h));
    if let Some(hostname) = hostname.filter(|h| !names.contains(h)) {
        names.push(hostname);
    }
    names
}

fn valid_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| {
            !part.is_empty()
                && part.len() <= 63
                && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !part.starts_with('-')
                && !part.ends_with('-')
        })
}

/// A certificate for `names` signed by its own new key.
pub(super) fn generate(names: Vec<String>) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    let fail = |e: rcgen::Error| TlsError::SelfSigned { reason: e.to_string() };
    let mut params = CertificateParams::new(names).map_err(fail)?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, "promstruct self-signed metrics endpoint");
    params.distinguished_name = subject;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let at = |secs: u64| OffsetDateTime::from_unix_timestamp(secs as i64).expect("a time after 1970 and before 9999");
    params.not_before = at(now.saturating_sub(BACKDATE).as_secs());
    params.not_after = at((now + VALIDITY).as_secs());
    let key = KeyPair::generate().map_err(fail)?;
    let cert = params.self_signed(&key).map_err(fail)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((vec![cert.der().clone()], key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_loopback_and_the_host_bound() {
        let names = names_for("10.1.2.3".parse().unwrap());
        for name in ["localhost", "127.0.0.1", "::1", "10.1.2.3"] {
            assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
        }
        let names = names_for("0.0.0.0".parse().unwrap());
        assert!(!names.iter().any(|n| n == "0.0.0.0"), "{names:?}");
        assert!(valid_dns_name("metrics-7d9f-xk2p.default"));
        assert!(!valid_dns_name("bad_name") && !valid_dns_name("-x") && !valid_dns_name(""));
    }

    #[test]
    fn a_generated_certificate_is_one_rustls_serves() {
        let (chain, key) = generate(names_for("127.0.0.1".parse().unwrap())).unwrap();
        let provider = rustls::crypto::ring::default_provider();
        rustls::sign::CertifiedKey::from_der(chain, key, &provider).expect("the key matches the certificate");
    }
}
