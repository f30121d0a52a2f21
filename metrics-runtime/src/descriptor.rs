//! What a family is at run time: its name, type, help, unit and label names, derived from a
//! [`FamilySchema`] or built, and checked once, by a [`DescriptorBuilder`].

use std::borrow::Cow;

use crate::{FamilySchema, MetricType};
use promstruct_naming::{Escaping, Policy, RuleError};

/// The metadata of one metric family: name, type, help, unit and label names.
///
/// The name is the family name OpenMetrics writes in `# TYPE`: without `_total` for a counter, without
/// `_info` for an info, with the unit as its last word when there is one. A descriptor comes from one of
/// two places:
///
/// - [`Descriptor::from_schema`]: the static [`FamilySchema`] of a family `#[metrics]` declared and
///   checked at compile time (nothing is copied or checked again);
/// - [`Descriptor::builder`] (or [`Descriptor::new`] for a family with neither unit nor label): parts known
///   at run time, checked once, in [`DescriptorBuilder::build`], by the rules the macro applies.
///
/// ```
/// use promstruct::{Descriptor, MetricType};
///
/// let d = Descriptor::builder("request_duration", MetricType::Histogram, "Latency.")
///     .namespace("shop")
///     .unit("seconds")
///     .labels(["model", "status"])
///     .build()
///     .unwrap();
/// assert_eq!(d.name(), "shop_request_duration_seconds");
/// assert_eq!(d.label_names().collect::<Vec<_>>(), ["model", "status"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor {
    name: Cow<'static, str>,
    help: Cow<'static, str>,
    unit: Option<Cow<'static, str>>,
    kind: MetricType,
    labels: Labels,
    /// How the names are exposed when some is outside the legacy character set; `None` (every name
    /// legacy, as always for a schema's) writes them as they are under every escaping scheme.
    utf8: Option<Box<Utf8Names>>,
}

/// The exposed names of a descriptor with a name outside the legacy set, computed once when it is built:
/// a scrape picks its scheme's names, and writes nothing per sample to decide.
#[derive(Debug, Clone, PartialEq)]
struct Utf8Names {
    /// Whether the family name is outside the legacy set (quoted under `allow-utf-8`).
    quoted_name: bool,
    /// Bit `i`: label `i` is outside the legacy set.
    quoted_labels: u16,
    /// By scheme (`underscores`, `dots`, `values`): the family name, then each label name, escaped (the
    /// legacy ones as they are).
    escaped: [Box<[String]>; 3],
}

/// The label names: a schema's, or owned ones.
#[derive(Debug, Clone, PartialEq)]
enum Labels {
    Schema(&'static FamilySchema),
    Owned(Box<[String]>),
}

impl Descriptor {
    /// A descriptor with no unit and no label, its name checked for `kind`: `builder(...).build()`.
    pub fn new(
        name: impl Into<Cow<'static, str>>,
        kind: MetricType,
        help: impl Into<Cow<'static, str>>,
    ) -> Result<Self, RuleError> {
        Descriptor::builder(name, kind, help).build()
    }

    /// A builder of a descriptor named `name` (the namespace and unit are added by the builder).
    pub fn builder(
        name: impl Into<Cow<'static, str>>,
        kind: MetricType,
        help: impl Into<Cow<'static, str>>,
    ) -> DescriptorBuilder {
        DescriptorBuilder {
            namespace: None,
            name: name.into(),
            kind,
            help: help.into(),
            unit: None,
            labels: Vec::new(),
            policy: Policy::STRICT,
        }
    }

    /// The descriptor of a family `#[metrics]` declared: every part borrowed from `schema`, which the macro
    /// checked at compile time.
    pub const fn from_schema(schema: &'static FamilySchema) -> Self {
        Descriptor {
            name: Cow::Borrowed(schema.name()),
            help: Cow::Borrowed(schema.help()),
            unit: match schema.unit() {
                Some(unit) => Some(Cow::Borrowed(unit)),
                None => None,
            },
            kind: schema.kind(),
            labels: Labels::Schema(schema),
            utf8: None,
        }
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
        match &self.labels {
            Labels::Schema(schema) => schema.labels().len(),
            Labels::Owned(names) => names.len(),
        }
    }

    /// The name of label `i`.
    ///
    /// # Panics
    /// If `i >= self.label_count()`.
    pub fn label_name(&self, i: usize) -> &str {
        match &self.labels {
            Labels::Schema(schema) => schema.labels()[i].name(),
            Labels::Owned(names) => &names[i],
        }
    }

    /// The label names in order.
    pub fn label_names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.label_count()).map(|i| self.label_name(i))
    }

    /// Whether every name (the family's and its labels') is in the legacy character set, as every name the
    /// `#[metrics]` macro accepts is: then every escaping scheme writes the family alike. Only a descriptor
    /// built under [`Policy::utf8_names`] may hold others.
    pub fn has_legacy_names(&self) -> bool {
        self.utf8.is_none()
    }

    /// The family name as an exposition escaped by `escaping` writes it: the name itself when it is legacy
    /// or the scheme is `allow-utf-8` (quoted there when it is not legacy; see [`Descriptor::quotes_name`]).
    pub fn exposed_name(&self, escaping: Escaping) -> &str {
        match (&self.utf8, escaped_index(escaping)) {
            (Some(utf8), Some(at)) => &utf8.escaped[at][0],
            _ => &self.name,
        }
    }

    /// The name of label `i` as an exposition escaped by `escaping` writes it (see
    /// [`Descriptor::exposed_name`]).
    ///
    /// # Panics
    /// If `i >= self.label_count()`.
    pub fn exposed_label_name(&self, i: usize, escaping: Escaping) -> &str {
        match (&self.utf8, escaped_index(escaping)) {
            (Some(utf8), Some(at)) => &utf8.escaped[at][i + 1],
            _ => self.label_name(i),
        }
    }

    /// Whether an exposition escaped by `escaping` writes the family name quoted, inside the braces:
    /// under `allow-utf-8`, when the name is not legacy.
    pub fn quotes_name(&self, escaping: Escaping) -> bool {
        escaping == Escaping::AllowUtf8 && self.utf8.as_ref().is_some_and(|u| u.quoted_name)
    }

    /// Whether some label name is outside the legacy set: label writers then rewrite names.
    pub(crate) fn has_utf8_label_names(&self) -> bool {
        self.utf8.as_ref().is_some_and(|u| u.quoted_labels != 0)
    }

    /// The static schema this descriptor was derived from, for a family `#[metrics]` declared.
    pub fn schema(&self) -> Option<&'static FamilySchema> {
        match self.labels {
            Labels::Schema(schema) => Some(schema),
            Labels::Owned(_) => None,
        }
    }
}

/// Builds a [`Descriptor`] from parts known at run time; [`build`](Self::build) runs every naming rule
/// once, the same ones `#[metrics]` applies at compile time.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct DescriptorBuilder {
    namespace: Option<Cow<'static, str>>,
    name: Cow<'static, str>,
    kind: MetricType,
    help: Cow<'static, str>,
    unit: Option<Cow<'static, str>>,
    labels: Vec<String>,
    policy: Policy,
}

impl DescriptorBuilder {
    /// A builder holding every part of `schema`: a family described once, as a [`FamilySchema`], that is
    /// defined at run time (in a namespace the caller chooses, say) and checked then.
    pub fn from_schema(schema: &FamilySchema) -> Self {
        let mut builder = Descriptor::builder(schema.name(), schema.kind(), schema.help())
            .labels(schema.labels().iter().map(|label| label.name()));
        builder.unit = schema.unit().map(Cow::Borrowed);
        builder
    }

    /// Prefixes the name with `namespace_`.
    pub fn namespace(mut self, namespace: impl Into<Cow<'static, str>>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the unit, appended to the name (`_seconds`) unless the name already ends with it, or the policy
    /// allows [`Convention::UnitSuffix`](promstruct_naming::Convention::UnitSuffix) (the unit is then kept
    /// as metadata and not written in `# UNIT`).
    pub fn unit(mut self, unit: impl Into<Cow<'static, str>>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Sets the label names, in the order of the series' label values.
    pub fn labels<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.labels = names.into_iter().map(Into::into).collect();
        self
    }

    /// Checks the parts under `policy`: the conventions it allows are not enforced (the default is
    /// [`Policy::STRICT`]).
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The descriptor, or the first rule its parts break: the namespace, the name (with its unit), the
    /// number of labels ([`MAX_LABELS`](promstruct_naming::MAX_LABELS)), each label name, and a label
    /// given twice ([`RuleError::DuplicateLabel`]).
    pub fn build(self) -> Result<Descriptor, RuleError> {
        let DescriptorBuilder { namespace, name, kind, help, unit, labels, policy } = self;
        let full =
            promstruct_naming::family_name_with(namespace.as_deref(), None, &name, kind, unit.as_deref(), policy)?;
        promstruct_naming::check_label_count(labels.len())?;
        let names: Vec<&str> = labels.iter().map(String::as_str).collect();
        promstruct_naming::check_label_names_with(&names, kind, policy).map_err(|(_, e)| e)?;
        // Keep a borrowed name borrowed when the rules left it as it was.
        let name = if full == *name { name } else { Cow::Owned(full) };
        let utf8 = Utf8Names::of(&name, &labels).map(Box::new);
        Ok(Descriptor { name, help, unit, kind, labels: Labels::Owned(labels.into_boxed_slice()), utf8 })
    }
}

/// Where [`Utf8Names::escaped`] keeps a scheme's names; `None` for `allow-utf-8`, which keeps names.
fn escaped_index(escaping: Escaping) -> Option<usize> {
    match escaping {
        Escaping::AllowUtf8 => None,
        Escaping::Underscores => Some(0),
        Escaping::Dots => Some(1),
        Escaping::Values => Some(2),
    }
}

impl Utf8Names {
    /// The exposed names of a family named `name` with `labels`, or `None` when every name is legacy.
    fn of(name: &str, labels: &[String]) -> Option<Utf8Names> {
        use promstruct_naming::{exposed_name, is_legacy_label_name, is_legacy_metric_name};
        let quoted_name = !is_legacy_metric_name(name);
        let quoted_labels = labels
            .iter()
            .enumerate()
            .filter(|(_, l)| !is_legacy_label_name(l))
            .fold(0u16, |bits, (i, _)| bits | 1 << i);
        if !quoted_name && quoted_labels == 0 {
            return None;
        }
        let escaped = [Escaping::Underscores, Escaping::Dots, Escaping::Values].map(|scheme| {
            std::iter::once(name)
                .chain(labels.iter().map(String::as_str))
                .map(|n| exposed_name(n, scheme).into_owned())
                .collect()
        });
        Some(Utf8Names { quoted_name, quoted_labels, escaped })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LabelSchema;

    #[test]
    fn builds_and_checks() {
        let d = Descriptor::builder("req_duration_seconds", MetricType::Histogram, "Latency.")
            .unit("seconds")
            .labels(["model", "status"])
            .build()
            .unwrap();
        assert_eq!(d.name(), "req_duration_seconds");
        assert_eq!(d.unit(), Some("seconds"));
        assert_eq!(d.exposed_unit(), Some("seconds"));
        assert_eq!(d.label_names().collect::<Vec<_>>(), ["model", "status"]);
        assert!(matches!(d.name, Cow::Borrowed(_)), "a name the rules keep is not copied");
        let d = Descriptor::builder("req", MetricType::Gauge, "h").namespace("app").unit("seconds").build().unwrap();
        assert_eq!(d.name(), "app_req_seconds", "the namespace and the unit are added as the macro adds them");
        assert!(Descriptor::new("x_total", MetricType::Counter, "h").is_err());
        assert!(Descriptor::builder("x", MetricType::Gauge, "h").namespace("My App").build().is_err());
        assert_eq!(
            Descriptor::builder("x", MetricType::Gauge, "h").labels(["a", "a"]).build(),
            Err(RuleError::DuplicateLabel { name: "a".into() })
        );
        assert!(Descriptor::builder("x", MetricType::Histogram, "h").labels(["le"]).build().is_err());
        assert!(matches!(
            Descriptor::builder("x", MetricType::Gauge, "h").labels((0..9).map(|i| format!("l{i}"))).build(),
            Err(RuleError::TooManyLabels { count: 9, .. })
        ));
    }

    #[test]
    fn derived_from_a_schema() {
        static SCHEMA: FamilySchema = FamilySchema::new("app_temperature_celsius", MetricType::Gauge, "Temperature.")
            .with_unit("celsius")
            .with_labels(&[LabelSchema::open("room")]);
        let d = Descriptor::from_schema(&SCHEMA);
        assert_eq!((d.name(), d.help(), d.unit(), d.kind()), SCHEMA_PARTS);
        assert_eq!(d.label_names().collect::<Vec<_>>(), ["room"]);
        assert_eq!(d.schema(), Some(&SCHEMA));
        const SCHEMA_PARTS: (&str, &str, Option<&str>, MetricType) =
            ("app_temperature_celsius", "Temperature.", Some("celsius"), MetricType::Gauge);
    }
}
