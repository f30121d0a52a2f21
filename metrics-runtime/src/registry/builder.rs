//! The settings of a registry.

use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};

use super::{Registry, RegistryInner, self_metrics::SELF_FAMILIES};
use crate::encoding::Scratch;
use crate::family::SeriesBudget;

/// Builds a [`Registry`] with non-default settings.
#[derive(Debug, Clone)]
pub struct RegistryBuilder {
    total_limit: usize,
    per_family: usize,
    self_metrics: bool,
    openmetrics_created: bool,
}

impl RegistryBuilder {
    /// The defaults: [`DEFAULT_TOTAL_LIMIT`](promstruct_naming::DEFAULT_TOTAL_LIMIT) series in all,
    /// [`DEFAULT_MAX_SERIES`](promstruct_naming::DEFAULT_MAX_SERIES) per open family, self-metrics on.
    pub(super) fn new() -> Self {
        RegistryBuilder {
            total_limit: promstruct_naming::DEFAULT_TOTAL_LIMIT,
            per_family: promstruct_naming::DEFAULT_MAX_SERIES,
            self_metrics: true,
            openmetrics_created: false,
        }
    }

    /// The most series all families together may hold (default 10,000). Series of enum-labelled families
    /// are fixed at compile time and always kept; they count against the limit, and series created at run
    /// time past it go to their family's overflow series.
    pub fn total_series_limit(mut self, limit: usize) -> Self {
        self.total_limit = limit;
        self
    }

    /// The most series an open family registered here holds when it sets no `max_series` of its own
    /// (default [`DEFAULT_MAX_SERIES`](promstruct_naming::DEFAULT_MAX_SERIES), 1,000): the configuration's
    /// `cardinality.max_per_metric`. Families declared with `#[metrics]` and defined at run time alike.
    pub fn max_series_per_family(mut self, max_series: usize) -> Self {
        self.per_family = max_series;
        self
    }

    /// Whether to expose the registry's own `promstruct_*` families (default true).
    pub fn self_metrics(mut self, on: bool) -> Self {
        self.self_metrics = on;
        self
    }

    /// Whether OpenMetrics scrapes carry a `_created` line for each counter and histogram series (default
    /// false, as in client_golang): Prometheus stores each `_created` line as a series of its own
    /// (prometheus/prometheus#6541), which nearly doubles a service's series. The protobuf format always
    /// sends `created_timestamp`; the text format 0.0.4 never has `_created`. The configuration's
    /// `exposition.openmetrics_created`.
    pub fn openmetrics_created(mut self, on: bool) -> Self {
        self.openmetrics_created = on;
        self
    }

    /// The registry.
    pub fn build(self) -> Registry {
        let families = if self.self_metrics {
            SELF_FAMILIES.iter().map(|schema| (schema.name().to_owned(), schema.kind())).collect()
        } else {
            Vec::new()
        };
        Registry(Arc::new(RegistryInner {
            collectors: RwLock::new(Vec::new()),
            families: Mutex::new(families),
            budget: SeriesBudget::with_per_family(self.total_limit, self.per_family),
            self_metrics: self.self_metrics,
            openmetrics_created: self.openmetrics_created,
            utf8_names: AtomicBool::new(false),
            scratch: Mutex::new(Scratch::new()),
            last_scrape_nanos: AtomicU64::new(0),
            last_series: AtomicU64::new(0),
        }))
    }
}
