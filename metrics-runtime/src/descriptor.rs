//! What a family is: its name, type, help, unit and label names.

use std::borrow::Cow;

use crate::MetricType;
use promstruct_naming::{Policy, RuleError};

/// The metadata of one metric family: name, type, help, unit and label names.
///
/// The name is the family name OpenMetrics writes in `# TYPE`: without `_total` for a counter, without
/// `_info` for an info, with the unit as its last word when there is one. [`Descriptor::new`] and its
/// builders check every part against the naming rules the `#[metrics]` macro applies at compile time;
/// [`Descriptor::from_static`] trusts parts the macro already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor {
    name: Cow<'static, str>,
    help: Cow<'static, str>,
    unit: Option<Cow<'static, str>>,
    kind: MetricType,
    label_names: Cow<'static, [&'static str]>,
    owned_labels: Vec<String>,
    policy: Policy,
}

impl Descriptor {
    /// A descriptor with no unit and no label, its name checked for `kind`.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        kind: MetricType,
        help: impl Into<Cow<'static, str>>,
    ) -> Result<Self, RuleError> {
        Descriptor::with_policy(name, kind, help, Policy::STRICT)
    }

    /// A descriptor checked under `policy`: the conventions it allows are not enforced, here or by
    /// [`with_unit`](Self::with_unit) and [`with_labels`](Self::with_labels).
    pub fn with_policy(
        name: impl Into<Cow<'static, str>>,
        kind: MetricType,
        help: impl Into<Cow<'static, str>>,
        policy: Policy,
    ) -> Result<Self, RuleError> {
        let name = name.into();
        promstruct_naming::check_family_name_with(&name, kind, None, policy)?;
        Ok(Descriptor {
            name,
            help: help.into(),
            unit: None,
            kind,
            label_names: Cow::Borrowed(&[]),
            owned_labels: Vec::new(),
            policy,
        })
    }

    /// Parts checked at compile time by `#[metrics]`; not checked again.
    #[doc(hidden)]
    pub const fn from_static(
        name: &'static str,
        kind: MetricType,
        help: &'static str,
        unit: Option<&'static str>,
        label_names: &'static [&'static str],
    ) -> Self {
        Descriptor {
            name: Cow::Borrowed(name),
            help: Cow::Borrowed(help),
            unit: match unit {
                Some(unit) => Some(Cow::Borrowed(unit)),
                None => None,
            },
            kind,
            label_names: Cow::Borrowed(label_names),
            owned_labels: Vec::new(),
            policy: Policy::STRICT,
        }
    }

    /// Sets the unit; the name must already end with `_<unit>`, unless the descriptor's policy allows
    /// [`Convention::UnitSuffix`](promstruct_naming::Convention::UnitSuffix) (the unit is then kept as
    /// metadata and not written in `# UNIT`).
    pub fn with_unit(mut self, unit: impl Into<Cow<'static, str>>) -> Result<Self, RuleError> {
        let unit = unit.into();
        promstruct_naming::check_family_name_with(&self.name, self.kind, Some(&unit), self.policy)?;
        promstruct_naming::check_unit_in_name(&self.name, &unit, self.policy)?;
        self.unit = Some(unit);
        Ok(self)
    }

    /// Sets the label names, checking each one and refusing duplicates.
    pub fn with_labels<I, S>(mut self, names: I) -> Result<Self, RuleError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let names: Vec<String> = names.into_iter().map(Into::into).collect();
        for (i, name) in names.iter().enumerate() {
            promstruct_naming::check_label_name_with(name, self.kind, self.policy)?;
            if names[..i].contains(name) {
                return Err(RuleError::DuplicateLabel { name: name.clone() });
            }
        }
        self.label_names = Cow::Borrowed(&[]);
        self.owned_labels = names;
        Ok(self)
    }

    /// The family name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The help text, unescaped.
    pub fn help(&self) -> &str {
        &self.help
    }

    /// The unit, if any.
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    /// The unit OpenMetrics writes in `# UNIT`: the unit, when the name ends with it.
    pub fn exposed_unit(&self) -> Option<&str> {
        self.unit().filter(|unit| self.name.strip_suffix(unit).is_some_and(|rest| rest.ends_with('_')))
    }

    /// The metric type.
    pub fn kind(&self) -> MetricType {
        self.kind
    }

    /// The number of labels.
    pub fn label_count(&self) -> usize {
        if self.owned_labels.is_empty() { self.label_names.len() } else { self.owned_labels.len() }
    }

    /// The name of label `i`.
    pub fn label_name(&self, i: usize) -> &str {
        if self.owned_labels.is_empty() { self.label_names[i] } else { &self.owned_labels[i] }
    }

    /// The label names in order.
    pub fn label_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.label_count()).map(|i| self.label_name(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_checks() {
        let d = Descriptor::new("req_duration_seconds", MetricType::Histogram, "Latency.")
            .unwrap()
            .with_unit("seconds")
            .unwrap()
            .with_labels(["model", "status"])
            .unwrap();
        assert_eq!(d.name(), "req_duration_seconds");
        assert_eq!(d.unit(), Some("seconds"));
        assert_eq!(d.label_names().collect::<Vec<_>>(), ["model", "status"]);
        assert!(Descriptor::new("x_total", MetricType::Counter, "h").is_err());
        assert!(Descriptor::new("x", MetricType::Gauge, "h").unwrap().with_unit("seconds").is_err());
        assert!(Descriptor::new("x", MetricType::Gauge, "h").unwrap().with_labels(["a", "a"]).is_err());
        assert!(Descriptor::new("x", MetricType::Histogram, "h").unwrap().with_labels(["le"]).is_err());
    }
}
