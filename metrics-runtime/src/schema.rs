//! Static descriptions of the families a `#[metrics]` struct declares: names, types, help, units, labels
//! and, for enum labels, every value. Tools read them to write documentation, dashboards and alert rules
//! without running a scrape.

use std::time::Duration;

use crate::MetricType;

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
}

impl FamilySchema {
    /// A family with parts `#[metrics]` checked at compile time.
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        kind: MetricType,
        help: &'static str,
        unit: Option<&'static str>,
        labels: &'static [LabelSchema],
    ) -> Self {
        FamilySchema { name, kind, help, unit, labels, buckets: None, max_series: None, ttl: None }
    }

    /// Sets the bucket bounds of a histogram.
    #[doc(hidden)]
    pub const fn with_buckets(mut self, buckets: &'static [f64]) -> Self {
        self.buckets = Some(buckets);
        self
    }

    /// Sets the series bound and idle TTL of a family with an open label.
    #[doc(hidden)]
    pub const fn with_open(mut self, max_series: usize, ttl: Option<Duration>) -> Self {
        self.max_series = Some(max_series);
        self.ttl = ttl;
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

    /// The finite bucket bounds of a histogram (`+Inf` is implied); `None` for other types.
    pub const fn buckets(&self) -> Option<&'static [f64]> {
        self.buckets
    }

    /// The most series a family with an open label keeps before new label values go to its overflow
    /// series; `None` for a family whose labels are all enums, whose series are fixed.
    pub const fn max_series(&self) -> Option<usize> {
        self.max_series
    }

    /// How long a series of a family with an open label is kept without updates, if it expires.
    pub const fn ttl(&self) -> Option<Duration> {
        self.ttl
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

#[cfg(test)]
mod tests {
    use super::*;

    const LABELS: &[LabelSchema] =
        &[LabelSchema::new("model", Some(&["a", "b", "c"])), LabelSchema::new("status", Some(&["ok", "error"]))];

    #[test]
    fn closed_family() {
        let f = FamilySchema::new("app_requests", MetricType::Counter, "Requests.", None, LABELS);
        assert_eq!(f.cardinality(), Some(6));
        assert_eq!(f.sample_name(), "app_requests_total");
        assert_eq!(f.max_series(), None);
        assert!(!f.labels()[0].is_open());
        assert_eq!(f.labels()[1].name(), "status");
    }

    #[test]
    fn open_family_and_histogram() {
        const OPEN: &[LabelSchema] = &[LabelSchema::new("agent", None)];
        let f = FamilySchema::new("app_runs", MetricType::Gauge, "Runs.", None, OPEN)
            .with_open(10, Some(Duration::from_secs(30)));
        assert_eq!(f.cardinality(), None);
        assert_eq!(f.max_series(), Some(10));
        assert_eq!(f.ttl(), Some(Duration::from_secs(30)));
        assert!(f.labels()[0].is_open());
        let h = FamilySchema::new("app_latency_seconds", MetricType::Histogram, "Latency.", Some("seconds"), &[])
            .with_buckets(&[0.1, 1.0]);
        assert_eq!(h.buckets(), Some(&[0.1, 1.0][..]));
        assert_eq!(h.cardinality(), Some(1));
        assert_eq!(h.sample_name(), "app_latency_seconds_count");
        assert_eq!(h.unit(), Some("seconds"));
    }
}
