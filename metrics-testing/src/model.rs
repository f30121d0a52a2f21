//! What a valid exposition holds: families, their samples, and lookups by sample name and labels.

use std::fmt;
use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use smallvec::SmallVec;

use promstruct::Format;

use crate::violation::Violation;

/// A family's type, as its `# TYPE` line says (or [`FamilyType::Unknown`] / [`FamilyType::Untyped`]
/// when it has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FamilyType {
    /// `counter`.
    Counter,
    /// `gauge`.
    Gauge,
    /// `histogram`.
    Histogram,
    /// `gaugehistogram` (OpenMetrics only).
    GaugeHistogram,
    /// `summary`.
    Summary,
    /// `info` (OpenMetrics only).
    Info,
    /// `stateset` (OpenMetrics only).
    StateSet,
    /// `unknown`, or no `# TYPE` (OpenMetrics).
    Unknown,
    /// `untyped`, or no `# TYPE` (0.0.4).
    Untyped,
}

impl FamilyType {
    /// The name `# TYPE` writes.
    pub const fn as_str(self) -> &'static str {
        match self {
            FamilyType::Counter => "counter",
            FamilyType::Gauge => "gauge",
            FamilyType::Histogram => "histogram",
            FamilyType::GaugeHistogram => "gaugehistogram",
            FamilyType::Summary => "summary",
            FamilyType::Info => "info",
            FamilyType::StateSet => "stateset",
            FamilyType::Unknown => "unknown",
            FamilyType::Untyped => "untyped",
        }
    }

    /// The type `# TYPE` names in `format`, if the format has it.
    pub fn from_name(name: &str, format: Format) -> Option<Self> {
        let kind = match name {
            "counter" => FamilyType::Counter,
            "gauge" => FamilyType::Gauge,
            "histogram" => FamilyType::Histogram,
            "summary" => FamilyType::Summary,
            "untyped" if format == Format::Text => FamilyType::Untyped,
            "gaugehistogram" if format == Format::OpenMetrics => FamilyType::GaugeHistogram,
            "info" if format == Format::OpenMetrics => FamilyType::Info,
            "stateset" if format == Format::OpenMetrics => FamilyType::StateSet,
            "unknown" if format == Format::OpenMetrics => FamilyType::Unknown,
            _ => return None,
        };
        Some(kind)
    }

    /// The suffixes this type's sample names add to the family name in `format`.
    ///
    /// In 0.0.4 and protobuf a counter's family name is its sample name (`foo_total`), so its suffix is
    /// empty.
    pub const fn sample_suffixes(self, format: Format) -> &'static [&'static str] {
        match (self, format) {
            (FamilyType::Counter, Format::OpenMetrics) => &["_total", "_created"],
            (FamilyType::Histogram, Format::OpenMetrics) => &["_bucket", "_sum", "_count", "_created"],
            (FamilyType::Histogram, Format::Text | Format::Protobuf) => &["_bucket", "_sum", "_count"],
            (FamilyType::GaugeHistogram, _) => &["_bucket", "_gsum", "_gcount"],
            (FamilyType::Summary, Format::OpenMetrics) => &["", "_sum", "_count", "_created"],
            (FamilyType::Summary, Format::Text | Format::Protobuf) => &["", "_sum", "_count"],
            (FamilyType::Info, _) => &["_info"],
            _ => &[""],
        }
    }

    pub(crate) const fn is_histogram(self) -> bool {
        matches!(self, FamilyType::Histogram | FamilyType::GaugeHistogram)
    }
}

impl fmt::Display for FamilyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An exemplar: `# {labels} value [timestamp]` after an OpenMetrics sample.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Exemplar {
    /// Its labels, in the order written, unescaped.
    pub labels: Vec<(String, String)>,
    /// Its value.
    pub value: f64,
    /// Its timestamp in seconds, if written.
    pub timestamp: Option<f64>,
}

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Sample {
    /// The sample name as written, suffix included (`requests_total`, `latency_seconds_bucket`).
    pub name: String,
    /// The labels in the order written, values unescaped.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// The timestamp as written: milliseconds in 0.0.4 and protobuf (`timestamp_ms`), seconds in
    /// OpenMetrics.
    pub timestamp: Option<f64>,
    /// The exemplar (OpenMetrics, and protobuf's on counters and buckets).
    pub exemplar: Option<Exemplar>,
    /// The time the series was created, in seconds since the epoch, where the format carries it beside
    /// the samples: protobuf's `created_timestamp`, on every sample of its counter or histogram.
    /// OpenMetrics writes it as a `_created` sample instead, and 0.0.4 has none.
    pub created: Option<f64>,
    /// The line it was on, counted from 1; in protobuf, the `MetricFamily` message, counted from 1.
    pub line: usize,
}

impl Sample {
    /// The value of label `name`, if the sample has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// Whether the sample's labels are exactly `labels`, in any order.
    pub fn has_labels(&self, labels: &[(&str, &str)]) -> bool {
        self.labels.len() == labels.len()
            && same_label_sets(self.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())), labels.iter().copied())
    }

    /// The series as Prometheus writes it: `name{a="1",b="2"}`, values escaped.
    pub fn series(&self) -> String {
        series_text(&self.name, self.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    }
}

/// Whether two label sets hold the same pairs, in any order.
///
/// Sorting, not a search of one in the other, so that a sample with thousands of labels costs
/// `n log n`, not `n²`.
pub(crate) fn same_label_sets<'a>(
    a: impl Iterator<Item = (&'a str, &'a str)>,
    b: impl Iterator<Item = (&'a str, &'a str)>,
) -> bool {
    let mut a: SmallVec<[(&str, &str); 8]> = a.collect();
    let mut b: SmallVec<[(&str, &str); 8]> = b.collect();
    if a.len() != b.len() {
        return false;
    }
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// Writes `name{a="1",b="2"}` with values escaped, or `name` alone without labels.
pub(crate) fn series_text<'a>(name: &str, labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from(name);
    let mut first = true;
    for (n, v) in labels {
        out.push(if first { '{' } else { ',' });
        first = false;
        out.push_str(n);
        out.push_str("=\"");
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    if !first {
        out.push('}');
    }
    out
}

/// One metric family: its metadata and samples.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ParsedFamily {
    /// The name its metadata carries: `foo` for an OpenMetrics counter, `foo_total` for a 0.0.4 one; the
    /// sample name for a family without metadata.
    pub name: String,
    /// Its type.
    pub kind: FamilyType,
    /// Its `# HELP` text, unescaped, if it has one.
    pub help: Option<String>,
    /// Its `# UNIT` (OpenMetrics), if it has one; an empty `# UNIT` reads as none.
    pub unit: Option<String>,
    /// Its samples, in the order written. A protobuf histogram has the samples the text formats would
    /// show: its classic buckets with `+Inf`, `_sum` and `_count` (only `+Inf`, `_sum` and `_count` when
    /// it is native only).
    pub samples: Vec<Sample>,
    /// Its native histograms, one a series that has one (protobuf only).
    pub native_histograms: Vec<NativeHistogram>,
    /// The first line of the family, counted from 1; in protobuf, its `MetricFamily` message.
    pub first_line: usize,
    /// The last line of the family (the same message in protobuf).
    pub last_line: usize,
}

/// A native histogram, as a protobuf `Histogram` with a schema carries it: exponential buckets of base
/// `2^(2^-schema)`, bucket `i` holding the observations in `(base^(i-1), base^i]` (negated for the
/// negative buckets), and a zero bucket.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NativeHistogram {
    /// The series' labels, in the order written.
    pub labels: Vec<(String, String)>,
    /// The schema, in `-4..=8`.
    pub schema: i32,
    /// The zero bucket's half-width: it holds the observations in `[-zero_threshold, zero_threshold]`.
    pub zero_threshold: f64,
    /// The observations in the zero bucket.
    pub zero_count: f64,
    /// All observations (NaN ones count here and in no bucket).
    pub count: f64,
    /// The sum of the observations.
    pub sum: f64,
    /// The populated positive buckets as `(index, count)`, by increasing index, absolute counts (the
    /// deltas summed).
    pub positive: Vec<(i32, f64)>,
    /// The populated negative buckets, likewise.
    pub negative: Vec<(i32, f64)>,
    /// The time the series was created, in seconds since the epoch, if given.
    pub created: Option<f64>,
    /// The exemplars of the native buckets (`Histogram.exemplars`), in the order written.
    pub exemplars: Vec<Exemplar>,
}

impl NativeHistogram {
    /// The base of the schema's buckets: `2^(2^-schema)`.
    pub fn base(&self) -> f64 {
        2f64.powf(2f64.powi(-self.schema))
    }

    /// The upper bound of positive bucket `index` (the lower is the previous one's): `base^index`.
    pub fn upper_bound(&self, index: i32) -> f64 {
        // `2^(index * 2^-schema)`, exact at every power of two.
        2f64.powf(f64::from(index) * 2f64.powi(-self.schema))
    }

    /// Whether the series' labels are exactly `labels`, in any order.
    pub fn has_labels(&self, labels: &[(&str, &str)]) -> bool {
        self.labels.len() == labels.len()
            && same_label_sets(self.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())), labels.iter().copied())
    }
}

impl ParsedFamily {
    /// The native histogram of the series with exactly the labels `labels` (in any order).
    pub fn native_histogram(&self, labels: &[(&str, &str)]) -> Option<&NativeHistogram> {
        self.native_histograms.iter().find(|h| h.has_labels(labels))
    }

    /// The first sample named `name` with exactly the labels `labels` (in any order).
    pub fn sample(&self, name: &str, labels: &[(&str, &str)]) -> Option<&Sample> {
        self.samples.iter().find(|s| s.name == name && s.has_labels(labels))
    }

    /// The value of that sample.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.sample(name, labels).map(|s| s.value)
    }
}

/// A parsed exposition that breaks no rule of its format (it may have [warnings](Exposition::warnings)).
///
/// Look samples up by sample name and labels with [`Exposition::value`] and [`Exposition::sample`]; the
/// lookups use an index, so a test may check every series of a large scrape.
#[derive(Debug, Clone)]
pub struct Exposition {
    format: Format,
    families: Vec<ParsedFamily>,
    warnings: Vec<Violation>,
    index: Index,
}

impl Exposition {
    pub(crate) fn new(format: Format, families: Vec<ParsedFamily>, warnings: Vec<Violation>) -> Self {
        let index = Index::build(&families);
        Exposition { format, families, warnings, index }
    }

    /// The format it was parsed as.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The families, in the order written.
    pub fn families(&self) -> &[ParsedFamily] {
        &self.families
    }

    /// The family named `name` as its metadata names it (see [`ParsedFamily::name`]).
    pub fn family(&self, name: &str) -> Option<&ParsedFamily> {
        self.families.iter().find(|f| f.name == name)
    }

    /// The family a sample named `sample_name` belongs to.
    pub fn family_of(&self, sample_name: &str) -> Option<&ParsedFamily> {
        self.families.iter().find(|f| f.samples.iter().any(|s| s.name == sample_name)).or_else(|| {
            self.families.iter().find(|f| {
                f.kind
                    .sample_suffixes(self.format)
                    .iter()
                    .any(|suffix| sample_name.strip_prefix(f.name.as_str()).is_some_and(|rest| rest == *suffix))
            })
        })
    }

    /// Every sample, family by family, in the order written.
    pub fn samples(&self) -> impl Iterator<Item = &Sample> {
        self.families.iter().flat_map(|f| f.samples.iter())
    }

    /// The number of samples.
    pub fn sample_count(&self) -> usize {
        self.families.iter().map(|f| f.samples.len()).sum()
    }

    /// The sample named `name` (suffix included) with exactly the labels `labels`, in any order.
    ///
    /// Where an OpenMetrics series has several timestamped samples, this is the first.
    pub fn sample(&self, name: &str, labels: &[(&str, &str)]) -> Option<&Sample> {
        let key = self.index.key(name, labels.iter().map(|(n, v)| (*n, *v)));
        let found = self.index.map.get(&key)?;
        found
            .iter()
            .map(|&(f, s)| &self.families[f as usize].samples[s as usize])
            .find(|s| s.name == name && s.has_labels(labels))
    }

    /// The value of [that sample](Exposition::sample).
    ///
    /// ```
    /// use promstruct::Format;
    /// use promstruct_testing::parse;
    ///
    /// let text = "# TYPE jobs counter\njobs_total{queue=\"mail\"} 3\n# EOF\n";
    /// let exposition = parse(text, Format::OpenMetrics).unwrap();
    /// assert_eq!(exposition.value("jobs_total", &[("queue", "mail")]), Some(3.0));
    /// assert_eq!(exposition.value("jobs_total", &[]), None);
    /// ```
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        self.sample(name, labels).map(|s| s.value)
    }

    /// The native histogram of the family `name` with exactly the labels `labels` (protobuf only).
    pub fn native_histogram(&self, name: &str, labels: &[(&str, &str)]) -> Option<&NativeHistogram> {
        self.family(name)?.native_histogram(labels)
    }

    /// Every sample named `name`, whatever its labels.
    pub fn samples_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples().filter(move |s| s.name == name)
    }

    /// The violations of severity [`Warning`](crate::Severity::Warning): allowed by the format, flagged
    /// all the same.
    pub fn warnings(&self) -> &[Violation] {
        &self.warnings
    }

    /// Panics unless the sample `name{labels}` exists with value `expected` (NaN matches NaN), listing the
    /// closest series in the message.
    #[track_caller]
    pub fn assert_value(&self, name: &str, labels: &[(&str, &str)], expected: f64) {
        if let Err(message) = crate::assert::check_value(self, name, labels, expected) {
            panic!("{message}");
        }
    }

    /// The families, by value.
    pub fn into_families(self) -> Vec<ParsedFamily> {
        self.families
    }
}

/// Sample name and label set (in any order) to where the samples are.
#[derive(Debug, Clone, Default)]
struct Index {
    hasher: FixedState,
    map: foldhash::HashMap<u64, SmallVec<[(u32, u32); 1]>>,
}

impl Index {
    fn build(families: &[ParsedFamily]) -> Self {
        let mut index = Index::default();
        for (f, family) in families.iter().enumerate() {
            for (s, sample) in family.samples.iter().enumerate() {
                let key = index.key(&sample.name, sample.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())));
                index.map.entry(key).or_default().push((f as u32, s as u32));
            }
        }
        index
    }

    fn key<'a>(&self, name: &str, labels: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
        series_key(&self.hasher, name, labels)
    }
}

/// A hash of a sample name and its label set that ignores the order of the labels.
pub(crate) fn series_key<'a>(hasher: &FixedState, name: &str, labels: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    hasher.hash_one(name).rotate_left(17) ^ label_set_key(hasher, labels)
}

/// A hash of a label set that ignores the order of the labels.
pub(crate) fn label_set_key<'a>(hasher: &FixedState, labels: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
    labels.fold(0u64, |acc, pair| acc.wrapping_add(hasher.hash_one(pair)))
}
