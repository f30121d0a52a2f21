//! The defaults and limits every family follows, whether the macro declares it or the runtime defines it:
//! both call the checks here, so both accept and refuse the same values with the same message.

use std::time::Duration;

use crate::RuleError;

/// The value an open label of an overflow series reads: the series that takes the updates of new label
/// values once a family is at its series limit.
pub const OVERFLOW_VALUE: &str = "__overflow__";

/// The most series an open family holds when neither its declaration nor its registry says otherwise
/// (`max_series` on the family, `cardinality.max_per_metric` in the configuration).
pub const DEFAULT_MAX_SERIES: usize = 1000;

/// The most series a registry holds across its families when its builder or configuration does not say
/// otherwise (`cardinality.total_limit`).
pub const DEFAULT_TOTAL_LIMIT: usize = 10_000;

/// The most labels one family takes. Dense storage indexes series by a tuple of label enums of at most this
/// many; past it, a label set is better split or folded.
pub const MAX_LABELS: usize = 8;

/// The default bucket bounds of the official clients, for latencies in seconds: 5 ms to 10 s.
pub const DEFAULT_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Checks a series bound named `what` (`max_series`, `cardinality.total_limit`, ...): at least 1, since with
/// no room every update would go to the overflow series.
pub fn check_series_limit(what: &'static str, limit: usize) -> Result<(), RuleError> {
    if limit == 0 { Err(RuleError::ZeroLimit { what }) } else { Ok(()) }
}

/// Checks the idle TTL of a family's series: longer than zero, which would drop every series at each
/// scrape.
pub fn check_ttl(ttl: Duration) -> Result<(), RuleError> {
    if ttl.is_zero() { Err(RuleError::ZeroTtl) } else { Ok(()) }
}

/// Checks the number of labels of one family: at most [`MAX_LABELS`].
pub fn check_label_count(count: usize) -> Result<(), RuleError> {
    if count > MAX_LABELS { Err(RuleError::TooManyLabels { count, max: MAX_LABELS }) } else { Ok(()) }
}
