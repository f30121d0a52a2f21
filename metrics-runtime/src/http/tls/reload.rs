//! The rustls configuration served, rebuilt when the certificate, key or client CA files change.
//!
//! Each connection takes the configuration current when it arrives, so a rotation applies from the next
//! connection on and open connections keep theirs. The files are looked at (three `stat` calls) when a
//! connection arrives and `reload_interval_ms` has passed since the last look; they are read again only if
//! one of them changed (its size, modification time or inode: Kubernetes swaps a symbolic link to a new
//! directory). A change that does not load (a key that no longer matches, a half-written file) is logged
//! and the previous configuration kept; the files are tried again once they change again.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::pem;
use super::server_config::build;
use super::{TlsError, self_signed};
use crate::config::TlsConfig;

/// Where the certificate comes from.
enum Certificate {
    /// Read from these files, again when they change.
    Files { cert: PathBuf, key: PathBuf },
    /// Generated at start.
    Generated { chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static> },
}

/// What a file looked like: its size, modification time and inode; `None` if it could not be read.
type Stamp = Option<(u64, Option<SystemTime>, u64)>;

fn stamp(path: &Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.len(), meta.modified().ok(), inode))
}

struct State {
    config: Arc<ServerConfig>,
    /// The stamps of the files when they were last read, whether or not they loaded.
    stamps: Vec<Stamp>,
    checked: Instant,
}

/// The files (or the generated certificate) a configuration is made of.
struct Sources {
    certificate: Certificate,
    client_ca: Option<PathBuf>,
}

impl Sources {
    /// The files watched, in a fixed order.
    fn files(&self) -> impl Iterator<Item = &Path> {
        let (cert, key) = match &self.certificate {
            Certificate::Files { cert, key } => (Some(cert.as_path()), Some(key.as_path())),
            Certificate::Generated { .. } => (None, None),
        };
        cert.into_iter().chain(key).chain(self.client_ca.as_deref())
    }

    fn stamps(&self) -> Vec<Stamp> {
        self.files().map(stamp).collect()
    }

    /// Reads the files (the generated certificate as it is) and builds a configuration of them.
    fn load(&self) -> Result<ServerConfig, TlsError> {
        let (chain, key) = match &self.certificate {
            Certificate::Files { cert, key } => (pem::cert_chain(cert)?, pem::private_key(key)?),
            Certificate::Generated { chain, key } => (chain.clone(), key.clone_key()),
        };
        let roots = self.client_ca.as_deref().map(pem::client_cas).transpose()?;
        build(chain, key, roots)
    }
}

/// The current configuration, and how to make it again.
pub(super) struct Reloading {
    sources: Sources,
    interval: Duration,
    state: Mutex<State>,
}

impl Reloading {
    /// Reads (or generates) everything once: any error is the start's.
    pub(super) fn new(tls: &TlsConfig, host: IpAddr) -> Result<Self, TlsError> {
        let certificate = match (&tls.cert_file, &tls.key_file) {
            (Some(cert), Some(key)) if !tls.self_signed => Certificate::Files { cert: cert.clone(), key: key.clone() },
            _ => {
                let (chain, key) = self_signed::generate(self_signed::names_for(host))?;
                Certificate::Generated { chain, key }
            }
        };
        let sources = Sources { certificate, client_ca: tls.client_ca_file.clone() };
        let stamps = sources.stamps();
        let config = Arc::new(sources.load()?);
        let state = Mutex::new(State { config, stamps, checked: Instant::now() });
        Ok(Reloading { sources, interval: Duration::from_millis(tls.reload_interval_ms), state })
    }

    /// The configuration to serve a new connection with, after reloading it if the files changed.
    pub(super) fn current(&self) -> Arc<ServerConfig> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.checked.elapsed() >= self.interval && self.sources.files().next().is_some() {
            state.checked = Instant::now();
            let stamps = self.sources.stamps();
            if stamps != state.stamps {
                state.stamps = stamps;
                match self.sources.load() {
                    Ok(config) => {
                        tracing::info!("TLS files changed: serving the new certificate from the next connection");
                        state.config = Arc::new(config);
                    }
                    Err(e) => {
                        tracing::warn!("TLS files changed but cannot be used; keeping the previous certificate: {e}")
                    }
                }
            }
        }
        Arc::clone(&state.config)
    }
}
