//! Why a definition was refused: [`DefineError`].

use std::fmt;

use crate::RuleError;
use crate::registry::RegistryError;

/// Why a definition was refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DefineError {
    /// A name, unit, label or bucket breaks the naming rules.
    Invalid {
        /// The metric's name as given.
        name: String,
        /// The rule broken.
        error: RuleError,
    },
    /// The name is defined already with another type, help, labels, unit or buckets.
    Conflict {
        /// The family name.
        name: String,
        /// What differs.
        reason: String,
    },
    /// The name clashes with a family another collector of the registry exposes.
    Registry(RegistryError),
    /// The set's registry is gone.
    RegistryDropped,
}

impl fmt::Display for DefineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefineError::Invalid { name, error } => write!(f, "metric `{name}`: {error}"),
            DefineError::Conflict { name, reason } => write!(f, "metric `{name}` is defined already: {reason}"),
            DefineError::Registry(e) => e.fmt(f),
            DefineError::RegistryDropped => write!(f, "the registry of this metric set was dropped"),
        }
    }
}

impl std::error::Error for DefineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DefineError::Invalid { error, .. } => Some(error),
            DefineError::Registry(e) => Some(e),
            _ => None,
        }
    }
}
