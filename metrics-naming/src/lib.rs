//! The naming rules of Prometheus metric families, kept in one place.
//!
//! The `#[metrics]` macro checks declarations against these rules at compile time, and the runtime checks
//! metrics defined at run time against the very same functions, so both accept and refuse exactly the same
//! names, units and buckets. The rules are those of the Prometheus data model and the OpenMetrics 1.0
//! specification, tightened to what `promtool check metrics` lints: a name that passes here exposes with no
//! lint finding.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;

mod policy;

pub use policy::{Convention, Policy};

/// The kind of a metric family, as far as naming is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A monotonically increasing value; its sample is named `<name>_total`.
    Counter,
    /// A value that goes up and down.
    Gauge,
    /// Observations counted into fixed buckets; samples `_bucket`, `_sum`, `_count`.
    Histogram,
    /// Constant labels describing the target; its sample is named `<name>_info`.
    Info,
}

impl Kind {
    /// The lowercase name of the kind, as OpenMetrics writes it in `# TYPE`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
            Kind::Info => "info",
        }
    }

    /// The suffix of the sample that holds the family's value, the name to query: `_total` for a counter,
    /// `_count` for a histogram (its number of observations), `_info` for an info, none for a gauge.
    pub const fn sample_suffix(self) -> &'static str {
        match self {
            Kind::Counter => "_total",
            Kind::Gauge => "",
            Kind::Histogram => "_count",
            Kind::Info => "_info",
        }
    }

    /// The suffix of the name the Prometheus text format 0.0.4 writes in `# HELP` and `# TYPE`: a
    /// counter's `_total` name, an info's `_info` name; a histogram and a gauge keep the family name.
    pub const fn text_suffix(self) -> &'static str {
        match self {
            Kind::Counter => "_total",
            Kind::Gauge | Kind::Histogram => "",
            Kind::Info => "_info",
        }
    }

    /// The type the Prometheus text format 0.0.4 writes in `# TYPE`: it has no info type, so an info is a
    /// gauge there.
    pub const fn text_type(self) -> &'static str {
        match self {
            Kind::Info => "gauge",
            other => other.as_str(),
        }
    }

    /// The suffixes this kind appends to its family name in samples, the empty suffix included when the
    /// family exposes a sample under its bare name or OpenMetrics writes the bare name in metadata.
    pub const fn sample_suffixes(self) -> &'static [&'static str] {
        match self {
            Kind::Counter => &["", "_total", "_created"],
            Kind::Gauge => &[""],
            Kind::Histogram => &["", "_bucket", "_sum", "_count", "_created"],
            Kind::Info => &["", "_info"],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
        kind: Kind,
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
        /// What is wrong.
        reason: &'static str,
    },
    /// The same label name given twice on one family.
    DuplicateLabel {
        /// The label name.
        name: String,
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
            RuleError::UnitNotAllowed { kind: Kind::Info } => {
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
            RuleError::BucketParams { reason } => write!(f, "invalid bucket layout: {reason}"),
            RuleError::DuplicateLabel { name } => {
                write!(f, "label `{name}` is declared twice on this family; remove one or rename it")
            }
            RuleError::InvalidLabelValue { value, reason } if value.is_empty() => {
                write!(f, "empty label value: {reason}")
            }
            RuleError::InvalidLabelValue { value, reason } => write!(f, "invalid label value `{value}`: {reason}"),
            RuleError::DuplicateLabelValue { value } => {
                write!(f, "two values of one label are both exposed as `{value}`; give each a distinct value")
            }
        }
    }
}

impl std::error::Error for RuleError {}

/// The name a user most likely meant: camelCase split into words, every other character turned into `_`.
fn to_snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
            prev_lower = false;
        } else if ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_' {
            prev_lower = ch != '_';
            out.push(ch);
        } else {
            prev_lower = false;
            out.push('_');
        }
    }
    out
}

/// Checks one name against `[a-z_][a-z0-9_]*` with no `__` prefix; `policy` may allow uppercase letters
/// and, outside label names, colons (Prometheus' data model: `[a-zA-Z_:][a-zA-Z0-9_:]*`).
fn check_identifier(what: &'static str, name: &str, policy: Policy) -> Result<(), RuleError> {
    if name.is_empty() {
        return Err(RuleError::Empty { what });
    }
    for (at, ch) in name.char_indices() {
        let ok = ch.is_ascii_lowercase() || ch == '_' || (at > 0 && ch.is_ascii_digit());
        if !ok {
            policy.judge(RuleError::InvalidChar { what, name: name.to_owned(), ch, at })?;
        }
    }
    if name.starts_with("__") {
        return Err(RuleError::ReservedPrefix { what, name: name.to_owned() });
    }
    Ok(())
}

/// Checks a namespace or subsystem: the same characters as a metric name.
pub fn check_prefix(what: &'static str, name: &str) -> Result<(), RuleError> {
    check_identifier(what, name, Policy::STRICT)
}

/// Checks a namespace or subsystem under `policy`.
pub fn check_prefix_with(what: &'static str, name: &str, policy: Policy) -> Result<(), RuleError> {
    check_identifier(what, name, policy)
}

/// Words that name a metric type; promtool lints a name holding one.
const TYPE_WORDS: &[&str] = &["counter", "gauge", "histogram", "summary", "untyped"];

/// Abbreviated units that promtool lints, as whole name segments.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("s", "seconds"),
    ("ms", "seconds"),
    ("us", "seconds"),
    ("ns", "seconds"),
    ("sec", "seconds"),
    ("secs", "seconds"),
    ("b", "bytes"),
    ("kb", "bytes"),
    ("mb", "bytes"),
    ("gb", "bytes"),
    ("tb", "bytes"),
    ("pb", "bytes"),
    ("m", "meters"),
    ("h", "seconds"),
    ("d", "seconds"),
];

/// Units that have a base unit to use instead.
const NON_BASE_UNITS: &[(&str, &str)] = &[
    ("minutes", "seconds"),
    ("hours", "seconds"),
    ("days", "seconds"),
    ("weeks", "seconds"),
    ("percent", "ratio"),
    ("percentage", "ratio"),
    ("percents", "ratio"),
    ("bits", "bytes"),
    ("fahrenheit", "celsius"),
];

const BASE_UNITS: &[&str] =
    &["amperes", "bytes", "celsius", "grams", "joules", "kelvin", "meters", "metres", "seconds", "volts"];

const SI_PREFIXES: &[&str] = &[
    "pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega", "mebi", "mibi", "giga",
    "gibi", "tera", "tebi", "peta", "pebi",
];

/// The base unit to use instead of `word`, if `word` is a non-base unit or an abbreviation of one.
pub fn non_base_unit(word: &str) -> Option<&'static str> {
    if let Some((_, base)) = ABBREVIATIONS.iter().chain(NON_BASE_UNITS).find(|(w, _)| *w == word) {
        return Some(base);
    }
    for prefix in SI_PREFIXES {
        if let Some(rest) = word.strip_prefix(prefix) {
            if let Some(base) = BASE_UNITS.iter().find(|b| **b == rest) {
                return Some(base);
            }
        }
    }
    None
}

/// Checks a unit: one lowercase word, a base unit.
pub fn check_unit(unit: &str) -> Result<(), RuleError> {
    check_unit_with(unit, Policy::STRICT)
}

/// Checks a unit under `policy`: one lowercase word always, a base unit unless the policy allows
/// [`Convention::NonBaseUnit`].
pub fn check_unit_with(unit: &str, policy: Policy) -> Result<(), RuleError> {
    if unit.is_empty() || !unit.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(RuleError::InvalidUnit { unit: unit.to_owned() });
    }
    if unit.starts_with('_') || unit.ends_with('_') || unit.contains("__") {
        return Err(RuleError::InvalidUnit { unit: unit.to_owned() });
    }
    for word in unit.split('_') {
        if let Some(base) = non_base_unit(word) {
            policy.judge(RuleError::NonBaseUnit { unit: unit.to_owned(), base })?;
        }
    }
    Ok(())
}

/// Checks that the family name `name` ends with `_<unit>`, unless `policy` allows
/// [`Convention::UnitSuffix`].
pub fn check_unit_in_name(name: &str, unit: &str, policy: Policy) -> Result<(), RuleError> {
    if name.strip_suffix(unit).is_some_and(|rest| rest.ends_with('_')) {
        return Ok(());
    }
    policy.judge(RuleError::UnitNotInName { name: name.to_owned(), unit: unit.to_owned() })
}

/// Checks a label name: snake_case, no `__` prefix, not reserved for the given kind.
///
/// `le` is refused on histograms (the encoder writes it) and `quantile` everywhere (summaries own it, and
/// promtool lints it elsewhere); `le` is refused on every other kind too, since promtool lints it there.
pub fn check_label_name(name: &str, kind: Kind) -> Result<(), RuleError> {
    check_label_name_with(name, kind, Policy::STRICT)
}

/// Checks a label name under `policy`, which may allow uppercase letters; the reserved names and the
/// characters outside `[a-zA-Z0-9_]` are refused whatever the policy.
pub fn check_label_name_with(name: &str, kind: Kind, policy: Policy) -> Result<(), RuleError> {
    check_identifier("label", name, policy)?;
    match name {
        "le" => Err(RuleError::ReservedLabel {
            name: name.to_owned(),
            reason: if kind == Kind::Histogram {
                "the histogram writes the bucket bound in `le`; rename the label"
            } else {
                "`le` belongs to histogram buckets; rename the label"
            },
        }),
        "quantile" => Err(RuleError::ReservedLabel {
            name: name.to_owned(),
            reason: "`quantile` belongs to summaries; rename the label",
        }),
        _ => Ok(()),
    }
}

/// Checks the full family name of a metric of `kind` with an optional `unit` the name already ends with.
///
/// The family name is what OpenMetrics writes in `# TYPE` (for a counter, without `_total`; for an info,
/// without `_info`). Besides the character rules it refuses what promtool lints: a counter given `_total`,
/// suffixes of other kinds, metric type words and non-base units in the name.
pub fn check_family_name(name: &str, kind: Kind, unit: Option<&str>) -> Result<(), RuleError> {
    check_family_name_with(name, kind, unit, Policy::STRICT)
}

/// Checks a family name under `policy`: the invalid rules always, each convention unless the policy
/// allows it. The first rule broken that the policy does not allow is the error.
pub fn check_family_name_with(name: &str, kind: Kind, unit: Option<&str>, policy: Policy) -> Result<(), RuleError> {
    check_identifier("metric", name, policy)?;
    if kind == Kind::Counter && name.ends_with("_total") {
        policy.judge(RuleError::CounterTotal { name: name.to_owned() })?;
    }
    let reserved: &[(&str, &str)] = &[
        ("_total", "counter"),
        ("_created", "counter and histogram"),
        ("_bucket", "histogram"),
        ("_sum", "histogram"),
        ("_count", "histogram"),
        ("_info", "info"),
    ];
    let counter_total = kind == Kind::Counter && name.ends_with("_total");
    if let Some((suffix, owner)) = reserved.iter().find(|(suffix, _)| name.ends_with(suffix)) {
        if !counter_total {
            policy.judge(RuleError::ReservedSuffix { name: name.to_owned(), suffix, owner })?;
        }
    }
    for (i, word) in name.split('_').enumerate() {
        if let Some(t) = TYPE_WORDS.iter().find(|t| **t == word) {
            policy.judge(RuleError::TypeInName { name: name.to_owned(), word: t })?;
        }
        // promtool reads an abbreviation only after an underscore: `ns_requests` names a namespace.
        let abbreviation = ABBREVIATIONS.iter().any(|(a, _)| *a == word);
        if i == 0 && abbreviation {
            continue;
        }
        if let Some(base) = non_base_unit(word) {
            policy.judge(RuleError::NonBaseUnit { unit: word.to_owned(), base })?;
        }
    }
    if let Some(unit) = unit {
        if kind == Kind::Info {
            return Err(RuleError::UnitNotAllowed { kind });
        }
        check_unit_with(unit, policy)?;
    }
    Ok(())
}

/// Joins `namespace`, `subsystem`, the field name and the unit into the family name, and checks it.
///
/// A unit is appended unless the name already ends with it; a name that ends with it twice
/// (`latency_seconds_seconds`) is refused.
pub fn family_name(
    namespace: Option<&str>,
    subsystem: Option<&str>,
    name: &str,
    kind: Kind,
    unit: Option<&str>,
) -> Result<String, RuleError> {
    family_name_with(namespace, subsystem, name, kind, unit, Policy::STRICT)
}

/// [`family_name`] under `policy`.
///
/// Where the policy allows [`Convention::UnitSuffix`], the unit is not appended: the name is kept as
/// written. Where it allows [`Convention::TotalSuffix`], a counter written with its `_total`
/// (`runs_total`) is the family `runs`, exposed as `runs_total`.
pub fn family_name_with(
    namespace: Option<&str>,
    subsystem: Option<&str>,
    name: &str,
    kind: Kind,
    unit: Option<&str>,
    policy: Policy,
) -> Result<String, RuleError> {
    if let Some(ns) = namespace {
        check_prefix_with("namespace", ns, policy)?;
    }
    if let Some(sub) = subsystem {
        check_prefix_with("subsystem", sub, policy)?;
    }
    check_identifier("metric", name, policy)?;
    let mut full = String::with_capacity(name.len() + 32);
    for part in [namespace, subsystem].into_iter().flatten() {
        full.push_str(part);
        full.push('_');
    }
    full.push_str(name);
    if kind == Kind::Counter && policy.allows(Convention::TotalSuffix) {
        if let Some(family) = full.strip_suffix("_total").filter(|f| !f.is_empty() && !f.ends_with('_')) {
            full.truncate(family.len());
        }
    }
    if let Some(unit) = unit {
        check_unit_with(unit, policy)?;
        let suffix = format!("_{unit}");
        if full.ends_with(&suffix) {
            if full[..full.len() - suffix.len()].ends_with(&suffix) {
                return Err(RuleError::UnitTwice { name: name.to_owned(), unit: unit.to_owned() });
            }
        } else if !policy.allows(Convention::UnitSuffix) {
            full.push_str(&suffix);
        }
    }
    check_family_name_with(&full, kind, unit, policy)?;
    Ok(full)
}

/// Whether two families' exposed names collide: same name, or one's suffixed sample named like the other.
///
/// Counter `foo` and gauge `foo_total` collide (both expose `foo_total`); so do histogram `foo` and gauge
/// `foo_count`, or counter `foo` and gauge `foo_created`.
pub fn names_collide(a: &str, a_kind: Kind, b: &str, b_kind: Kind) -> bool {
    a_kind.sample_suffixes().iter().any(|sa| {
        b_kind.sample_suffixes().iter().any(|sb| {
            a.len() + sa.len() == b.len() + sb.len() && {
                let joined_a = a.bytes().chain(sa.bytes());
                joined_a.eq(b.bytes().chain(sb.bytes()))
            }
        })
    })
}

/// The value an open label of an overflow series reads: the series that takes the updates of new label
/// values once a family is at its series limit.
pub const OVERFLOW_VALUE: &str = "__overflow__";

/// The most series an open family holds when neither its declaration nor its registry says otherwise
/// (`max_series` on the family, `cardinality.max_per_metric` in the configuration).
pub const DEFAULT_MAX_SERIES: usize = 1000;

/// The default bucket bounds of the official clients, for latencies in seconds: 5 ms to 10 s.
pub const DEFAULT_BUCKETS: &[f64] = &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Checks the label names of one family, in order: each a valid label name for `kind`, none given twice.
///
/// On error, returns the position of the first name at fault with what is wrong with it.
pub fn check_label_names(names: &[&str], kind: Kind) -> Result<(), (usize, RuleError)> {
    check_label_names_with(names, kind, Policy::STRICT)
}

/// [`check_label_names`] under `policy`.
pub fn check_label_names_with(names: &[&str], kind: Kind, policy: Policy) -> Result<(), (usize, RuleError)> {
    for (i, name) in names.iter().enumerate() {
        check_label_name_with(name, kind, policy).map_err(|e| (i, e))?;
        if names[..i].contains(name) {
            return Err((i, RuleError::DuplicateLabel { name: (*name).to_owned() }));
        }
    }
    Ok(())
}

/// Checks one value of a closed label set (a variant of a label enum).
///
/// Any text can be a label value, but a closed set refuses two: the empty value, which Prometheus reads as
/// a missing label, and [`OVERFLOW_VALUE`], which marks overflow series.
pub fn check_label_value(value: &str) -> Result<(), RuleError> {
    if value.is_empty() {
        return Err(RuleError::InvalidLabelValue {
            value: value.to_owned(),
            reason: "Prometheus reads an empty label value as a missing label; give the value some text",
        });
    }
    if value == OVERFLOW_VALUE {
        return Err(RuleError::InvalidLabelValue {
            value: value.to_owned(),
            reason: "`__overflow__` marks the overflow series of open families; choose another value",
        });
    }
    Ok(())
}

/// Checks the values of a closed label set, in order: each valid, none given twice.
///
/// On error, returns the position of the first value at fault with what is wrong with it.
pub fn check_label_values(values: &[&str]) -> Result<(), (usize, RuleError)> {
    for (i, value) in values.iter().enumerate() {
        check_label_value(value).map_err(|e| (i, e))?;
        if values[..i].contains(value) {
            return Err((i, RuleError::DuplicateLabelValue { value: (*value).to_owned() }));
        }
    }
    Ok(())
}

/// Checks a list of histogram bucket bounds: non-empty, finite, strictly increasing.
pub fn check_buckets(bounds: &[f64]) -> Result<(), RuleError> {
    if bounds.is_empty() {
        return Err(RuleError::BucketsEmpty);
    }
    for (index, &value) in bounds.iter().enumerate() {
        if !value.is_finite() {
            return Err(RuleError::BucketNotFinite { index });
        }
        if index > 0 {
            let previous = bounds[index - 1];
            if value <= previous {
                return Err(RuleError::BucketsUnsorted { index, previous, value });
            }
        }
    }
    Ok(())
}

/// `count` bounds starting at `start`, `width` apart.
pub fn linear_buckets(start: f64, width: f64, count: usize) -> Result<Vec<f64>, RuleError> {
    if count == 0 {
        return Err(RuleError::BucketParams { reason: "linear buckets need a count of at least 1" });
    }
    if !start.is_finite() {
        return Err(RuleError::BucketParams { reason: "linear buckets need a finite start" });
    }
    if width.is_nan() || width <= 0.0 || !width.is_finite() {
        return Err(RuleError::BucketParams {
            reason: "linear buckets need a positive, finite width (the distance between two bounds)",
        });
    }
    let bounds: Vec<f64> = (0..count).map(|i| start + width * i as f64).collect();
    check_buckets(&bounds)?;
    Ok(bounds)
}

/// `count` bounds starting at `start`, each `factor` times the one before.
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Result<Vec<f64>, RuleError> {
    if count == 0 {
        return Err(RuleError::BucketParams { reason: "exponential buckets need a count of at least 1" });
    }
    if start.is_nan() || start <= 0.0 || !start.is_finite() {
        return Err(RuleError::BucketParams { reason: "exponential buckets need a positive, finite start" });
    }
    if factor.is_nan() || factor <= 1.0 || !factor.is_finite() {
        return Err(RuleError::BucketParams {
            reason: "exponential buckets need a finite factor above 1 (each bound is the one before it times the factor)",
        });
    }
    let mut bounds = Vec::with_capacity(count);
    let mut next = start;
    for _ in 0..count {
        bounds.push(next);
        next *= factor;
    }
    check_buckets(&bounds)?;
    Ok(bounds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        assert!(check_family_name("http_requests", Kind::Counter, None).is_ok());
        assert!(matches!(check_family_name("", Kind::Gauge, None), Err(RuleError::Empty { .. })));
        assert!(matches!(
            check_family_name("9lives", Kind::Gauge, None),
            Err(RuleError::InvalidChar { ch: '9', at: 0, .. })
        ));
        assert!(matches!(
            check_family_name("httpRequests", Kind::Gauge, None),
            Err(RuleError::InvalidChar { ch: 'R', at: 4, .. })
        ));
        assert!(matches!(check_family_name("a:b", Kind::Gauge, None), Err(RuleError::InvalidChar { ch: ':', .. })));
        assert!(matches!(check_family_name("__x", Kind::Gauge, None), Err(RuleError::ReservedPrefix { .. })));
        let msg = check_family_name("httpRequests", Kind::Gauge, None).unwrap_err().to_string();
        assert!(msg.contains("http_requests"), "{msg}");
        let msg = check_prefix("namespace", "My App").unwrap_err().to_string();
        assert!(msg.contains("write `my_app`"), "{msg}");
        let msg = check_family_name("jobs_total", Kind::Counter, None).unwrap_err().to_string();
        assert!(msg.contains("so `jobs` is exposed as `jobs_total`"), "{msg}");
    }

    #[test]
    fn suffixes_and_words() {
        assert!(matches!(check_family_name("x_total", Kind::Counter, None), Err(RuleError::CounterTotal { .. })));
        assert!(matches!(
            check_family_name("x_total", Kind::Gauge, None),
            Err(RuleError::ReservedSuffix { suffix: "_total", .. })
        ));
        assert!(matches!(
            check_family_name("x_count", Kind::Gauge, None),
            Err(RuleError::ReservedSuffix { suffix: "_count", .. })
        ));
        assert!(matches!(
            check_family_name("x_gauge", Kind::Gauge, None),
            Err(RuleError::TypeInName { word: "gauge", .. })
        ));
        assert!(matches!(
            check_family_name("latency_ms", Kind::Gauge, None),
            Err(RuleError::NonBaseUnit { base: "seconds", .. })
        ));
        assert!(check_family_name("accounting", Kind::Gauge, None).is_ok());
    }

    #[test]
    fn units() {
        assert!(check_unit("seconds").is_ok());
        assert!(check_unit("bytes").is_ok());
        assert!(check_unit("dollars").is_ok());
        for (bad, base) in [("ms", "seconds"), ("milliseconds", "seconds"), ("kb", "bytes"), ("percent", "ratio")] {
            assert_eq!(check_unit(bad), Err(RuleError::NonBaseUnit { unit: bad.into(), base }));
        }
        assert!(matches!(check_unit("Seconds"), Err(RuleError::InvalidUnit { .. })));
        assert_eq!(
            family_name(Some("ns"), None, "latency", Kind::Histogram, Some("seconds")).unwrap(),
            "ns_latency_seconds"
        );
        assert_eq!(
            family_name(None, Some("sub"), "latency_seconds", Kind::Histogram, Some("seconds")).unwrap(),
            "sub_latency_seconds"
        );
        assert!(matches!(
            family_name(None, None, "latency_seconds_seconds", Kind::Histogram, Some("seconds")),
            Err(RuleError::UnitTwice { .. })
        ));
        assert!(matches!(
            family_name(None, None, "build", Kind::Info, Some("seconds")),
            Err(RuleError::UnitNotAllowed { .. })
        ));
    }

    #[test]
    fn labels() {
        assert!(check_label_name("model", Kind::Counter).is_ok());
        assert!(matches!(check_label_name("le", Kind::Histogram), Err(RuleError::ReservedLabel { .. })));
        assert!(matches!(check_label_name("quantile", Kind::Gauge), Err(RuleError::ReservedLabel { .. })));
        assert!(matches!(check_label_name("__name", Kind::Gauge), Err(RuleError::ReservedPrefix { .. })));
    }

    #[test]
    fn label_sets() {
        assert!(check_label_names(&["model", "status"], Kind::Counter).is_ok());
        assert_eq!(
            check_label_names(&["model", "status", "model"], Kind::Counter),
            Err((2, RuleError::DuplicateLabel { name: "model".into() }))
        );
        assert!(matches!(
            check_label_names(&["model", "le"], Kind::Histogram),
            Err((1, RuleError::ReservedLabel { .. }))
        ));
        assert!(check_label_names(&[], Kind::Gauge).is_ok());
    }

    #[test]
    fn label_values() {
        assert!(check_label_value("gpt-4o").is_ok());
        assert!(check_label_value("with \"quotes\" and \n").is_ok());
        assert!(matches!(check_label_value(""), Err(RuleError::InvalidLabelValue { .. })));
        assert!(matches!(check_label_value(OVERFLOW_VALUE), Err(RuleError::InvalidLabelValue { .. })));
        assert!(check_label_values(&["ok", "error"]).is_ok());
        assert_eq!(
            check_label_values(&["ok", "error", "ok"]),
            Err((2, RuleError::DuplicateLabelValue { value: "ok".into() }))
        );
        assert!(matches!(check_label_values(&["ok", ""]), Err((1, RuleError::InvalidLabelValue { .. }))));
        let msg = check_label_values(&["a", "a"]).unwrap_err().1.to_string();
        assert!(msg.contains("distinct"), "{msg}");
    }

    #[test]
    fn default_buckets_are_valid() {
        assert!(check_buckets(DEFAULT_BUCKETS).is_ok());
    }

    #[test]
    fn collisions() {
        assert!(names_collide("foo", Kind::Counter, "foo_total", Kind::Gauge));
        assert!(names_collide("foo", Kind::Counter, "foo_created", Kind::Gauge));
        assert!(names_collide("foo", Kind::Histogram, "foo_count", Kind::Gauge));
        assert!(names_collide("foo", Kind::Gauge, "foo", Kind::Gauge));
        assert!(names_collide("foo", Kind::Info, "foo_info", Kind::Gauge));
        assert!(!names_collide("foo", Kind::Gauge, "foo_bar", Kind::Gauge));
        assert!(!names_collide("foo", Kind::Counter, "foobar", Kind::Counter));
    }

    #[test]
    fn buckets() {
        assert_eq!(check_buckets(&[]), Err(RuleError::BucketsEmpty));
        assert_eq!(check_buckets(&[1.0, f64::NAN]), Err(RuleError::BucketNotFinite { index: 1 }));
        assert_eq!(check_buckets(&[f64::INFINITY]), Err(RuleError::BucketNotFinite { index: 0 }));
        assert!(matches!(check_buckets(&[1.0, 1.0]), Err(RuleError::BucketsUnsorted { index: 1, .. })));
        assert!(matches!(check_buckets(&[2.0, 1.0]), Err(RuleError::BucketsUnsorted { index: 1, .. })));
        assert_eq!(linear_buckets(1.0, 2.0, 3).unwrap(), vec![1.0, 3.0, 5.0]);
        assert_eq!(exponential_buckets(1.0, 2.0, 4).unwrap(), vec![1.0, 2.0, 4.0, 8.0]);
        assert!(linear_buckets(0.0, 0.0, 3).is_err());
        assert!(exponential_buckets(0.0, 2.0, 3).is_err());
        assert!(exponential_buckets(1.0, 1.0, 3).is_err());
    }
}
