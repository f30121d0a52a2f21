//! The rustls configuration of the endpoint: the ring provider, TLS 1.3 and 1.2 only, HTTP/2 and HTTP/1.1
//! offered by ALPN, client certificates required when a CA is configured.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use super::TlsError;

/// The protocol versions served: no SSL, no TLS 1.0 or 1.1.
pub(super) static VERSIONS: [&rustls::SupportedProtocolVersion; 2] = [&rustls::version::TLS13, &rustls::version::TLS12];

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A configuration serving `chain` with `key`, requiring client certificates signed by `client_cas` if
/// given.
pub(super) fn build(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_cas: Option<RootCertStore>,
) -> Result<ServerConfig, TlsError> {
    let refused = |what: &str, e: &dyn std::fmt::Display| TlsError::Refused { reason: format!("{what}: {e}") };
    let provider = provider();
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&VERSIONS)
        .map_err(|e| refused("the TLS versions", &e))?;
    let builder = match client_cas {
        Some(roots) => {
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| refused("endpoint.tls.client_ca_file", &e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_single_cert(chain, key).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::Refused {
            reason: "the private key of key_file does not match the certificate of cert_file".to_owned(),
        },
        e => refused("the certificate and key", &e),
    })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
