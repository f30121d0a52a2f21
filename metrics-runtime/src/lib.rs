//! Prometheus metrics declared once, checked at compile time, updated with one relaxed atomic operation.
//!
//! Annotate a struct with [`#[metrics]`](macro@metrics): the macro generates typed label enums, storage
//! for every family and one typed method per family, and refuses bad names, units, buckets and label sets
//! at compile time. Register the struct in a [`Registry`] and encode it in the Prometheus text format
//! 0.0.4 or OpenMetrics 1.0.
//!
//! Everything the macro generates is built from the public API of this crate, which works without it:
//! cells ([`Counter`], [`FloatCounter`], [`Gauge`], [`FloatGauge`], [`Histogram`], [`Info`]), families
//! ([`DenseFamily`] for enum labels, [`OpenFamily`] for open ones), the [`Registry`] and the [`Encoder`].
//!
//! ```
//! use promstruct::{Counter, DenseFamily, Descriptor, Format, MetricType, Registry};
//! use std::sync::Arc;
//!
//! let desc = Descriptor::new("jobs", MetricType::Counter, "Jobs run.").unwrap();
//! let jobs = Arc::new(DenseFamily::<(), Counter>::new(desc, ()));
//! let registry = Registry::new();
//! registry.register(jobs.clone()).unwrap();
//! jobs.get(()).inc();
//!
//! let mut buf = Vec::new();
//! registry.encode(Format::Text, &mut buf).unwrap();
//! let text = String::from_utf8(buf).unwrap();
//! assert!(text.starts_with("# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 1\n"));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

pub mod cell;
mod clock;
pub mod collectors;
#[cfg(feature = "http")]
pub mod config;
mod descriptor;
pub mod dynamic;
pub mod encoding;
#[cfg(feature = "export")]
pub mod export;
pub mod family;
#[cfg(feature = "http")]
pub mod http;
pub mod label;
#[cfg(feature = "push")]
pub mod push;
mod registry;
mod schema;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use cell::{
    Buckets, Counter, CounterRef, FloatCounter, FloatGauge, Gauge, Histogram, HistogramTimer, InflightGuard, Info,
    Metric, rejected_updates,
};
pub use descriptor::{Descriptor, DescriptorBuilder};
pub use encoding::{Encoder, Format};
pub use family::{DenseFamily, OpenFamily, OpenOptions, SeriesBudget, SeriesRef};
pub use label::{LabelEnum, LabelSet};
pub use promstruct_macros::{LabelEnum, metrics};
pub use promstruct_naming::{Convention, MetricType, Policy, RuleError};
pub use registry::{Collect, EncodeError, Registry, RegistryBuilder, RegistryError};
pub use schema::{DEFAULT_SLO_WINDOW, FamilySchema, LabelSchema, SloIndicator, SloSchema};

/// What a user of `#[metrics]` imports: the macros, the cells, [`Registry`] and [`Format`].
pub mod prelude {
    pub use crate::{
        Buckets, Counter, CounterRef, FloatCounter, FloatGauge, Format, Gauge, Histogram, Info, LabelEnum, Registry,
        metrics,
    };
    pub use std::sync::LazyLock;
}
