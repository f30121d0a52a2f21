//! The error of the loaders and of validation: which key, where its value came from, and why.

use std::fmt;
use std::path::PathBuf;

/// Why a configuration was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not YAML.
    Syntax {
        /// Where the text came from: a file's path.
        origin: String,
        /// The parser's message, with line and column.
        reason: String,
    },
    /// A key has a value the schema refuses, or is not in the schema.
    Invalid {
        /// Where the value came from: a file's path, an environment variable, or `configuration`.
        origin: String,
        /// The key, as a path from the document's root (`prometheus_metrics.cache.ttl_ms`).
        key: String,
        /// Why it was refused.
        reason: String,
    },
}

impl ConfigError {
    /// The key at fault, if the error is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }

    pub(super) fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { origin: "configuration".into(), key: key.into(), reason: reason.into() }
    }

    #[cfg(feature = "config")]
    pub(super) fn with_origin(self, new_origin: &str) -> Self {
        match self {
            ConfigError::Invalid { key, reason, .. } => ConfigError::Invalid { origin: new_origin.into(), key, reason },
            ConfigError::Syntax { reason, .. } => ConfigError::Syntax { origin: new_origin.into(), reason },
            other => other,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            ConfigError::Syntax { origin, reason } => write!(f, "{origin}: not valid YAML: {reason}"),
            ConfigError::Invalid { origin, key, reason } => write!(f, "{origin}: `{key}`: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}
