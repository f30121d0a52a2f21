//! The types of metric families and the tables each type's names follow.

use std::fmt;

/// The kind of a metric family, as far as naming is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// A monotonically increasing value; its sample is named `<name>_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted into fixed buckets; samples `_bucket`, `_sum`, `_count`.
    Histogram,
    /// Constant labels describing the target; its sample is named `<name>_info`.
    Info,
}

impl MetricType {
    /// The lowercase name of the kind, as OpenMetrics writes it in `# TYPE`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Info => "info",
        }
    }

    /// The suffix of the sample that holds the family's value, the name to query: `_total` for a counter,
    /// `_count` for a histogram (its number of observations), `_info` for an info, none for a gauge.
    pub const fn sample_suffix(self) -> &'static str {
        match self {
            MetricType::Counter => "_total",
            MetricType::Gauge => "",
            MetricType::Histogram => "_count",
            MetricType::Info => "_info",
        }
    }

    /// The suffix of the name the Prometheus text format 0.0.4 writes in `# HELP` and `# TYPE`: a
    /// counter's `_total` name, an info's `_info` name; a histogram and a gauge keep the family name.
    pub const fn text_suffix(self) -> &'static str {
        match self {
            MetricType::Counter => "_total",
            MetricType::Gauge | MetricType::Histogram => "",
            MetricType::Info => "_info",
        }
    }

    /// The type the Prometheus text format 0.0.4 writes in `# TYPE`: it has no info type, so an info is a
    /// gauge there.
    pub const fn text_type(self) -> &'static str {
        match self {
            MetricType::Info => "gauge",
            other => other.as_str(),
        }
    }

    /// The suffixes this kind appends to its family name in samples, the empty suffix included when the
    /// family exposes a sample under its bare name or OpenMetrics writes the bare name in metadata.
    pub const fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            MetricType::Counter => &["", "_total", "_created"],
            MetricType::Gauge => &[""],
            MetricType::Histogram => &["", "_bucket", "_sum", "_count", "_created"],
            MetricType::Info => &["", "_info"],
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
