//! What is wrong with a name, a unit, a label set, a bucket layout or a limit.

use std::fmt;

use crate::MetricType;
use crate::names::to_snake_case;

/// What is wrong with a name, a unit or a bucket layout. The message says how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleError {
    /// The name is empty.
    Empty {
        /// What was named: `metric`, `label`, `namespace`, ...
        what: &'static str,
    },
    /// The name holds a character outside `[a-z0-9_]`, or starts with a digit.
    InvalidChar {
        /// What was named.
        what: &'static str,
        /// The offending name.
        name: String,
        /// The first character at fault.
        ch: char,
        /// Its byte offset in the name.
        at: usize,
    },
    /// The name starts with `__`, which Prometheus reserves for its own use.
    ReservedPrefix {
        /// What was named.
        what: &'static str,
        /// The offending name.
        name: String,
    },
    /// A label name that the exposition formats reserve (`le`, `quantile`).
    ReservedLabel {
        /// The label name.
        name: String,
        /// Why it is reserved.
        reason: &'static str,
    },
    /// A counter name given with `_total`, which the encoder appends itself.
    CounterTotal {
        /// The offending name.
        name: String,
    },
    /// A name ending in a suffix that belongs to another kind of metric (`_total`, `_bucket`, ...).
    ReservedSuffix {
        /// The offending name.
        name: String,
        /// The suffix.
        suffix: &'static str,
        /// The kind the suffix belongs to.
        owner: &'static str,
    },
    /// A name holding the word of a metric type (`_counter`, `_gauge`, ...), which promtool lints.
    TypeInName {
        /// The offending name.
        name: String,
        /// The word.
        word: &'static str,
    },
    /// A unit, or a unit word in a name, that is not a base unit.
    NonBaseUnit {
        /// The unit as written.
        unit: String,
        /// The base unit to use instead.
        base: &'static str,
    },
    /// A unit that is not a single lowercase word.
    InvalidUnit {
        /// The unit as written.
        unit: String,
    },
    /// The name already ends with its unit, so appending it would double it.
    UnitTwice {
        /// The name.
        name: String,
        /// The unit.
        unit: String,
    },
    /// A family with a unit whose name does not end with `_<unit>`.
    UnitNotInName {
        /// The name.
        name: String,
        /// The unit.
        unit: String,
    },
    /// A unit given on a kind that cannot carry one (info).
    UnitNotAllowed {
        /// The kind.
        kind: MetricType,
    },
    /// A histogram with no bucket bound.
    BucketsEmpty,
    /// A bucket bound that is NaN or infinite.
    BucketNotFinite {
        /// Its position in the list.
        index: usize,
    },
    /// Two bucket bounds out of order or equal.
    BucketsUnsorted {
        /// The position of the bound that is not greater than the one before it.
        index: usize,
        /// The bound before it.
        previous: f64,
        /// The bound itself.
        value: f64,
    },
    /// A bucket helper given parameters that give no valid layout.
    BucketParams {
        /// The parameter at fault.
        param: BucketParam,
        /// What is wrong.
        reason: &'static str,
    },
    /// The same label name given twice on one family.
    DuplicateLabel {
        /// The label name.
        name: String,
    },
    /// A UTF-8 label name that an escaping scheme turns into an earlier label's name, or into a name
    /// Prometheus reserves (`__` prefix, `le`, `quantile`).
    EscapedLabel {
        /// The label name.
        name: String,
        /// The earlier label it clashes with, or `None` when its escaped form is reserved.
        other: Option<String>,
        /// The scheme (`underscores`, `dots`, `values`).
        scheme: &'static str,
    },
    /// A label value that a closed set (an enum) cannot take.
    InvalidLabelValue {
        /// The value.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// Two values of a closed label set (two variants of an enum) exposed as the same text.
    DuplicateLabelValue {
        /// The value.
        value: String,
    },
    /// A label of an info that its family already has: the sample would carry the name twice.
    InfoLabelClash {
        /// The label name.
        name: String,
    },
    /// More labels on one family than [`MAX_LABELS`](crate::MAX_LABELS).
    TooManyLabels {
        /// The number of labels given.
        count: usize,
        /// The most a family takes.
        max: usize,
    },
    /// A series bound of zero.
    ZeroLimit {
        /// The bound: `max_series`, `cardinality.total_limit`, ...
        what: &'static str,
    },
    /// A series TTL of zero.
    ZeroTtl,
    /// A native histogram schema outside -4..=8.
    NativeSchema {
        /// The schema given.
        schema: i64,
    },
    /// A native histogram bucket factor that is not a finite number greater than 1.
    NativeFactor {
        /// The factor given.
        factor: f64,
    },
    /// A native histogram zero threshold that is negative, NaN or infinite.
    NativeThreshold {
        /// `zero_threshold` or `max_zero_threshold`.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A `max_zero_threshold` below the `zero_threshold`: the zero bucket could never widen to it.
    NativeZeroThresholds {
        /// The threshold the zero bucket starts with.
        zero_threshold: f64,
        /// The widest it may grow to.
        max_zero_threshold: f64,
    },
    /// A native bucket limit of zero, or one past `u32::MAX`.
    NativeMaxBuckets {
        /// The limit given.
        max_buckets: u64,
    },
    /// A native histogram reset interval of zero.
    NativeMinReset,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::Empty { what } => write!(f, "{what} name is empty"),
            RuleError::InvalidChar { what, name, ch, at } => {
                if ch.is_ascii_uppercase() {
                    write!(
                        f,
                        "invalid {what} name `{name}`: `{ch}` at byte {at}; names are snake_case, write `{}`",
                        to_snake_case(name)
                    )
                } else if *ch == ':' {
                    write!(f, "invalid {what} name `{name}`: colons are reserved for recording rules; use `_`")
                } else if *at == 0 && ch.is_ascii_digit() {
                    write!(f, "invalid {what} name `{name}`: a name cannot start with a digit")
                } else {
                    write!(
                        f,
                        "invalid {what} name `{name}`: `{}` at byte {at}; names use only `a-z`, `0-9` and `_`",
                        ch.escape_debug()
                    )
                }
            }
            RuleError::ReservedPrefix { what, name } => {
                write!(
                    f,
                    "invalid {what} name `{name}`: names starting with `__` are reserved for Prometheus' internal \
                     use; write `{}`",
                    name.trim_start_matches('_')
                )
            }
            RuleError::ReservedLabel { name, reason } => {
                write!(f, "label name `{name}` is reserved: {reason}")
            }
            RuleError::CounterTotal { name } => write!(
                f,
                "counter name `{name}` ends with `_total`; drop the suffix: the encoder appends `_total` to every \
                 counter sample, so `{}` is exposed as `{name}`",
                name.strip_suffix("_total").unwrap_or(name)
            ),
            RuleError::ReservedSuffix { name, suffix, owner } => write!(
                f,
                "name `{name}` ends with `{suffix}`, a suffix reserved for {owner} samples; rename the family"
            ),
            RuleError::TypeInName { name, word } => write!(
                f,
                "name `{name}` contains the metric type `{word}`; the type is exposed in `# TYPE`, drop the word"
            ),
            RuleError::NonBaseUnit { unit, base } => write!(
                f,
                "`{unit}` is not a base unit; use `{base}` and scale the values (Prometheus base units: seconds, \
                 bytes, ratio, ...)"
            ),
            RuleError::InvalidUnit { unit } if unit.bytes().any(|b| b.is_ascii_uppercase()) => write!(
                f,
                "invalid unit `{unit}`: a unit is lowercase, such as `seconds` or `bytes`; write `{}`",
                unit.to_ascii_lowercase()
            ),
            RuleError::InvalidUnit { unit } => {
                write!(f, "invalid unit `{unit}`: a unit is one lowercase word such as `seconds` or `bytes`")
            }
            RuleError::UnitTwice { name, unit } => write!(
                f,
                "name `{name}` already ends with the unit `{unit}`; drop `_{unit}` from the name, the unit is \
                 appended once"
            ),
            RuleError::UnitNotInName { name, unit } => write!(
                f,
                "name `{name}` does not end with its unit `{unit}`; name it `{name}_{unit}`, or opt out with \
                 `allow(unit_suffix)` to keep the name (the unit is then not written in `# UNIT`)"
            ),
            RuleError::UnitNotAllowed { kind: MetricType::Info } => {
                write!(f, "an info cannot have a unit: its value is always 1; remove the unit")
            }
            RuleError::UnitNotAllowed { kind } => write!(f, "a {kind} cannot have a unit; remove the unit"),
            RuleError::BucketsEmpty => write!(f, "a histogram needs at least one finite bucket bound"),
            RuleError::BucketNotFinite { index } => write!(
                f,
                "bucket bound at index {index} is not finite; give finite numbers only (the `+Inf` bucket is \
                 always added after the last bound)"
            ),
            RuleError::BucketsUnsorted { index, previous, value } if value == previous => write!(
                f,
                "bucket bound {value} at index {index} repeats the bound before it; each bound is given once: \
                 remove the duplicate"
            ),
            RuleError::BucketsUnsorted { index, previous, value } => write!(
                f,
                "bucket bound {value} at index {index} is smaller than the bound before it ({previous}); list \
                 the bounds in increasing order"
            ),
            RuleError::BucketParams { reason, .. } => write!(f, "invalid bucket layout: {reason}"),
            RuleError::DuplicateLabel { name } => {
                write!(f, "label `{name}` is declared twice on this family; remove one or rename it")
            }
            RuleError::EscapedLabel { name, other: Some(other), scheme } => write!(
                f,
                "label `{name}` is written like label `{other}` when a scraper asks for `escaping={scheme}`; \
                 rename one"
            ),
            RuleError::EscapedLabel { name, other: None, scheme } => write!(
                f,
                "label `{name}` is written as a reserved name when a scraper asks for `escaping={scheme}`; \
                 rename it"
            ),
            RuleError::InvalidLabelValue { value, reason } if value.is_empty() => {
                write!(f, "empty label value: {reason}")
            }
            RuleError::InvalidLabelValue { value, reason } => write!(f, "invalid label value `{value}`: {reason}"),
            RuleError::DuplicateLabelValue { value } => {
                write!(f, "two values of one label are both exposed as `{value}`; give each a distinct value")
            }
            RuleError::InfoLabelClash { name } => {
                write!(f, "label `{name}` is already a label of this info's family; rename it")
            }
            RuleError::TooManyLabels { count, max } => {
                write!(f, "a family takes at most {max} labels ({count} given); split it, or fold labels together")
            }
            RuleError::ZeroLimit { what } => {
                write!(f, "`{what}` must be at least 1: with no room, every update would go to the overflow series")
            }
            RuleError::ZeroTtl => {
                f.write_str("a TTL of zero would drop every series at each scrape; give a positive duration")
            }
            RuleError::NativeSchema { schema } => write!(
                f,
                "native schema {schema} is out of range: a schema is from -4 (coarsest, each bucket 65536 times \
                 the one before) to 8 (finest, 256 buckets per power of two)"
            ),
            RuleError::NativeFactor { factor } => write!(
                f,
                "native bucket factor {factor} is invalid: the factor is how much wider each bucket is than the \
                 one before, a finite number greater than 1, such as 1.1"
            ),
            RuleError::NativeThreshold { what, value } => write!(
                f,
                "`{what}` {value} is invalid: a zero threshold is a finite number, zero or positive (0: the zero \
                 bucket counts exact zeros only)"
            ),
            RuleError::NativeZeroThresholds { zero_threshold, max_zero_threshold } => write!(
                f,
                "`max_zero_threshold` {max_zero_threshold} is below `zero_threshold` {zero_threshold}: the zero \
                 bucket starts wider than it may ever grow; raise `max_zero_threshold` or leave it out (the zero \
                 bucket then never widens)"
            ),
            RuleError::NativeMaxBuckets { max_buckets } => write!(
                f,
                "`max_buckets` {max_buckets} is invalid: a histogram keeps at least 1 native bucket and at most \
                 {}; leave it out for no limit",
                u32::MAX
            ),
            RuleError::NativeMinReset => f.write_str(
                "a `min_reset` of zero would reset the histogram at every bucket past its limit; give a positive \
                 duration, or leave it out for a histogram that never resets",
            ),
        }
    }
}

impl std::error::Error for RuleError {}

/// A parameter of a bucket helper (`linear(start, width, count)`, `exponential(start, factor, count)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketParam {
    /// The first bound.
    Start,
    /// The width of a linear layout, the factor of an exponential one.
    Step,
    /// The number of bounds.
    Count,
}
