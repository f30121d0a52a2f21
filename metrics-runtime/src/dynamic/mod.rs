//! Metrics defined at run time from data: for systems whose users declare metrics in configuration, as
//! Argo Workflows does.
//!
//! A [`DynamicMetrics`] set lives in one [`Registry`](crate::Registry). Each definition is checked by the
//! same rules the `#[metrics]` macro applies at compile time (the `promstruct-naming` crate); defining a name
//! again with the same type, help, labels and buckets returns the family already there, and with anything
//! different is an error naming what differs. Every label is open, so families are bounded by `max_series`
//! and may drop idle series after a TTL. Real-time gauges read their value from a callback at each scrape.
//!
//! ```
//! use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
//! use promstruct::{Format, Registry};
//!
//! let registry = Registry::new();
//! let dynamic = DynamicMetrics::new(&registry).unwrap();
//! let spec = MetricSpec::new("workflow_runs", "Workflow runs by template.", SpecKind::Counter).labels(["template"]);
//! let runs = dynamic.counter(&spec).unwrap();
//! runs.get(&["nightly-build"]).inc();
//! // The same definition again is the same family; another help text for the name is an error.
//! assert!(dynamic.counter(&spec).is_ok());
//! assert!(dynamic.counter(&MetricSpec::new("workflow_runs", "Other.", SpecKind::Counter).labels(["template"])).is_err());
//! ```
//!
//! The definition is a [`MetricSpec`] (`spec`), refused with a [`DefineError`] (`error`); the set that
//! defines and exposes the families is [`DynamicMetrics`] (`set`); real-time gauges are [`RealtimeGauges`]
//! (`realtime`).

mod error;
mod realtime;
mod set;
mod spec;

use std::sync::Arc;

use crate::cell::{FloatCounter, FloatGauge, Histogram};
use crate::family::OpenFamily;
use crate::registry::Collect;

pub use error::DefineError;
pub use realtime::RealtimeGauges;
pub use set::DynamicMetrics;
pub use spec::{MetricSpec, SpecKind};

/// One family defined at run time.
#[derive(Debug, Clone)]
pub enum DynamicFamily {
    /// A counter.
    Counter(Arc<OpenFamily<FloatCounter>>),
    /// A gauge.
    Gauge(Arc<OpenFamily<FloatGauge>>),
    /// A real-time gauge.
    Realtime(Arc<RealtimeGauges>),
    /// A histogram.
    Histogram(Arc<OpenFamily<Histogram>>),
}

impl DynamicFamily {
    fn as_collect(&self) -> &dyn Collect {
        match self {
            DynamicFamily::Counter(f) => &**f,
            DynamicFamily::Gauge(f) => &**f,
            DynamicFamily::Realtime(f) => &**f,
            DynamicFamily::Histogram(f) => &**f,
        }
    }
}
