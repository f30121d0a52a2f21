//! The label set of one family: names and the values of closed (enum) labels.

use crate::{Escaping, MetricType, OVERFLOW_VALUE, Policy, RuleError, check_label_name_with, exposed_name};

/// Checks the label names of one family, in order: each a valid label name for `kind`, none given twice.
///
/// On error, returns the position of the first name at fault with what is wrong with it.
pub fn check_label_names(names: &[&str], kind: MetricType) -> Result<(), (usize, RuleError)> {
    check_label_names_with(names, kind, Policy::STRICT)
}

/// [`check_label_names`] under `policy`.
pub fn check_label_names_with(names: &[&str], kind: MetricType, policy: Policy) -> Result<(), (usize, RuleError)> {
    for (i, name) in names.iter().enumerate() {
        check_label_name_with(name, kind, policy).map_err(|e| (i, e))?;
        if names[..i].contains(name) {
            return Err((i, RuleError::DuplicateLabel { name: (*name).to_owned() }));
        }
        if policy.allows_utf8_names() {
            check_escaped_label(names, i)?;
        }
    }
    Ok(())
}

/// Checks that UTF-8 label name `names[i]`, escaped by each scheme, is neither an earlier name escaped by
/// the same scheme (`a.b` and `a_b` are both `a_b` under `underscores`) nor a reserved name: a scraper
/// that asks for the scheme would read one label twice, or one Prometheus keeps for itself.
fn check_escaped_label(names: &[&str], i: usize) -> Result<(), (usize, RuleError)> {
    let name = names[i];
    for scheme in [Escaping::Underscores, Escaping::Dots, Escaping::Values] {
        let escaped = exposed_name(name, scheme);
        if escaped != name && (escaped.starts_with("__") || escaped == "le" || escaped == "quantile") {
            return Err((i, RuleError::EscapedLabel { name: name.to_owned(), other: None, scheme: scheme.as_str() }));
        }
        if let Some(other) = names[..i].iter().find(|other| exposed_name(other, scheme) == escaped) {
            let other = Some((*other).to_owned());
            return Err((i, RuleError::EscapedLabel { name: name.to_owned(), other, scheme: scheme.as_str() }));
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
