//! Why the endpoint's TLS could not be set up: which file, and what is wrong with it.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// A certificate, key or CA file that cannot be used, or a certificate that cannot be generated.
///
/// [`Server::bind`](crate::http::Server::bind) returns it inside an [`io::Error`] of kind
/// [`InvalidInput`](io::ErrorKind::InvalidInput) (reach it with [`io::Error::get_ref`] and `downcast_ref`);
/// at a reload it is logged and the certificate served so far is kept.
#[derive(Debug)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    Read {
        /// The configuration key naming the file (`endpoint.tls.cert_file`).
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file was read but does not hold what the key asks for.
    Content {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The files are each well formed but do not go together (the key does not match the certificate),
    /// or rustls refused the configuration.
    Refused {
        /// What rustls said.
        reason: String,
    },
    /// The self-signed certificate could not be generated.
    SelfSigned {
        /// What rcgen said.
        reason: String,
    },
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::Read { key, path, source } => write!(f, "{key} {}: cannot read it: {source}", path.display()),
            TlsError::Content { key, path, reason } => write!(f, "{key} {}: {reason}", path.display()),
            TlsError::Refused { reason } => write!(f, "endpoint.tls: {reason}"),
            TlsError::SelfSigned { reason } => {
                write!(f, "endpoint.tls.self_signed: cannot generate a certificate: {reason}")
            }
        }
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<TlsError> for io::Error {
    fn from(e: TlsError) -> Self {
        io::Error::new(io::ErrorKind::InvalidInput, e)
    }
}
