//! A strict parser of the Prometheus exposition formats (both text formats and protobuf), and assertion
//! helpers for tests of instrumentation written with [`promstruct`].
//!
//! Scrapers accept far more than the specifications allow, so a test that only checks that Prometheus
//! reads an exposition proves little. [`parse`] reads OpenMetrics 1.0 or the text format 0.0.4 and reports
//! **every** rule the text breaks, each with its line, column and [`Rule`], recovering where it can instead
//! of stopping at the first:
//!
//! - lines: `\n` endings and a final newline, no `\r`, no byte order mark, OpenMetrics' single spaces and
//!   absence of blank lines and comments, `# EOF` last (OpenMetrics);
//! - tokens: metric and label names, quoting and escapes of label values and HELP text, values (Go float
//!   syntax in 0.0.4, the OpenMetrics number grammar), timestamps (integer milliseconds in 0.0.4, seconds
//!   in OpenMetrics), exemplars (OpenMetrics: syntax, 128 characters, only on counter totals and buckets);
//! - families: metadata before samples, at most once each, known types; the lines of a family contiguous;
//!   no family clashing with another's sample names; sample names the type has (`_total`, `_bucket`, ...);
//!   units that end the family name and only on types that have them;
//! - series: no duplicate series (OpenMetrics allows repeats only with timestamps, which must not go
//!   back), the samples of one metric point contiguous (OpenMetrics);
//! - values by type: counters, bucket and counts neither negative nor NaN (and integral where counts),
//!   info values 1, stateset values 0 or 1, `quantile` in `[0, 1]`;
//! - histograms: a valid `le` on every bucket, bounds increasing and counts cumulative, a `+Inf` bucket
//!   equal to `_count`, `_sum` and `_count` together (OpenMetrics) or both present (0.0.4), no `_sum`
//!   beside a negative bound (OpenMetrics).
//!
//! A protobuf body (`application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
//! encoding=delimited`) is read by [`parse_protobuf`] into the same model, its samples those the text
//! format would show, checked by the same rules once decoded, and with what only protobuf carries beside
//! them: creation times ([`Sample::created`]), exemplars, units and native histograms
//! ([`ParsedFamily::native_histograms`]).
//!
//! What the specification allows but none of our encoders writes (tabs and doubled blanks in 0.0.4,
//! `# UNIT` in 0.0.4, a non-canonical `le`, metadata not in the order TYPE, UNIT, HELP) is a
//! [`Severity::Warning`]: [`parse`] succeeds and lists it in [`Exposition::warnings`]. The OpenMetrics
//! reading matches the reference parser (Python `prometheus_client`) on all 211 conformance cases of the
//! OpenMetrics project.
//!
//! The assertion helpers validate every scrape they take, warnings included, and fail with a readable
//! message: [`assert_value`] checks one sample of a registry in one line, [`assert_scrape_eq`] compares the
//! families of a scrape with expected text (in any series order), [`scrape`] returns a validated
//! [`Exposition`] to query; each works in every format, protobuf included.
//!
//! It is meant as a dev-dependency, beside `promstruct` as a normal one:
//!
//! ```toml
//! [dev-dependencies]
//! promstruct-testing = "0.1"
//! ```
//!
//! ```
//! use promstruct::Format;
//! use promstruct_testing::{Rule, parse};
//!
//! let text = "# TYPE http_requests counter\n\
//!             http_requests_total{code=\"200\"} 10\n\
//!             http_requests_total{code=\"200\"} 11\n";
//! let violations = parse(text, Format::OpenMetrics).unwrap_err();
//! assert!(violations.has(Rule::DuplicateSeries));
//! assert!(violations.has(Rule::Eof));
//! assert_eq!((violations[0].line, violations[0].rule), (3, Rule::DuplicateSeries));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod assert;
mod lex;
mod model;
mod number;
mod parser;
mod protobuf;
mod violation;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod utf8_tests;

pub use assert::{
    assert_exposition_eq, assert_scrape_eq, assert_valid, assert_valid_body, assert_value, scrape, value,
};
pub use model::{Exemplar, Exposition, FamilyType, NativeHistogram, ParsedFamily, Sample};
pub use violation::{Rule, Severity, Violation, Violations};

use promstruct::Format;

/// Parses `text` as an exposition in `format`.
///
/// Returns the exposition if it breaks no rule of the format (it may still carry
/// [warnings](Exposition::warnings)); otherwise every violation found, errors and warnings, in text order.
/// With [`Format::Protobuf`] the text's bytes are read as a protobuf body ([`parse_protobuf`], which takes
/// bytes that need not be UTF-8).
///
/// ```
/// use promstruct::Format;
/// use promstruct_testing::{FamilyType, parse};
///
/// let text = "# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total{queue=\"mail\"} 3\n";
/// let exposition = parse(text, Format::Text).unwrap();
/// assert_eq!(exposition.families()[0].kind, FamilyType::Counter);
/// assert_eq!(exposition.value("jobs_total", &[("queue", "mail")]), Some(3.0));
/// ```
pub fn parse(text: &str, format: Format) -> Result<Exposition, Violations> {
    if format == Format::Protobuf {
        return parse_protobuf(text.as_bytes());
    }
    let (families, report) = parser::run(text, format);
    if report.has_errors() {
        return Err(Violations(report.into_sorted()));
    }
    Ok(Exposition::new(format, families, report.into_sorted()))
}

/// Parses `text` as an exposition in `format` whose names may be UTF-8: the text format 1.0.0 (with
/// [`Format::Text`]) or OpenMetrics as Prometheus 3 reads them under `escaping=allow-utf-8`, where a
/// metric or label name outside the legacy set is a quoted string and a sample's quoted metric name comes
/// first inside its braces. Every other rule is [`parse`]'s; a legacy exposition parses the same by both.
///
/// ```
/// use promstruct::Format;
/// use promstruct_testing::{parse, parse_utf8};
///
/// let text = "# TYPE \"http.requests\" counter\n{\"http.requests_total\",\"service.name\"=\"api\"} 3\n# EOF\n";
/// let exposition = parse_utf8(text, Format::OpenMetrics).unwrap();
/// assert_eq!(exposition.families()[0].name, "http.requests");
/// assert_eq!(exposition.value("http.requests_total", &[("service.name", "api")]), Some(3.0));
/// assert!(parse(text, Format::OpenMetrics).is_err(), "OpenMetrics 1.0 itself has no quoted names");
/// ```
pub fn parse_utf8(text: &str, format: Format) -> Result<Exposition, Violations> {
    if format == Format::Protobuf {
        return parse_protobuf_utf8(text.as_bytes());
    }
    let (families, report) = parser::run_with(text, format, true);
    if report.has_errors() {
        return Err(Violations(report.into_sorted()));
    }
    Ok(Exposition::new(format, families, report.into_sorted()))
}

/// [`parse_protobuf`] with names outside the legacy set allowed, as protobuf carries them (every other
/// rule applies as the text format 1.0.0 has it).
pub fn parse_protobuf_utf8(body: &[u8]) -> Result<Exposition, Violations> {
    let (families, report) = protobuf::run_with(body, true);
    if report.has_errors() {
        return Err(Violations(report.into_sorted()));
    }
    Ok(Exposition::new(Format::Protobuf, families, report.into_sorted()))
}

/// Every violation in `text` read as [`parse_utf8`] reads it; empty when the text is clean.
pub fn validate_utf8(text: &str, format: Format) -> Vec<Violation> {
    if format == Format::Protobuf {
        return protobuf::run_with(text.as_bytes(), true).1.into_sorted();
    }
    parser::run_with(text, format, true).1.into_sorted()
}

/// Parses a body in the Prometheus protobuf format: `MetricFamily` messages, each prefixed by its length
/// as a varint.
///
/// Returns the exposition (of format [`Format::Protobuf`]) if it decodes against client_model's
/// `metrics.proto` and, once decoded, breaks no rule of the text format 0.0.4, whose samples it has: a
/// counter family `foo_total` has the sample `foo_total`, a histogram its buckets with `+Inf`, `_sum` and
/// `_count`. Otherwise every violation, each at its message (as the line) and byte offset (as the
/// column).
///
/// ```
/// use promstruct::{Counter, DenseFamily, Descriptor, Format, MetricType, Registry};
/// use promstruct_testing::parse_protobuf;
/// use std::sync::Arc;
///
/// let jobs = Arc::new(DenseFamily::<(), Counter>::new(Descriptor::new("jobs", MetricType::Counter, "Jobs.").unwrap(), ()));
/// let registry = Registry::builder().self_metrics(false).build();
/// registry.register(jobs.clone()).unwrap();
/// jobs.get(()).inc_by(3);
/// let mut body = Vec::new();
/// registry.encode(Format::Protobuf, &mut body).unwrap();
///
/// let exposition = parse_protobuf(&body).unwrap();
/// assert_eq!(exposition.value("jobs_total", &[]), Some(3.0));
/// assert!(exposition.sample("jobs_total", &[]).unwrap().created.is_some());
/// ```
pub fn parse_protobuf(body: &[u8]) -> Result<Exposition, Violations> {
    let (families, report) = protobuf::run(body);
    if report.has_errors() {
        return Err(Violations(report.into_sorted()));
    }
    Ok(Exposition::new(Format::Protobuf, families, report.into_sorted()))
}

/// Every violation in `text` read as `format`, errors and warnings, in text order; empty when the text is
/// clean. With [`Format::Protobuf`], [`validate_protobuf`] of the text's bytes.
///
/// ```
/// use promstruct::Format;
/// use promstruct_testing::{Rule, validate};
///
/// let text = "# TYPE latency histogram\nlatency_bucket{le=\"1\"} 2\nlatency_bucket{le=\"+Inf\"} 3\n\
///             latency_sum 1.5\nlatency_count 4\n";
/// let violations = validate(text, Format::Text);
/// assert_eq!(violations.len(), 1);
/// assert_eq!((violations[0].line, violations[0].rule), (5, Rule::InfCountMismatch));
/// ```
pub fn validate(text: &str, format: Format) -> Vec<Violation> {
    if format == Format::Protobuf {
        return validate_protobuf(text.as_bytes());
    }
    parser::run(text, format).1.into_sorted()
}

/// Every violation in a protobuf body (see [`parse_protobuf`]), errors and warnings, in message order;
/// empty when the body is clean.
///
/// ```
/// use promstruct_testing::{Rule, validate_protobuf};
///
/// // A message that claims 5 bytes where 2 are left.
/// let violations = validate_protobuf(&[5, 0x0a, 0x01]);
/// assert_eq!((violations[0].line, violations[0].rule), (1, Rule::Protobuf));
/// assert!(validate_protobuf(&[]).is_empty());
/// ```
pub fn validate_protobuf(body: &[u8]) -> Vec<Violation> {
    protobuf::run(body).1.into_sorted()
}
