//! A strict parser of both Prometheus exposition formats, and assertion helpers for tests of
//! instrumentation written with [`promstruct`].
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
//! What the specification allows but none of our encoders writes (tabs and doubled blanks in 0.0.4,
//! `# UNIT` in 0.0.4, a non-canonical `le`, metadata not in the order TYPE, UNIT, HELP) is a
//! [`Severity::Warning`]: [`parse`] succeeds and lists it in [`Exposition::warnings`]. The OpenMetrics
//! reading matches the reference parser (Python `prometheus_client`) on all 211 conformance cases of the
//! OpenMetrics project.
//!
//! The assertion helpers validate every scrape they take, warnings included, and fail with a readable
//! message: [`assert_value`] checks one sample of a registry in one line, [`assert_scrape_eq`] compares the
//! families of a scrape with expected text (in any series order), [`scrape`] returns a validated
//! [`Exposition`] to query.
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
mod violation;

#[cfg(test)]
mod tests;

pub use assert::{assert_exposition_eq, assert_scrape_eq, assert_valid, assert_value, scrape, value};
pub use model::{Exemplar, Exposition, FamilyType, ParsedFamily, Sample};
pub use violation::{Rule, Severity, Violation, Violations};

use promstruct::Format;

/// Parses `text` as an exposition in `format`.
///
/// Returns the exposition if it breaks no rule of the format (it may still carry
/// [warnings](Exposition::warnings)); otherwise every violation found, errors and warnings, in text order.
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
    let (families, report) = parser::run(text, format);
    if report.has_errors() {
        return Err(Violations(report.into_sorted()));
    }
    Ok(Exposition::new(format, families, report.into_sorted()))
}

/// Every violation in `text` read as `format`, errors and warnings, in text order; empty when the text is
/// clean.
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
    parser::run(text, format).1.into_sorted()
}
