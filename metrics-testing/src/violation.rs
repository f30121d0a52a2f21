//! What the parser reports: every rule an exposition breaks, each at its line and column.

use std::fmt;

/// How bad a [`Violation`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The format's specification forbids it: a strict scraper refuses the exposition.
    Error,
    /// The specification allows it but no exposition of ours should contain it: a construct of the other
    /// format, a non-canonical bucket bound, a spelling a linter flags. [`parse`](crate::parse) still
    /// succeeds; [`scrape`](crate::scrape) and the other assertion helpers refuse it.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// The rule a [`Violation`] breaks.
///
/// Each rule's documentation says what it covers; [`Rule::name`] is the short name printed in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// The text starts with a byte order mark.
    Encoding,
    /// A line ends in `\r\n`, or the last line has no newline.
    LineEnding,
    /// An empty line (an error in OpenMetrics; allowed, but flagged, in 0.0.4).
    BlankLine,
    /// Spaces where the format allows none or only one: leading, doubled or trailing blanks, tabs.
    Whitespace,
    /// An OpenMetrics comment other than `# TYPE`, `# UNIT`, `# HELP` and `# EOF`.
    Comment,
    /// A `# HELP`, `# TYPE` or `# UNIT` line without its name or its text.
    Metadata,
    /// A `# TYPE` the format does not know (`untyped` in OpenMetrics, `info` in 0.0.4, ...).
    InvalidType,
    /// A second `# HELP`, `# TYPE` or `# UNIT` for one family.
    DuplicateMetadata,
    /// Metadata after the family's samples, or (a warning) OpenMetrics metadata not in the order TYPE,
    /// UNIT, HELP.
    MetadataOrder,
    /// A construct of the other format: `# EOF` or `# UNIT` in 0.0.4, an exemplar in 0.0.4.
    WrongFormat,
    /// OpenMetrics: no `# EOF` at the end, or text after it.
    Eof,
    /// A metric name that is not `[a-zA-Z_:][a-zA-Z0-9_:]*` (or, a warning, one starting with `__`).
    MetricName,
    /// A label name that is not `[a-zA-Z_][a-zA-Z0-9_]*`, or is reserved (`__` prefix).
    LabelName,
    /// The same label name twice in one sample.
    DuplicateLabel,
    /// Malformed label braces: a missing `=`, quote, comma or brace, or an extra comma.
    LabelSyntax,
    /// An escape sequence the format does not define (label values: `\\`, `\"`, `\n`; 0.0.4 HELP: `\\`
    /// and `\n`).
    Escape,
    /// A value that is missing or is not a number in the format's syntax.
    Value,
    /// A timestamp that is not a number in the format's syntax (integer milliseconds in 0.0.4, seconds in
    /// OpenMetrics, never NaN or infinite).
    Timestamp,
    /// Anything else on a sample line that does not fit its grammar.
    Syntax,
    /// A malformed exemplar, one over 128 characters of labels, or one on a sample that may not carry one.
    Exemplar,
    /// A family whose lines are not contiguous: it appears again after another family.
    Interleaved,
    /// A family whose name, or one of its sample names, is another family's sample name.
    NameClash,
    /// A sample name the family's type does not have (a counter sample without `_total`, a histogram
    /// sample without a suffix); in 0.0.4, a counter not named `..._total` (a warning).
    Suffix,
    /// OpenMetrics: the samples of one metric point (a series, or a histogram's buckets, sum and count)
    /// are not contiguous.
    Grouping,
    /// The same series (name and label set) twice; OpenMetrics allows it only with timestamps.
    DuplicateSeries,
    /// OpenMetrics: timestamps that go backwards within a series, or that some of its samples have and
    /// others lack.
    TimestampOrder,
    /// A unit that does not end the family name, on a type that has none, or with invalid characters.
    Unit,
    /// Histogram buckets not in increasing `le` order or not cumulative; 0.0.4 summary quantiles not
    /// increasing.
    BucketOrder,
    /// A histogram without its `le="+Inf"` bucket.
    MissingInfBucket,
    /// A histogram whose `_count` differs from its `+Inf` bucket.
    InfCountMismatch,
    /// A histogram's `_sum` and `_count`: one without the other (OpenMetrics), either missing (0.0.4), a
    /// `_sum` beside a negative bucket bound, a negative `_gsum` without one.
    HistogramParts,
    /// A label a type requires is missing or invalid (`le` on buckets, `quantile` on summary quantiles, the
    /// state label of a stateset), or a sample carries one it must not.
    TypeLabel,
    /// A counter-like value (`_total`, `_bucket`, `_count`, `_sum`, ...) that is negative, NaN, or (for
    /// bucket and counts) not an integer.
    CounterValue,
    /// A value its type forbids: an info other than 1, a stateset other than 0 or 1, a negative quantile.
    TypeValue,
    /// A number that should be in canonical form and is not (`le="1"` for `1.0`).
    NonCanonicalNumber,
    /// A protobuf body that does not decode against client_model's `metrics.proto`: a malformed or cut
    /// varint, length prefix or field, a wire type the field does not have, a string that is not UTF-8,
    /// a series without the value message of its family's type.
    Protobuf,
    /// A protobuf native histogram whose schema is outside `-4..=8`, whose spans list another number of
    /// buckets than it gives, whose spans go back, or whose buckets are negative or hold more
    /// observations than its count.
    NativeHistogram,
}

impl Rule {
    /// The rule's short name, as reports print it (`duplicate-series`).
    pub const fn name(self) -> &'static str {
        match self {
            Rule::Encoding => "encoding",
            Rule::LineEnding => "line-ending",
            Rule::BlankLine => "blank-line",
            Rule::Whitespace => "whitespace",
            Rule::Comment => "comment",
            Rule::Metadata => "metadata",
            Rule::InvalidType => "invalid-type",
            Rule::DuplicateMetadata => "duplicate-metadata",
            Rule::MetadataOrder => "metadata-order",
            Rule::WrongFormat => "wrong-format",
            Rule::Eof => "eof",
            Rule::MetricName => "metric-name",
            Rule::LabelName => "label-name",
            Rule::DuplicateLabel => "duplicate-label",
            Rule::LabelSyntax => "label-syntax",
            Rule::Escape => "escape",
            Rule::Value => "value",
            Rule::Timestamp => "timestamp",
            Rule::Syntax => "syntax",
            Rule::Exemplar => "exemplar",
            Rule::Interleaved => "interleaved",
            Rule::NameClash => "name-clash",
            Rule::Suffix => "suffix",
            Rule::Grouping => "grouping",
            Rule::DuplicateSeries => "duplicate-series",
            Rule::TimestampOrder => "timestamp-order",
            Rule::Unit => "unit",
            Rule::BucketOrder => "bucket-order",
            Rule::MissingInfBucket => "missing-inf-bucket",
            Rule::InfCountMismatch => "inf-count-mismatch",
            Rule::HistogramParts => "histogram-parts",
            Rule::TypeLabel => "type-label",
            Rule::CounterValue => "counter-value",
            Rule::TypeValue => "type-value",
            Rule::NonCanonicalNumber => "non-canonical-number",
            Rule::Protobuf => "protobuf",
            Rule::NativeHistogram => "native-histogram",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken rule, where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// The line, counted from 1; in a protobuf body, the `MetricFamily` message, counted from 1.
    pub line: usize,
    /// The column, counted from 1 in characters (not bytes); in a protobuf body, the byte offset from the
    /// start of the body, counted from 1, of what is at fault (the message, the series or the field).
    pub column: usize,
    /// The rule broken.
    pub rule: Rule,
    /// Whether a strict scraper refuses it.
    pub severity: Severity,
    /// What is wrong, in words, naming the offending text.
    pub message: String,
}

impl Violation {
    /// Whether this is an [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {} [{}]: {}", self.line, self.column, self.severity, self.rule, self.message)
    }
}

/// Every violation found in an exposition that is not valid: at least one of them is an error.
///
/// Its `Display` lists them one a line, in text order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violations(pub(crate) Vec<Violation>);

impl Violations {
    /// All violations, errors and warnings, in text order.
    pub fn as_slice(&self) -> &[Violation] {
        &self.0
    }

    /// The violations of severity [`Severity::Error`].
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.0.iter().filter(|v| v.is_error())
    }

    /// Whether some violation breaks `rule`.
    pub fn has(&self, rule: Rule) -> bool {
        self.0.iter().any(|v| v.rule == rule)
    }

    /// The violations, by value.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

impl std::ops::Deref for Violations {
    type Target = [Violation];

    fn deref(&self) -> &[Violation] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a Violation;
    type IntoIter = std::slice::Iter<'a, Violation>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.errors().count();
        write!(f, "{errors} error(s), {} warning(s)", self.0.len() - errors)?;
        for v in &self.0 {
            write!(f, "\n{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Violations {}

/// Collects violations against the line being read.
#[derive(Debug)]
pub(crate) struct Report {
    pub(crate) list: Vec<Violation>,
    /// The last column computed: line, byte offset, column. Violations of one line come mostly in
    /// increasing offsets, so counting on from the last keeps a line with thousands of them linear.
    last_column: (usize, usize, usize),
}

impl Report {
    pub(crate) fn new() -> Self {
        Report { list: Vec::new(), last_column: (0, 0, 1) }
    }

    /// Records a violation at byte offset `at` of `text`, the text of line `line`.
    pub(crate) fn at(&mut self, line: usize, text: &str, at: usize, rule: Rule, severity: Severity, message: String) {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let (last_line, last_at, last_column) = self.last_column;
        let (from, column) = if last_line == line && last_at <= at { (last_at, last_column) } else { (0, 1) };
        let column = column + text[from..at].chars().count();
        self.last_column = (line, at, column);
        self.list.push(Violation { line, column, rule, severity, message });
    }

    /// Records a violation at the start of line `line`.
    pub(crate) fn line(&mut self, line: usize, rule: Rule, severity: Severity, message: String) {
        self.list.push(Violation { line, column: 1, rule, severity, message });
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.list.iter().any(Violation::is_error)
    }

    /// The violations in text order (stable, so those of one position keep the order they were found in).
    pub(crate) fn into_sorted(mut self) -> Vec<Violation> {
        self.list.sort_by_key(|v| (v.line, v.column));
        self.list
    }
}
