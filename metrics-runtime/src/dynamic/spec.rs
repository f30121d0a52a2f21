//! The definition of a family as data: [`MetricSpec`] and its [`SpecKind`], and what differs between two
//! definitions of one name.

use std::time::Duration;

use crate::cell::NativeConfig;
use crate::{MetricType, Policy};

/// The type of a metric defined at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum SpecKind {
    /// A float counter.
    Counter,
    /// A float gauge set by the application.
    Gauge,
    /// A gauge whose value a callback returns at each scrape.
    RealtimeGauge,
    /// A histogram with these classic bucket bounds, native buckets, or both.
    Histogram {
        /// The finite upper bounds, strictly increasing; empty for a histogram with native buckets only.
        buckets: Vec<f64>,
        /// The native buckets, beside the classic ones (or alone, with no `buckets`).
        native: Option<NativeConfig>,
    },
}

impl SpecKind {
    /// A histogram with classic buckets only, at these bounds.
    pub fn histogram(buckets: impl Into<Vec<f64>>) -> Self {
        SpecKind::Histogram { buckets: buckets.into(), native: None }
    }

    /// A histogram with native buckets only.
    pub fn native_histogram(native: NativeConfig) -> Self {
        SpecKind::Histogram { buckets: Vec::new(), native: Some(native) }
    }

    pub(super) fn metric_type(&self) -> MetricType {
        match self {
            SpecKind::Counter => MetricType::Counter,
            SpecKind::Gauge | SpecKind::RealtimeGauge => MetricType::Gauge,
            SpecKind::Histogram { .. } => MetricType::Histogram,
        }
    }

    pub(super) fn describe(&self) -> &'static str {
        match self {
            SpecKind::Counter => "counter",
            SpecKind::Gauge => "gauge",
            SpecKind::RealtimeGauge => "real-time gauge",
            SpecKind::Histogram { .. } => "histogram",
        }
    }
}

/// The definition of one metric family, as data.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    /// The name; the unit is appended when the name does not end with it already, as the macro does.
    pub name: String,
    /// The help text.
    pub help: String,
    /// The type.
    pub kind: SpecKind,
    /// The label names, in order.
    pub labels: Vec<String>,
    /// The unit, a base unit (`seconds`, `bytes`, ...).
    pub unit: Option<String>,
    /// The most series the family holds before updates go to its overflow series; `None` (the default):
    /// the registry's bound per family, `cardinality.max_per_metric` in the configuration.
    pub max_series: Option<usize>,
    /// Drop a series not updated for this long.
    pub ttl: Option<Duration>,
    /// The naming conventions the name and labels may break ([`Policy::STRICT`] by default, as in
    /// `#[metrics]`; [`Policy::PERMISSIVE`] for systems such as Argo that allow Prometheus' whole data model).
    pub policy: Policy,
}

impl MetricSpec {
    /// A spec with no labels, no unit, bounded as its registry bounds families, kept forever, under
    /// [`Policy::STRICT`].
    pub fn new(name: impl Into<String>, help: impl Into<String>, kind: SpecKind) -> Self {
        MetricSpec {
            name: name.into(),
            help: help.into(),
            kind,
            labels: Vec::new(),
            unit: None,
            max_series: None,
            ttl: None,
            policy: Policy::STRICT,
        }
    }

    /// Sets the label names.
    pub fn labels<I: IntoIterator<Item = S>, S: Into<String>>(mut self, labels: I) -> Self {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the unit.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Sets the series bound.
    pub fn max_series(mut self, max_series: usize) -> Self {
        self.max_series = Some(max_series);
        self
    }

    /// Sets the idle TTL.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets the naming policy: which conventions the name and labels may break.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
}

/// What differs between two specs of one name, if anything.
pub(super) fn conflict(old: &MetricSpec, new: &MetricSpec) -> Option<String> {
    if old.kind.describe() != new.kind.describe() {
        return Some(format!("it is a {}, not a {}", old.kind.describe(), new.kind.describe()));
    }
    if old.help != new.help {
        return Some(format!("its help is {:?}, not {:?}", old.help, new.help));
    }
    if old.labels != new.labels {
        return Some(format!("its labels are {:?}, not {:?}", old.labels, new.labels));
    }
    if old.kind != new.kind {
        return Some("its buckets differ".to_owned());
    }
    if old.unit != new.unit {
        return Some(format!("its unit is {:?}, not {:?}", old.unit, new.unit));
    }
    if old.max_series != new.max_series || old.ttl != new.ttl {
        return Some("its max_series or ttl differ".to_owned());
    }
    None
}
