//! The naming rules of Prometheus metric families, kept in one place.
//!
//! The `#[metrics]` macro checks declarations against these rules at compile time, and the runtime checks
//! metrics defined at run time against the very same functions, so both accept and refuse exactly the same
//! names, units and buckets. The rules are those of the Prometheus data model and the OpenMetrics 1.0
//! specification, tightened to what `promtool check metrics` lints: a name that passes here exposes with no
//! lint finding.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod buckets;
mod error;
mod escaping;
mod labels;
mod limits;
mod metric_type;
mod names;
mod native;
mod policy;
#[cfg(test)]
mod tests;

pub use buckets::{check_buckets, exponential_buckets, linear_buckets};
pub use error::{BucketParam, RuleError};
pub use escaping::{Escaping, escape_name, exposed_name, is_legacy_label_name, is_legacy_metric_name, unescape_name};
pub use labels::{check_label_names, check_label_names_with, check_label_value, check_label_values};
pub use limits::*;
pub use metric_type::MetricType;
pub use names::*;
pub use native::*;
pub use policy::{Convention, Policy};
