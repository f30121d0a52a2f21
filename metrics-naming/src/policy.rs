//! Which naming rules a family must follow: the invalid ones always, the conventions unless it opts out.
//!
//! The rules come in two kinds.
//!
//! - *Invalid* names break the exposition format or a scraper: characters outside Prometheus' data model,
//!   the `__` prefix, the `le` and `quantile` labels where they are reserved, two families whose exposed
//!   names collide. No policy allows them.
//! - *Conventions* are what `promtool check metrics` lints and the Prometheus naming guide discourages: a
//!   `_total` ending on a gauge, a `_count` ending that collides with nothing, a type word or a non-base unit
//!   in a name, snake_case. Real systems break some of them on purpose (Argo's `argo_workflows_count`,
//!   KOSMOS's `kosmos_storage_bytes_total` gauge) because their users' dashboards depend on those names.
//!
//! A [`Policy`] is the set of conventions a family may break. `#[metrics]` starts every field from
//! [`Policy::STRICT`] and adds what the field names in `allow(...)`; metrics defined at run time take the
//! policy their caller gives.
//!
//! ```
//! use promstruct_naming::{Convention, MetricType, Policy, check_family_name_with};
//!
//! let strict = check_family_name_with("storage_bytes_total", MetricType::Gauge, None, Policy::STRICT);
//! assert_eq!(strict.unwrap_err().convention(), Some(Convention::TotalSuffix));
//! let relaxed = Policy::STRICT.allow(Convention::TotalSuffix);
//! assert!(check_family_name_with("storage_bytes_total", MetricType::Gauge, None, relaxed).is_ok());
//! // No policy allows an invalid name.
//! assert!(check_family_name_with("__storage", MetricType::Gauge, None, Policy::PERMISSIVE).is_err());
//! ```

use std::fmt;

use crate::RuleError;

/// A naming convention that a family may break when it says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Convention {
    /// Uppercase letters in a metric or label name (`workflowDuration`); names are snake_case.
    Uppercase,
    /// A colon in a metric name (`job:requests:rate5m`), which the naming guide keeps for recording rules.
    Colon,
    /// A `_total` ending on a family that is not a counter, or a counter name written with its `_total`.
    TotalSuffix,
    /// A `_count`, `_sum`, `_bucket`, `_created` or `_info` ending that belongs to another kind's samples.
    ReservedSuffix,
    /// A metric type word (`counter`, `gauge`, `histogram`, `summary`, `untyped`) in the name.
    TypeWord,
    /// A unit that is not a base unit (`ms`, `percent`, `kb`), in the name or as the declared unit.
    NonBaseUnit,
    /// A family with a unit whose name does not end with it: the name is kept as written, and the unit is
    /// kept as metadata but not written in `# UNIT` (OpenMetrics requires the name to end with it).
    UnitSuffix,
}

impl Convention {
    /// Every convention, in the order of their names.
    pub const ALL: [Convention; 7] = [
        Convention::Colon,
        Convention::NonBaseUnit,
        Convention::ReservedSuffix,
        Convention::TotalSuffix,
        Convention::TypeWord,
        Convention::UnitSuffix,
        Convention::Uppercase,
    ];

    /// The name a declaration writes in `allow(...)`, such as `total_suffix`.
    pub const fn name(self) -> &'static str {
        match self {
            Convention::Uppercase => "uppercase",
            Convention::Colon => "colon",
            Convention::TotalSuffix => "total_suffix",
            Convention::ReservedSuffix => "reserved_suffix",
            Convention::TypeWord => "type_word",
            Convention::NonBaseUnit => "non_base_unit",
            Convention::UnitSuffix => "unit_suffix",
        }
    }

    /// The convention named `name` in `allow(...)`.
    pub fn from_name(name: &str) -> Option<Convention> {
        Convention::ALL.into_iter().find(|c| c.name() == name)
    }

    /// What the convention asks, for messages.
    pub const fn rule(self) -> &'static str {
        match self {
            Convention::Uppercase => "names are snake_case",
            Convention::Colon => "colons are kept for recording rules",
            Convention::TotalSuffix => "only counters end with `_total`, and the encoder appends it",
            Convention::ReservedSuffix => {
                "`_count`, `_sum`, `_bucket`, `_created` and `_info` end other kinds' samples"
            }
            Convention::TypeWord => "the type is exposed in `# TYPE`, not in the name",
            Convention::NonBaseUnit => "values are in base units (seconds, bytes, ratio, ...)",
            Convention::UnitSuffix => "a family's name ends with its unit",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The conventions a family may break; the invalid rules apply whatever the policy, except that
/// [`Policy::utf8_names`] admits metric and label names outside the legacy character set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Policy {
    allowed: u8,
    utf8: bool,
}

impl Policy {
    /// Every convention enforced: what `#[metrics]` applies unless a field opts out, and the default.
    pub const STRICT: Policy = Policy { allowed: 0, utf8: false };

    /// Prometheus' data model and nothing more: metric names `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names
    /// `[a-zA-Z_][a-zA-Z0-9_]*`, every convention allowed. What Argo Workflows accepts in a workflow's
    /// metric spec. A unit given with this policy is not appended to the name (see
    /// [`Convention::UnitSuffix`]).
    pub const PERMISSIVE: Policy = Policy { allowed: (1 << Convention::ALL.len()) - 1, utf8: false };

    /// This policy with `convention` allowed too.
    #[must_use]
    pub const fn allow(self, convention: Convention) -> Policy {
        Policy { allowed: self.allowed | convention.bit(), ..self }
    }

    /// This policy with `convention` enforced again.
    #[must_use]
    pub const fn deny(self, convention: Convention) -> Policy {
        Policy { allowed: self.allowed & !convention.bit(), ..self }
    }

    /// This policy with names outside the legacy character set allowed: Prometheus 3's UTF-8 metric and
    /// label names (`http.server.duration`, `service.name`), for metrics defined at run time only (the
    /// `#[metrics]` macro refuses them). Such a name is exposed quoted to a scraper that asks for
    /// `escaping=allow-utf-8`, and escaped by the scheme it asks for otherwise (`underscores` by default;
    /// see [`Escaping`](crate::Escaping)). The other rules still apply: not empty, no `__` prefix, `le`
    /// and `quantile` reserved, and the conventions this policy does not allow (an ASCII uppercase letter
    /// needs [`Convention::Uppercase`]). A name holding `"`, `\` or a control character is refused even so.
    #[must_use]
    pub const fn utf8_names(self) -> Policy {
        Policy { utf8: true, ..self }
    }

    /// Whether this policy admits names outside the legacy character set (see [`Policy::utf8_names`]).
    pub const fn allows_utf8_names(self) -> bool {
        self.utf8
    }

    /// Whether a family under this policy may break `convention`.
    pub const fn allows(self, convention: Convention) -> bool {
        self.allowed & convention.bit() != 0
    }

    /// The conventions this policy allows, in the order of [`Convention::ALL`].
    pub fn allowed(self) -> impl Iterator<Item = Convention> {
        Convention::ALL.into_iter().filter(move |c| self.allows(*c))
    }

    /// `Ok` when the policy allows what `error` breaks (a convention it allows), else the error itself.
    pub fn judge(self, error: RuleError) -> Result<(), RuleError> {
        match error.convention() {
            Some(c) if self.allows(c) => Ok(()),
            _ => Err(error),
        }
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let utf8 = self.utf8.then_some("utf8_names");
        f.debug_set().entries(self.allowed().map(Convention::name).chain(utf8)).finish()
    }
}

impl RuleError {
    /// The convention this error reports, or `None` when the name is invalid: no policy allows it.
    pub fn convention(&self) -> Option<Convention> {
        match self {
            RuleError::InvalidChar { ch, .. } if ch.is_ascii_uppercase() => Some(Convention::Uppercase),
            // Prometheus' data model allows colons anywhere in a metric name, never in a label name.
            RuleError::InvalidChar { what, ch: ':', .. } if *what != "label" => Some(Convention::Colon),
            RuleError::CounterTotal { .. } | RuleError::ReservedSuffix { suffix: "_total", .. } => {
                Some(Convention::TotalSuffix)
            }
            RuleError::ReservedSuffix { .. } => Some(Convention::ReservedSuffix),
            RuleError::TypeInName { .. } => Some(Convention::TypeWord),
            RuleError::NonBaseUnit { .. } => Some(Convention::NonBaseUnit),
            RuleError::UnitNotInName { .. } => Some(Convention::UnitSuffix),
            _ => None,
        }
    }

    /// Whether the error breaks the format or a scraper, which no policy allows.
    pub fn is_invalid(&self) -> bool {
        self.convention().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MetricType, check_family_name_with, check_label_name_with, family_name_with};

    #[test]
    fn names_round_trip() {
        for c in Convention::ALL {
            assert_eq!(Convention::from_name(c.name()), Some(c));
        }
        assert_eq!(Convention::from_name("total"), None);
        let mut names: Vec<&str> = Convention::ALL.iter().map(|c| c.name()).collect();
        let sorted = {
            let mut s = names.clone();
            s.sort_unstable();
            s
        };
        assert_eq!(names, sorted, "ALL is in the order of the names");
        names.dedup();
        assert_eq!(names.len(), Convention::ALL.len());
    }

    #[test]
    fn strict_and_permissive() {
        for c in Convention::ALL {
            assert!(!Policy::STRICT.allows(c));
            assert!(Policy::PERMISSIVE.allows(c));
            assert!(Policy::STRICT.allow(c).allows(c));
            assert!(!Policy::PERMISSIVE.deny(c).allows(c));
        }
        assert_eq!(Policy::default(), Policy::STRICT);
        assert_eq!(format!("{:?}", Policy::STRICT.allow(Convention::TypeWord)), "{\"type_word\"}");
    }

    #[test]
    fn each_convention_is_opted_out_alone() {
        let cases: [(&str, MetricType, Option<&str>, Convention); 9] = [
            ("storage_bytes_total", MetricType::Gauge, None, Convention::TotalSuffix),
            ("workflows_count", MetricType::Gauge, None, Convention::ReservedSuffix),
            ("build_info", MetricType::Gauge, None, Convention::ReservedSuffix),
            ("exec_duration_gauge", MetricType::Gauge, None, Convention::TypeWord),
            ("latency_ms", MetricType::Gauge, None, Convention::NonBaseUnit),
            ("latency", MetricType::Gauge, Some("ms"), Convention::NonBaseUnit),
            ("workflowDuration", MetricType::Gauge, None, Convention::Uppercase),
            ("job:requests:rate5m", MetricType::Gauge, None, Convention::Colon),
            ("queue_latency", MetricType::Histogram, Some("seconds"), Convention::UnitSuffix),
        ];
        for (name, kind, unit, convention) in cases {
            let err = if convention == Convention::UnitSuffix {
                crate::check_unit_in_name(name, unit.unwrap_or_default(), Policy::STRICT).unwrap_err()
            } else {
                check_family_name_with(name, kind, unit, Policy::STRICT).unwrap_err()
            };
            assert_eq!(err.convention(), Some(convention), "{name}: {err}");
            let allowed = Policy::STRICT.allow(convention);
            if convention != Convention::UnitSuffix {
                assert!(check_family_name_with(name, kind, unit, allowed).is_ok(), "{name}");
            }
            // Another opt-out does not cover it.
            let other = Policy::PERMISSIVE.deny(convention);
            let judged = if convention == Convention::UnitSuffix {
                crate::check_unit_in_name(name, unit.unwrap_or_default(), other)
            } else {
                check_family_name_with(name, kind, unit, other)
            };
            assert!(judged.is_err(), "{name} passes without its own opt-out");
        }
    }

    #[test]
    fn invalid_names_are_never_allowed() {
        for (name, kind) in [
            ("__reserved", MetricType::Gauge),
            ("9lives", MetricType::Gauge),
            ("a-b", MetricType::Gauge),
            ("naïve", MetricType::Gauge),
            ("", MetricType::Counter),
        ] {
            let err = check_family_name_with(name, kind, None, Policy::PERMISSIVE).unwrap_err();
            assert!(err.is_invalid(), "{name}: {err}");
        }
        for label in ["le", "quantile", "__x", "a:b", "a-b", "1a"] {
            let err = check_label_name_with(label, MetricType::Histogram, Policy::PERMISSIVE).unwrap_err();
            assert!(err.is_invalid(), "{label}: {err}");
        }
        assert!(check_label_name_with("modelName", MetricType::Counter, Policy::PERMISSIVE).is_ok());
        assert!(check_label_name_with("modelName", MetricType::Counter, Policy::STRICT).is_err());
    }

    #[test]
    fn utf8_names_only_when_opted_in() {
        let utf8 = Policy::STRICT.utf8_names();
        for name in ["http.server.duration", "naïve", "a-b", "9lives", "请求"] {
            assert!(check_family_name_with(name, MetricType::Gauge, None, Policy::PERMISSIVE).is_err(), "{name}");
            assert!(check_family_name_with(name, MetricType::Gauge, None, utf8).is_ok(), "{name}");
        }
        for label in ["service.name", "k8s-pod", "名前"] {
            assert!(check_label_name_with(label, MetricType::Counter, Policy::PERMISSIVE).is_err(), "{label}");
            assert!(check_label_name_with(label, MetricType::Counter, utf8).is_ok(), "{label}");
        }
        // Still refused: the reserved prefix, reserved labels, what quoting escapes, colons in labels, and
        // the conventions the policy does not allow.
        for name in ["__a.b", "a\"b", "a\\b", "a\nb", ""] {
            assert!(check_family_name_with(name, MetricType::Gauge, None, utf8).is_err(), "{name:?}");
        }
        for label in ["le", "quantile", "a:b", "__x.y", "a\tb"] {
            assert!(check_label_name_with(label, MetricType::Histogram, utf8).is_err(), "{label:?}");
        }
        let err = check_family_name_with("Http.requests", MetricType::Gauge, None, utf8).unwrap_err();
        assert_eq!(err.convention(), Some(Convention::Uppercase));
        assert!(
            check_family_name_with("Http.requests", MetricType::Gauge, None, Policy::PERMISSIVE.utf8_names()).is_ok()
        );
        assert_eq!(format!("{utf8:?}"), "{\"utf8_names\"}");
        assert!(!Policy::PERMISSIVE.allows_utf8_names() && utf8.allows_utf8_names());
        assert!(utf8.allow(Convention::Colon).allows_utf8_names(), "allow keeps the flag");
    }

    #[test]
    fn utf8_labels_that_escape_alike_are_refused() {
        let utf8 = Policy::STRICT.utf8_names();
        let clash = crate::check_label_names_with(&["a_b", "a.b"], MetricType::Counter, utf8).unwrap_err();
        assert_eq!(clash.0, 1);
        assert!(
            matches!(&clash.1, RuleError::EscapedLabel { other: Some(o), scheme: "underscores", .. } if o == "a_b")
        );
        assert!(clash.1.to_string().contains("escaping=underscores"), "{}", clash.1);
        let reserved = crate::check_label_names_with(&["_.x"], MetricType::Counter, utf8).unwrap_err();
        assert!(matches!(reserved.1, RuleError::EscapedLabel { other: None, .. }), "{:?}", reserved.1);
        assert!(crate::check_label_names_with(&["a.b", "a.c", "a_d"], MetricType::Counter, utf8).is_ok());
    }

    #[test]
    fn argo_names_pass_permissive() {
        for name in ["argo_workflows_count", "argo_workflows_exec_duration_gauge", "Model_A:score", "_private"] {
            assert!(family_name_with(None, None, name, MetricType::Gauge, None, Policy::PERMISSIVE).is_ok(), "{name}");
        }
    }

    #[test]
    fn a_counter_written_with_total_is_that_family() {
        let strict = family_name_with(None, None, "runs_total", MetricType::Counter, None, Policy::STRICT);
        assert!(matches!(strict, Err(RuleError::CounterTotal { .. })));
        let allowed = Policy::STRICT.allow(Convention::TotalSuffix);
        assert_eq!(family_name_with(None, None, "runs_total", MetricType::Counter, None, allowed).unwrap(), "runs");
    }

    #[test]
    fn unit_suffix_keeps_the_name() {
        let allowed = Policy::STRICT.allow(Convention::UnitSuffix);
        assert_eq!(
            family_name_with(Some("argo"), None, "queue_latency", MetricType::Histogram, Some("seconds"), allowed)
                .unwrap(),
            "argo_queue_latency"
        );
        assert_eq!(
            family_name_with(
                Some("argo"),
                None,
                "queue_latency",
                MetricType::Histogram,
                Some("seconds"),
                Policy::STRICT
            )
            .unwrap(),
            "argo_queue_latency_seconds"
        );
    }
}
