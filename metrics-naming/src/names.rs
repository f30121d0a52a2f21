//! Metric, namespace, unit and label names: the characters, the reserved words and suffixes, the
//! conventions promtool lints.

use crate::{Convention, MetricType, Policy, RuleError};

/// The name a user most likely meant: camelCase split into words, every other character turned into `_`.
pub(crate) fn to_snake_case(name: &str) -> String {
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
/// and, outside label names, colons (Prometheus' data model: `[a-zA-Z_:][a-zA-Z0-9_:]*`), and any other
/// character but `"`, `\` and control characters when it allows UTF-8 names.
fn check_identifier(what: &'static str, name: &str, policy: Policy) -> Result<(), RuleError> {
    if name.is_empty() {
        return Err(RuleError::Empty { what });
    }
    for (at, ch) in name.char_indices() {
        let ok = ch.is_ascii_lowercase() || ch == '_' || (at > 0 && ch.is_ascii_digit());
        if !ok {
            let error = RuleError::InvalidChar { what, name: name.to_owned(), ch, at };
            // A UTF-8 name may hold what the legacy set refuses, but not what quoting would have to escape,
            // nor, in a label name, a colon (escaping keeps colons, which no label name may hold).
            let utf8 = policy.allows_utf8_names() && error.convention().is_none();
            let kept_refused = ch.is_control() || ch == '"' || ch == '\\' || (ch == ':' && what == "label");
            if utf8 && !kept_refused {
                continue;
            }
            policy.judge(error)?;
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
pub fn check_label_name(name: &str, kind: MetricType) -> Result<(), RuleError> {
    check_label_name_with(name, kind, Policy::STRICT)
}

/// Checks a label name under `policy`, which may allow uppercase letters; the reserved names and the
/// characters outside `[a-zA-Z0-9_]` are refused whatever the policy.
pub fn check_label_name_with(name: &str, kind: MetricType, policy: Policy) -> Result<(), RuleError> {
    check_identifier("label", name, policy)?;
    match name {
        "le" => Err(RuleError::ReservedLabel {
            name: name.to_owned(),
            reason: if kind == MetricType::Histogram {
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
pub fn check_family_name(name: &str, kind: MetricType, unit: Option<&str>) -> Result<(), RuleError> {
    check_family_name_with(name, kind, unit, Policy::STRICT)
}

/// Checks a family name under `policy`: the invalid rules always, each convention unless the policy
/// allows it. The first rule broken that the policy does not allow is the error.
pub fn check_family_name_with(
    name: &str,
    kind: MetricType,
    unit: Option<&str>,
    policy: Policy,
) -> Result<(), RuleError> {
    check_identifier("metric", name, policy)?;
    if kind == MetricType::Counter && name.ends_with("_total") {
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
    let counter_total = kind == MetricType::Counter && name.ends_with("_total");
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
        if kind == MetricType::Info {
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
    kind: MetricType,
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
    kind: MetricType,
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
    if kind == MetricType::Counter && policy.allows(Convention::TotalSuffix) {
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
pub fn names_collide(a: &str, a_kind: MetricType, b: &str, b_kind: MetricType) -> bool {
    a_kind.sample_suffixes().iter().any(|sa| {
        b_kind.sample_suffixes().iter().any(|sb| {
            a.len() + sa.len() == b.len() + sb.len() && {
                let joined_a = a.bytes().chain(sa.bytes());
                joined_a.eq(b.bytes().chain(sb.bytes()))
            }
        })
    })
}
