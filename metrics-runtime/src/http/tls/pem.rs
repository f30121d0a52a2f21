//! Reading the PEM files of `endpoint.tls`: a certificate chain, a private key, CA certificates.

use std::path::Path;

use rustls::RootCertStore;
use rustls::pki_types::pem::{self, PemObject, SectionKind};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::TlsError;

/// The configuration keys the files come from, as errors name them.
pub(super) const CERT_KEY: &str = "endpoint.tls.cert_file";
pub(super) const KEY_KEY: &str = "endpoint.tls.key_file";
pub(super) const CA_KEY: &str = "endpoint.tls.client_ca_file";

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read { key, path: path.to_owned(), source })
}

fn content(key: &'static str, path: &Path, reason: impl Into<String>) -> TlsError {
    TlsError::Content { key, path: path.to_owned(), reason: reason.into() }
}

fn pem_reason(e: &pem::Error) -> String {
    match e {
        pem::Error::NoItemsFound => "no PEM block in it".to_owned(),
        other => format!("not valid PEM: {other:?}"),
    }
}

/// Every `CERTIFICATE` block of a file, in order.
fn certificates(key: &'static str, path: &Path, bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| content(key, path, pem_reason(&e)))?;
    if certs.is_empty() {
        return Err(content(key, path, "no CERTIFICATE block in it (expected PEM, `-----BEGIN CERTIFICATE-----`)"));
    }
    Ok(certs)
}

/// The certificate chain of `cert_file`: the server's certificate first.
pub(super) fn cert_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    certificates(CERT_KEY, path, &read(CERT_KEY, path)?)
}

/// The one private key of `key_file`.
pub(super) fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read(KEY_KEY, path)?;
    let mut keys = Vec::new();
    let mut certificates = 0;
    for item in <(SectionKind, Vec<u8>)>::pem_slice_iter(&bytes) {
        let (kind, der) = item.map_err(|e| content(KEY_KEY, path, pem_reason(&e)))?;
        let key = match kind {
            SectionKind::PrivateKey => PrivateKeyDer::Pkcs8(der.into()),
            SectionKind::RsaPrivateKey => PrivateKeyDer::Pkcs1(der.into()),
            SectionKind::EcPrivateKey => PrivateKeyDer::Sec1(der.into()),
            SectionKind::Certificate => {
                certificates += 1;
                continue;
            }
            _ => continue,
        };
        keys.push(key);
    }
    match keys.len() {
        0 if certificates > 0 => {
            Err(content(KEY_KEY, path, "holds certificates but no private key (is it the certificate file?)"))
        }
        0 => Err(content(
            KEY_KEY,
            path,
            "no private key in it (expected a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)",
        )),
        1 => Ok(keys.pop().expect("one key")),
        n => Err(content(KEY_KEY, path, format!("{n} private keys in it; it must hold one"))),
    }
}

/// The CA certificates of `client_ca_file`.
pub(super) fn client_cas(path: &Path) -> Result<RootCertStore, TlsError> {
    let certs = certificates(CA_KEY, path, &read(CA_KEY, path)?)?;
    let mut roots = RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots
            .add(cert)
            .map_err(|e| content(CA_KEY, path, format!("certificate {} is not a usable CA certificate: {e}", i + 1)))?;
    }
    Ok(roots)
}
