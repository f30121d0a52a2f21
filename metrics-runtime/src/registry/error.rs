//! Why a collector was not registered, or a scrape produced nothing.

use std::fmt;

use crate::MetricType;

/// Why a collector was not registered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two families would expose the same sample name.
    Duplicate {
        /// The family being registered.
        name: String,
        /// Its type.
        kind: MetricType,
        /// The family it clashes with.
        existing: String,
        /// That family's type.
        existing_kind: MetricType,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Duplicate { name, kind, existing, existing_kind } if name == existing => write!(
                f,
                "duplicate metric family `{name}`: a {kind} `{name}` is registered already as a {existing_kind}"
            ),
            RegistryError::Duplicate { name, kind, existing, existing_kind } => write!(
                f,
                "metric family {kind} `{name}` clashes with the registered {existing_kind} `{existing}`: their \
                 samples would share a name"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// Why a scrape produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A collector panicked while writing; nothing of this scrape was kept, since a partial exposition
    /// would read as series that vanished.
    CollectorPanicked {
        /// The collector's type.
        collector: &'static str,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::CollectorPanicked { collector } => {
                write!(f, "collector `{collector}` panicked while encoding; the scrape was abandoned")
            }
        }
    }
}

impl std::error::Error for EncodeError {}
