//! A family's service level objective as the rules and their tests use it: which events are bad, the
//! error budget, the service level indicator (the ratio of bad events over a window) and the
//! multiwindow, multi-burn-rate alert windows of the Google SRE workbook.

use super::ExportError;
use super::promql::{self, JOB};
use crate::{FamilySchema, MetricType, SloIndicator};

const MINUTE: u64 = 60;
const HOUR: u64 = 3_600;
const DAY: u64 = 86_400;

/// The window the workbook's burn rates are given for (30 days): its `14.4`, `6`, `3` and `1` are the
/// shares of the budget below spent over the long windows of a 30-day budget.
pub(super) const WORKBOOK_WINDOW_SECS: u64 = 30 * DAY;

/// Who an alert wakes: a page is urgent, a ticket can wait for working hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Severity {
    Page,
    Ticket,
}

impl Severity {
    /// Both severities, page first.
    pub(super) const ALL: [Severity; 2] = [Severity::Page, Severity::Ticket];

    /// The `severity` label value.
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

/// One window pair of a multiwindow alert: it fires when the bad ratio over both `long_secs` and
/// `short_secs` exceeds the burn rate that spends `budget_percent` of the budget in `long_secs`. The
/// short window makes the alert stop soon after the burn does, which is why the workbook needs no `for:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BurnWindow {
    pub(super) severity: Severity,
    pub(super) long_secs: u64,
    pub(super) short_secs: u64,
    pub(super) budget_percent: u64,
}

/// The workbook's four pairs (chapter 5, "Alerting on SLOs", multiwindow multi-burn-rate alerts): pages at
/// 2% of the budget in 1 h (14.4x over 30 days, checked over 5 min too) or 5% in 6 h (6x, and 30 min);
/// tickets at 10% in 1 d (3x, and 2 h) or 10% in 3 d (1x, and 6 h).
pub(super) const BURN_WINDOWS: [BurnWindow; 4] = [
    BurnWindow { severity: Severity::Page, long_secs: HOUR, short_secs: 5 * MINUTE, budget_percent: 2 },
    BurnWindow { severity: Severity::Page, long_secs: 6 * HOUR, short_secs: 30 * MINUTE, budget_percent: 5 },
    BurnWindow { severity: Severity::Ticket, long_secs: DAY, short_secs: 2 * HOUR, budget_percent: 10 },
    BurnWindow { severity: Severity::Ticket, long_secs: 3 * DAY, short_secs: 6 * HOUR, budget_percent: 10 },
];

/// The longest window an alert reads: an objective's window must be at least this long.
pub(super) const LONGEST_WINDOW_SECS: u64 = 3 * DAY;

/// Every window the indicator is recorded over, shortest first.
pub(super) fn sli_windows() -> Vec<u64> {
    let mut windows: Vec<u64> = BURN_WINDOWS.iter().flat_map(|w| [w.long_secs, w.short_secs]).collect();
    windows.sort_unstable();
    windows.dedup();
    windows
}

/// Which events of the family are bad.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum BadEvents {
    /// Observations of a histogram above `threshold`, a bucket bound whose `le` text is `le`.
    Slow { threshold: f64, le: String, bounds: &'static [f64] },
    /// Increments of a counter whose `label` takes one of `values`; `good` is a value that is not bad.
    Labelled { label: &'static str, values: &'static [&'static str], good: &'static str },
}

/// A family's objective, checked.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Slo {
    pub(super) family: &'static FamilySchema,
    pub(super) objective: f64,
    pub(super) window_secs: u64,
    pub(super) bad: BadEvents,
    /// A power of ten that makes the objective whole: `objective * scale` good events of `scale`.
    pub(super) scale: u64,
    /// The bad events of `scale` the budget allows: `scale - objective * scale`.
    pub(super) budget_units: u64,
}

impl Slo {
    /// The objective `family` declares, checked against the family; `None` without one.
    pub(super) fn resolve(family: &'static FamilySchema) -> Result<Option<Slo>, ExportError> {
        let Some(schema) = family.slo() else { return Ok(None) };
        let name = family.name();
        let bad = match schema.indicator() {
            SloIndicator::Latency { threshold } => {
                if family.kind() != MetricType::Histogram {
                    return Err(ExportError::SloKind { family: name, kind: family.kind() });
                }
                let bounds = family.buckets().unwrap_or(promstruct_naming::DEFAULT_BUCKETS);
                if !bounds.contains(&threshold) {
                    return Err(ExportError::SloThreshold { family: name, threshold });
                }
                BadEvents::Slow { threshold, le: promql::le_text(threshold), bounds }
            }
            SloIndicator::Errors { label, values } => {
                if family.kind() != MetricType::Counter {
                    return Err(ExportError::SloKind { family: name, kind: family.kind() });
                }
                let taken = family
                    .labels()
                    .iter()
                    .find(|l| l.name() == label)
                    .and_then(|l| l.values())
                    .ok_or(ExportError::SloLabel { family: name, label })?;
                let refuse = |reason: String| ExportError::SloValues { family: name, label, reason };
                if values.is_empty() {
                    return Err(refuse("none is named".to_owned()));
                }
                if let Some(unknown) = values.iter().find(|v| !taken.contains(v)) {
                    return Err(refuse(format!("`{unknown}` is not one of {taken:?}")));
                }
                let good = taken
                    .iter()
                    .find(|v| !values.contains(v))
                    .ok_or_else(|| refuse("every value is bad, so no event could be good".to_owned()))?;
                BadEvents::Labelled { label, values, good }
            }
        };
        let objective = schema.objective();
        let refuse_objective = ExportError::SloObjective { family: name, objective };
        if !(objective > 0.0 && objective < 1.0) {
            return Err(refuse_objective);
        }
        let scale = (1..=9)
            .map(|digits| 10u64.pow(digits))
            .find(|scale| {
                let good = objective * *scale as f64;
                (good - good.round()).abs() < 1e-6
            })
            .ok_or(refuse_objective)?;
        let budget_units = scale - (objective * scale as f64).round() as u64;
        let window = schema.window();
        if window.subsec_nanos() != 0 || window.as_secs() < LONGEST_WINDOW_SECS {
            let reason = "must be whole seconds and at least 3 days, the longest alert window";
            return Err(ExportError::SloWindow { family: name, window, reason });
        }
        Ok(Some(Slo { family, objective, window_secs: window.as_secs(), bad, scale, budget_units }))
    }

    /// The share of events that may be bad, computed as PromQL computes `(1 - objective)`.
    pub(super) fn budget(&self) -> f64 {
        1.0 - self.objective
    }

    /// The burn rate of a window pair: how many times faster than the sustainable rate the budget goes
    /// when `budget_percent` of it is spent in `long_secs`. The workbook's figures for a 30-day window,
    /// scaled to the objective's.
    pub(super) fn burn_rate(&self, pair: &BurnWindow) -> f64 {
        (self.window_secs * pair.budget_percent) as f64 / (100 * pair.long_secs) as f64
    }

    /// The bad ratio above which a window pair fires, as the alert's PromQL computes it.
    pub(super) fn threshold(&self, pair: &BurnWindow) -> f64 {
        self.burn_rate(pair) * self.budget()
    }

    /// The threshold as PromQL text: `(14.4 * (1 - 0.99))`, the workbook's burn rate times the budget.
    pub(super) fn threshold_expr(&self, pair: &BurnWindow) -> String {
        format!("({} * (1 - {}))", promql::number(self.burn_rate(pair)), promql::number(self.objective))
    }

    /// The name of the recorded bad ratio over `window_secs`: `job:shop_checkouts_slo_errors:ratio_rate1h`.
    pub(super) fn sli_record(&self, window_secs: u64) -> String {
        promql::record_name(
            &[JOB],
            &format!("{}_slo_errors", self.family.name()),
            &format!("ratio_rate{}", promql::duration(window_secs)),
        )
    }

    /// The bad ratio over `window_secs`, by job.
    pub(super) fn sli_expr(&self, window_secs: u64) -> String {
        self.sli_expr_by(&[JOB], window_secs)
    }

    /// The bad ratio over `window_secs`, by the labels `by`.
    pub(super) fn sli_expr_by(&self, by: &[&str], window_secs: u64) -> String {
        let name = self.family.name();
        match &self.bad {
            BadEvents::Slow { le, threshold, .. } => {
                let good = promql::selector(&format!("{name}_bucket"), &[format!("le={}", promql::string_literal(le))]);
                let classic = format!(
                    "1 - ({} / {})",
                    promql::sum_by(by, &promql::rate(&good, window_secs)),
                    promql::sum_by(by, &promql::rate(&format!("{name}_count"), window_secs)),
                );
                if self.family.native().is_none() {
                    return classic;
                }
                // With native buckets too, a Prometheus that ingests the native histogram (2.42 with
                // `native-histograms` keeps only it) has no `_bucket` series: the share above the
                // threshold is then read from the native histogram, interpolated within the bucket the
                // threshold falls in.
                let native = format!(
                    "1 - histogram_fraction(-Inf, {}, {})",
                    promql::number(*threshold),
                    promql::sum_by(by, &promql::rate(name, window_secs)),
                );
                format!("({classic}) or ({native})")
            }
            BadEvents::Labelled { label, values, .. } => {
                let total = self.family.sample_name();
                let bad = promql::selector(&total, &[promql::matcher_any(label, values)]);
                format!(
                    "{} / {}",
                    promql::sum_by(by, &promql::rate(&bad, window_secs)),
                    promql::sum_by(by, &promql::rate(&total, window_secs)),
                )
            }
        }
    }

    /// The alert's name: the family name in CamelCase and `ErrorBudgetBurn` (`ShopCheckoutsErrorBudgetBurn`).
    pub(super) fn alert_name(&self) -> String {
        let mut name: String = self
            .family
            .name()
            .split(['_', ':'])
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map(|first| first.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            })
            .collect();
        name.push_str("ErrorBudgetBurn");
        name
    }

    /// What a bad event is, in words: `observations above 0.5 seconds`, `status in {error, timeout}`.
    pub(super) fn bad_events_text(&self) -> String {
        match &self.bad {
            BadEvents::Slow { le, .. } => {
                let unit = self.family.unit().map(|u| format!(" {u}")).unwrap_or_default();
                format!("observations above {le}{unit}")
            }
            BadEvents::Labelled { label, values, .. } => format!("{label} in {{{}}}", values.join(", ")),
        }
    }

    /// The objective in percent, from whole units so that `0.999` reads `99.9`.
    pub(super) fn objective_percent(&self) -> f64 {
        ((self.scale - self.budget_units) * 100) as f64 / self.scale as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LabelSchema, SloSchema};
    use std::time::Duration;

    const STATUS: &[LabelSchema] = &[LabelSchema::new("status", Some(&["ok", "error", "timeout"]))];
    static ERRORS: FamilySchema = FamilySchema::new("shop_checkouts", MetricType::Counter, "Checkouts.")
        .with_labels(STATUS)
        .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error", "timeout"] }, 0.999));
    static LATENCY: FamilySchema = FamilySchema::new("shop_latency_seconds", MetricType::Histogram, "Latency.")
        .with_unit("seconds")
        .with_buckets(&[0.1, 0.5, 30.0])
        .with_slo(SloSchema::new(SloIndicator::Latency { threshold: 30.0 }, 0.99));

    #[test]
    fn the_workbook_burn_rates_come_out_for_thirty_days() {
        let slo = Slo::resolve(&ERRORS).unwrap().unwrap();
        let burns: Vec<f64> = BURN_WINDOWS.iter().map(|w| slo.burn_rate(w)).collect();
        assert_eq!(burns, [14.4, 6.0, 3.0, 1.0]);
        assert_eq!(slo.threshold_expr(&BURN_WINDOWS[0]), "(14.4 * (1 - 0.999))");
        assert_eq!((slo.scale, slo.budget_units), (1000, 1));
        assert_eq!(sli_windows(), [300, 1_800, 3_600, 7_200, 21_600, 86_400, 259_200]);
    }

    #[test]
    fn a_shorter_window_scales_the_burn_rates() {
        static WEEK: FamilySchema =
            FamilySchema::new("a_calls", MetricType::Counter, "Calls.").with_labels(STATUS).with_slo(
                SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.99)
                    .with_window(Duration::from_secs(7 * DAY)),
            );
        let slo = Slo::resolve(&WEEK).unwrap().unwrap();
        assert_eq!(slo.burn_rate(&BURN_WINDOWS[0]), 3.36);
        assert_eq!(slo.burn_rate(&BURN_WINDOWS[3]), 7.0 / 30.0);
    }

    #[test]
    fn error_ratio_selects_the_bad_values() {
        let slo = Slo::resolve(&ERRORS).unwrap().unwrap();
        assert_eq!(slo.sli_record(3_600), "job:shop_checkouts_slo_errors:ratio_rate1h");
        assert_eq!(
            slo.sli_expr(3_600),
            r#"sum by (job) (rate(shop_checkouts_total{status=~"error|timeout"}[1h])) / sum by (job) (rate(shop_checkouts_total[1h]))"#
        );
        assert_eq!(slo.alert_name(), "ShopCheckoutsErrorBudgetBurn");
        assert_eq!(slo.bad_events_text(), "status in {error, timeout}");
        assert_eq!(slo.objective_percent(), 99.9);
        assert!(matches!(slo.bad, BadEvents::Labelled { good: "ok", .. }));
    }

    #[test]
    fn latency_ratio_reads_the_threshold_bucket_by_its_encoded_le() {
        let slo = Slo::resolve(&LATENCY).unwrap().unwrap();
        assert_eq!(
            slo.sli_expr(300),
            r#"1 - (sum by (job) (rate(shop_latency_seconds_bucket{le="30.0"}[5m])) / sum by (job) (rate(shop_latency_seconds_count[5m])))"#
        );
        assert_eq!(slo.bad_events_text(), "observations above 30.0 seconds");
    }

    #[test]
    fn latency_ratio_with_native_buckets_falls_back_to_the_native_histogram() {
        static BOTH: FamilySchema = FamilySchema::new("shop_latency_seconds", MetricType::Histogram, "Latency.")
            .with_buckets(&[0.1, 30.0])
            .with_native(crate::NativeSchema::new(3))
            .with_slo(SloSchema::new(SloIndicator::Latency { threshold: 30.0 }, 0.99));
        let slo = Slo::resolve(&BOTH).unwrap().unwrap();
        assert_eq!(
            slo.sli_expr(300),
            r#"(1 - (sum by (job) (rate(shop_latency_seconds_bucket{le="30.0"}[5m])) / sum by (job) (rate(shop_latency_seconds_count[5m])))) or (1 - histogram_fraction(-Inf, 30, sum by (job) (rate(shop_latency_seconds[5m]))))"#
        );
    }

    #[test]
    fn mismatched_objectives_are_refused_naming_the_part() {
        static GAUGE: FamilySchema = FamilySchema::new("a_level", MetricType::Gauge, "Level.")
            .with_slo(SloSchema::new(SloIndicator::Latency { threshold: 1.0 }, 0.99));
        assert!(matches!(Slo::resolve(&GAUGE), Err(ExportError::SloKind { family: "a_level", .. })));
        static OFF_BUCKET: FamilySchema = FamilySchema::new("a_seconds", MetricType::Histogram, "Time.")
            .with_buckets(&[1.0])
            .with_slo(SloSchema::new(SloIndicator::Latency { threshold: 2.0 }, 0.99));
        assert!(matches!(Slo::resolve(&OFF_BUCKET), Err(ExportError::SloThreshold { threshold: 2.0, .. })));
        static NO_LABEL: FamilySchema = FamilySchema::new("a_calls", MetricType::Counter, "Calls.")
            .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.99));
        assert!(matches!(Slo::resolve(&NO_LABEL), Err(ExportError::SloLabel { label: "status", .. })));
        static ALL_BAD: FamilySchema =
            FamilySchema::new("a_calls", MetricType::Counter, "Calls.").with_labels(STATUS).with_slo(SloSchema::new(
                SloIndicator::Errors { label: "status", values: &["ok", "error", "timeout"] },
                0.9,
            ));
        assert!(matches!(Slo::resolve(&ALL_BAD), Err(ExportError::SloValues { .. })));
        static UNKNOWN: FamilySchema = FamilySchema::new("a_calls", MetricType::Counter, "Calls.")
            .with_labels(STATUS)
            .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["oops"] }, 0.9));
        let err = Slo::resolve(&UNKNOWN).unwrap_err().to_string();
        assert!(err.contains("`oops` is not one of"), "{err}");
        static WHOLE: FamilySchema = FamilySchema::new("a_calls", MetricType::Counter, "Calls.")
            .with_labels(STATUS)
            .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 1.0));
        assert!(matches!(Slo::resolve(&WHOLE), Err(ExportError::SloObjective { .. })));
        static DAILY: FamilySchema =
            FamilySchema::new("a_calls", MetricType::Counter, "Calls.").with_labels(STATUS).with_slo(
                SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.99)
                    .with_window(Duration::from_secs(DAY)),
            );
        assert!(matches!(Slo::resolve(&DAILY), Err(ExportError::SloWindow { .. })));
    }
}
