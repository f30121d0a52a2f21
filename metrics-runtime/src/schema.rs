//! Static descriptions of the families a `#[metrics]` struct declares: names, types, help, units, labels
//! and, for enum labels, every value. Tools read them to write documentation, dashboards and alert rules
//! without running a scrape.

mod native;

use std::time::Duration;

use crate::cell::{HistogramConfig, NativeConfig};
use crate::{Buckets, Descriptor, DescriptorBuilder, LabelEnum, MetricType, RuleError};
use promstruct_naming::DEFAULT_MAX_SERIES;

pub use native::NativeSchema;

/// One label of a family, as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelSchema {
    name: &'static str,
    values: Option<&'static [&'static str]>,
}

impl LabelSchema {
    /// A label named `name` taking `values` (an enum), or any value (`None`: an open label).
    #[doc(hidden)]
    pub const fn new(name: &'static str, values: Option<&'static [&'static str]>) -> Self {
        LabelSchema { name, values }
    }

    /// A label named `name` taking the values of the label enum `T`.
    #[doc(hidden)]
    pub const fn of<T: LabelEnum>(name: &'static str) -> Self {
        LabelSchema { name, values: Some(T::VALUES) }
    }

    /// A label named `name` taking any value.
    #[doc(hidden)]
    pub const fn open(name: &'static str) -> Self {
        LabelSchema { name, values: None }
    }

    /// The label name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Every value the label takes, in ordinal order, for an enum label; `None` for an open (string) label.
    pub const fn values(&self) -> Option<&'static [&'static str]> {
        self.values
    }

    /// Whether the label takes any string value.
    pub const fn is_open(&self) -> bool {
        self.values.is_none()
    }
}

/// The static description of one metric family declared with `#[metrics]`.
///
/// Every struct annotated with `#[metrics]` has a `FAMILIES` constant listing its families in declaration
/// order:
///
/// ```
/// use promstruct::prelude::*;
/// use promstruct::MetricType;
///
/// #[metrics(namespace = "shop")]
/// #[labels(Outcome { Paid = "paid", Declined = "declined" })]
/// pub struct ShopMetrics {
///     /// Checkouts, by outcome.
///     #[counter(labels(outcome: Outcome))]
///     checkouts: Counter,
/// }
///
/// let family = &ShopMetrics::FAMILIES[0];
/// assert_eq!(family.name(), "shop_checkouts");
/// assert_eq!(family.kind(), MetricType::Counter);
/// assert_eq!(family.help(), "Checkouts, by outcome.");
/// assert_eq!(family.labels()[0].values(), Some(&["paid", "declined"][..]));
/// assert_eq!(family.cardinality(), Some(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FamilySchema {
    name: &'static str,
    kind: MetricType,
    help: &'static str,
    unit: Option<&'static str>,
    labels: &'static [LabelSchema],
    buckets: Option<&'static [f64]>,
    max_series: Option<usize>,
    ttl: Option<Duration>,
    slo: Option<SloSchema>,
    native: Option<NativeSchema>,
}

impl FamilySchema {
    /// A family without unit or label, with parts `#[metrics]` checked at compile time.
    #[doc(hidden)]
    pub const fn new(name: &'static str, kind: MetricType, help: &'static str) -> Self {
        FamilySchema {
            name,
            kind,
            help,
            unit: None,
            labels: &[],
            buckets: None,
            max_series: None,
            ttl: None,
            slo: None,
            native: None,
        }
    }

    /// Sets the unit.
    #[doc(hidden)]
    pub const fn with_unit(mut self, unit: &'static str) -> Self {
        self.unit = Some(unit);
        self
    }

    /// Sets the labels.
    #[doc(hidden)]
    pub const fn with_labels(mut self, labels: &'static [LabelSchema]) -> Self {
        self.labels = labels;
        self
    }

    /// Sets the bucket bounds of a histogram.
    #[doc(hidden)]
    pub const fn with_buckets(mut self, buckets: &'static [f64]) -> Self {
        self.buckets = Some(buckets);
        self
    }

    /// Sets the series bound of a family with an open label.
    #[doc(hidden)]
    pub const fn with_max_series(mut self, max_series: usize) -> Self {
        self.max_series = Some(max_series);
        self
    }

    /// Sets the service level objective the family measures.
    #[doc(hidden)]
    pub const fn with_slo(mut self, slo: SloSchema) -> Self {
        self.slo = Some(slo);
        self
    }

    /// Sets the native buckets of a histogram (beside its classic buckets, if it has any).
    #[doc(hidden)]
    pub const fn with_native(mut self, native: NativeSchema) -> Self {
        self.native = Some(native);
        self
    }

    /// Sets the idle TTL of the series of a family with an open label.
    #[doc(hidden)]
    pub const fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The family name, as OpenMetrics writes it in `# TYPE`: namespace, subsystem, name and unit, without
    /// the `_total` of a counter or the `_info` of an info.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The metric type.
    pub const fn kind(&self) -> MetricType {
        self.kind
    }

    /// The help text, from the field's doc comment or its `help` option.
    pub const fn help(&self) -> &'static str {
        self.help
    }

    /// The unit, if one was declared.
    pub const fn unit(&self) -> Option<&'static str> {
        self.unit
    }

    /// The labels, in declaration order (the order of the accessor's arguments).
    pub const fn labels(&self) -> &'static [LabelSchema] {
        self.labels
    }

    /// The finite bucket bounds of a histogram (`+Inf` is implied); `None` for other types, and for a
    /// histogram with native buckets only.
    pub const fn buckets(&self) -> Option<&'static [f64]> {
        self.buckets
    }

    /// The native buckets of a histogram, if it has any (`native(...)`); it has classic buckets too when
    /// [`buckets`](Self::buckets) is `Some`.
    pub const fn native(&self) -> Option<&NativeSchema> {
        self.native.as_ref()
    }

    /// Whether a label takes any string value: the family's series are created on first use, up to
    /// [`max_series`](Self::max_series), instead of all existing from the start.
    pub const fn is_open(&self) -> bool {
        let mut i = 0;
        while i < self.labels.len() {
            if self.labels[i].is_open() {
                return true;
            }
            i += 1;
        }
        false
    }

    /// The most series a family with an open label keeps before new label values go to its overflow
    /// series: its declared `max_series`, else [`DEFAULT_MAX_SERIES`] (unless its registry sets another
    /// bound per family); `None` for a family whose labels are all enums, whose series are fixed.
    pub const fn max_series(&self) -> Option<usize> {
        match (self.max_series, self.is_open()) {
            (Some(max), true) => Some(max),
            (None, true) => Some(DEFAULT_MAX_SERIES),
            (_, false) => None,
        }
    }

    /// The `max_series` the declaration gives, if any: without one, an open family takes its registry's
    /// bound per family.
    pub const fn declared_max_series(&self) -> Option<usize> {
        self.max_series
    }

    /// The service level objective the family measures, if one was declared (`slo(...)`).
    pub const fn slo(&self) -> Option<&SloSchema> {
        self.slo.as_ref()
    }

    /// How long a series of a family with an open label is kept without updates, if it expires.
    pub const fn ttl(&self) -> Option<Duration> {
        self.ttl
    }

    /// The descriptor of this family under `namespace` (`<namespace>_<name>`), checked as
    /// [`DescriptorBuilder::build`](crate::DescriptorBuilder::build) checks: for a family described
    /// statically and defined at run time, such as a collector's.
    pub fn descriptor_in(&self, namespace: Option<&str>) -> Result<Descriptor, RuleError> {
        let builder = DescriptorBuilder::from_schema(self);
        match namespace {
            Some(namespace) => builder.namespace(namespace.to_owned()),
            None => builder,
        }
        .build()
    }

    /// The name of the sample holding a counter's, gauge's or info's value (`<name>_total`, `<name>`,
    /// `<name>_info`), or of a histogram's count (`<name>_count`): the name to query.
    pub fn sample_name(&self) -> String {
        format!("{}{}", self.name, self.kind.sample_suffix())
    }

    /// The number of series when every label is an enum: the product of their numbers of values (1 for a
    /// family without labels). `None` when a label is open; [`FamilySchema::max_series`] bounds it then.
    pub const fn cardinality(&self) -> Option<usize> {
        let mut product = 1;
        let mut i = 0;
        while i < self.labels.len() {
            match self.labels[i].values {
                Some(values) => product *= values.len(),
                None => return None,
            }
            i += 1;
        }
        Some(product)
    }
}

/// The default window of a service level objective: 30 days, the error budget period of the Google SRE
/// workbook.
pub const DEFAULT_SLO_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

/// A service level objective declared on a family: which events are good, the share of them that must be,
/// and over what window. `#[metrics]` checks at compile time that the threshold is one of the histogram's
/// buckets and that the label and values exist.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SloSchema {
    indicator: SloIndicator,
    objective: f64,
    window: Duration,
}

/// What makes an event bad for a [`SloSchema`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum SloIndicator {
    /// On a histogram: an observation above `threshold` (a bucket bound), such as a request slower than
    /// 500 ms.
    Latency {
        /// The bucket bound good observations are at or under.
        threshold: f64,
    },
    /// On a counter: an increment whose `label` takes one of `values`, such as `status="error"`.
    Errors {
        /// The label that tells good events from bad.
        label: &'static str,
        /// The values of `label` that mark a bad event.
        values: &'static [&'static str],
    },
}

impl SloSchema {
    /// An objective: at least `objective` (such as `0.99`) of the events good by `indicator`, over
    /// [`DEFAULT_SLO_WINDOW`].
    #[doc(hidden)]
    pub const fn new(indicator: SloIndicator, objective: f64) -> Self {
        SloSchema { indicator, objective, window: DEFAULT_SLO_WINDOW }
    }

    /// Sets the window the objective holds over.
    #[doc(hidden)]
    pub const fn with_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// What makes an event bad.
    pub const fn indicator(&self) -> SloIndicator {
        self.indicator
    }

    /// The share of events that must be good, in `(0, 1)`.
    pub const fn objective(&self) -> f64 {
        self.objective
    }

    /// The share of events that may be bad over the window: `1 - objective`.
    pub fn error_budget(&self) -> f64 {
        1.0 - self.objective
    }

    /// The window the objective holds over.
    pub const fn window(&self) -> Duration {
        self.window
    }
}

/// The configuration a family's cells take from its schema: the buckets of a histogram, nothing for the
/// other types. Implemented for every [`Metric::Config`](crate::Metric::Config) of the runtime's cells.
#[doc(hidden)]
pub trait SchemaConfig: Sized {
    /// The configuration `schema` declares.
    fn from_schema(schema: &FamilySchema) -> Self;
}

impl SchemaConfig for () {
    fn from_schema(_: &FamilySchema) {}
}

impl SchemaConfig for Buckets {
    /// # Panics
    /// If the bounds break the rules, which `#[metrics]` refused already at compile time.
    fn from_schema(schema: &FamilySchema) -> Self {
        let bounds = schema.buckets.unwrap_or(promstruct_naming::DEFAULT_BUCKETS);
        match Buckets::new(bounds) {
            Ok(buckets) => buckets,
            Err(e) => panic!("family `{}`: bucket bounds checked by #[metrics] were refused: {e}", schema.name),
        }
    }
}

impl SchemaConfig for HistogramConfig {
    /// The classic buckets the schema lists (the default ones when it lists none and has no native
    /// buckets), and its native buckets.
    ///
    /// # Panics
    /// If the bounds or the native options break the rules, which `#[metrics]` refused already at compile
    /// time.
    fn from_schema(schema: &FamilySchema) -> Self {
        let Some(native) = schema.native else {
            return HistogramConfig::classic(Buckets::from_schema(schema));
        };
        let native = match NativeConfig::from_schema(&native) {
            Ok(native) => native,
            Err(e) => panic!("family `{}`: native options checked by #[metrics] were refused: {e}", schema.name),
        };
        match schema.buckets {
            Some(_) => HistogramConfig::classic(Buckets::from_schema(schema)).with_native(native),
            None => HistogramConfig::native(native),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: &[LabelSchema] =
        &[LabelSchema::new("model", Some(&["a", "b", "c"])), LabelSchema::new("status", Some(&["ok", "error"]))];

    #[test]
    fn closed_family() {
        let f = FamilySchema::new("app_requests", MetricType::Counter, "Requests.").with_labels(LABELS);
        assert_eq!(f.cardinality(), Some(6));
        assert_eq!(f.sample_name(), "app_requests_total");
        assert_eq!(f.max_series(), None);
        assert!(!f.labels()[0].is_open());
        assert_eq!(f.labels()[1].name(), "status");
    }

    #[test]
    fn open_family_and_histogram() {
        const OPEN: &[LabelSchema] = &[LabelSchema::open("agent")];
        let f = FamilySchema::new("app_runs", MetricType::Gauge, "Runs.")
            .with_labels(OPEN)
            .with_max_series(10)
            .with_ttl(Duration::from_secs(30));
        assert_eq!(f.cardinality(), None);
        assert_eq!(f.max_series(), Some(10));
        assert_eq!(f.ttl(), Some(Duration::from_secs(30)));
        assert!(f.labels()[0].is_open());
        let h = FamilySchema::new("app_latency_seconds", MetricType::Histogram, "Latency.")
            .with_unit("seconds")
            .with_buckets(&[0.1, 1.0]);
        assert_eq!(h.max_series(), None);
        let g = FamilySchema::new("app_runs", MetricType::Gauge, "Runs.").with_labels(OPEN);
        assert_eq!((g.max_series(), g.declared_max_series()), (Some(DEFAULT_MAX_SERIES), None));
        assert_eq!(h.buckets(), Some(&[0.1, 1.0][..]));
        assert_eq!(h.cardinality(), Some(1));
        assert_eq!(h.sample_name(), "app_latency_seconds_count");
        assert_eq!(h.unit(), Some("seconds"));
    }
}
