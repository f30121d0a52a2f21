//! `rules.test.yml`: `promtool test rules` unit tests of the alerts. Per objective, five synthetic
//! histories of one job (`job="app"`), each a few phases of a constant bad ratio, and which alerts must
//! and must not fire at the end of each; the table is in the module documentation of `export`.
//!
//! The outcomes are not assumed: each scenario's bad ratio over every alert window is computed here, as
//! whole event counts a minute, and a scenario whose ratio lies within 10% of a threshold is left out
//! (Prometheus' rate extrapolation could tip it). A bad ratio is capped at every event bad, which leaves
//! some alerts of small objectives without a scenario; the checks refuse those
//! ([`ExportError::UntestableAlert`]).

use std::collections::BTreeMap;

use serde::Serialize;

use super::promql::{self, JOB};
use super::slo::{BURN_WINDOWS, BadEvents, Severity, Slo, WORKBOOK_WINDOW_SECS};
use super::{Checked, ExportError, rules};

/// The `job` of every synthetic series.
const TEST_JOB: &str = "app";
/// The value of an open label in the synthetic series.
const OPEN_VALUE: &str = "synthetic";
/// How often promtool evaluates the rules, in minutes. The alerts have no `for:`, so only the evaluation
/// at a scenario's end counts, and every scenario ends on a multiple of it; the series still have a
/// sample a minute, so the 5-minute window holds five.
const EVALUATION_MINUTES: u64 = 10;
/// How close to a threshold (relative) a scenario's ratio may come and still be kept.
const MARGIN: f64 = 0.1;
/// The largest count the series may reach: a float holds whole numbers exactly up to 2^53.
const MAX_COUNT: u128 = 1 << 53;

/// A phase of a scenario: `minutes` of a bad ratio of `half_burn / 2` times the lowest burn rate.
struct Phase {
    minutes: u64,
    half_burn: u64,
}

/// A synthetic history.
struct Scenario {
    name: &'static str,
    phases: &'static [Phase],
}

const SCENARIOS: [Scenario; 5] = [
    Scenario { name: "within budget", phases: &[Phase { minutes: 26 * 60, half_burn: 1 }] },
    Scenario { name: "slow burn", phases: &[Phase { minutes: 26 * 60, half_burn: 4 }] },
    Scenario {
        name: "fast burn",
        phases: &[Phase { minutes: 24 * 60, half_burn: 0 }, Phase { minutes: 60, half_burn: 40 }],
    },
    Scenario {
        name: "fast burn over",
        phases: &[
            Phase { minutes: 24 * 60, half_burn: 0 },
            Phase { minutes: 60, half_burn: 40 },
            Phase { minutes: 10, half_burn: 0 },
        ],
    },
    Scenario {
        name: "sustained burn",
        phases: &[Phase { minutes: 24 * 60, half_burn: 0 }, Phase { minutes: 6 * 60, half_burn: 16 }],
    },
];

/// A scenario made concrete for one objective: events a minute, bad events a minute in each phase, and
/// which alerts fire at its end.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PlannedScenario {
    name: &'static str,
    events_per_minute: u64,
    /// `(minutes, bad events a minute)`.
    phases: Vec<(u64, u64)>,
    /// Whether the page, then the ticket, fires at the end.
    fires: [bool; 2],
}

impl PlannedScenario {
    fn minutes(&self) -> u64 {
        self.phases.iter().map(|(minutes, _)| minutes).sum()
    }

    /// The share of bad events over the last `window_minutes` (or since the start, if shorter).
    fn bad_ratio(&self, window_minutes: u64) -> f64 {
        let end = self.minutes();
        let start = end.saturating_sub(window_minutes);
        let (mut bad, mut minute) = (0u64, 0u64);
        for &(minutes, per_minute) in &self.phases {
            let overlap = (minute + minutes).min(end).saturating_sub(minute.max(start));
            bad += overlap * per_minute;
            minute += minutes;
        }
        bad as f64 / ((end - start) * self.events_per_minute) as f64
    }

    /// `None` when a ratio lies within the margin of a threshold.
    fn outcome(&self, slo: &Slo) -> Option<[bool; 2]> {
        let mut fires = [false; 2];
        for pair in &BURN_WINDOWS {
            let threshold = slo.threshold(pair);
            let mut above = true;
            for window in [pair.long_secs, pair.short_secs] {
                let ratio = self.bad_ratio(window / 60);
                if (ratio / threshold - 1.0).abs() < MARGIN {
                    return None;
                }
                above &= ratio > threshold;
            }
            fires[pair.severity as usize] |= above;
        }
        Some(fires)
    }
}

/// The scenarios of `slo` kept, with their outcomes; refused when an alert lacks a scenario that fires
/// it or one that keeps it quiet.
pub(super) fn plan(slo: &Slo) -> Result<Vec<PlannedScenario>, ExportError> {
    // A bad ratio of `half_burn / 2` times the lowest burn rate, `window / WORKBOOK_WINDOW_SECS`, times the
    // budget, `budget_units / scale`, in whole events: `half_burn * budget_units * (window / g)` bad of
    // `2 * scale * (WORKBOOK_WINDOW_SECS / g)`, `g` their greatest common divisor.
    let g = gcd(slo.window_secs, WORKBOOK_WINDOW_SECS);
    let events_per_minute = 2 * slo.scale as u128 * (WORKBOOK_WINDOW_SECS / g) as u128;
    let bad_unit = slo.budget_units as u128 * (slo.window_secs / g) as u128;
    let too_big = || ExportError::SloWindow {
        family: slo.family.name(),
        window: std::time::Duration::from_secs(slo.window_secs),
        reason: "shares so few factors with 30 days that the rule tests' event counts would pass 2^53; \
                 round it to whole days",
    };
    let mut planned = Vec::new();
    for scenario in &SCENARIOS {
        let minutes: u64 = scenario.phases.iter().map(|p| p.minutes).sum();
        if events_per_minute * (minutes as u128 + 1) > MAX_COUNT {
            return Err(too_big());
        }
        let phases = scenario
            .phases
            .iter()
            .map(|p| (p.minutes, (p.half_burn as u128 * bad_unit).min(events_per_minute) as u64))
            .collect();
        let mut concrete = PlannedScenario {
            name: scenario.name,
            events_per_minute: events_per_minute as u64,
            phases,
            fires: [false; 2],
        };
        if let Some(fires) = concrete.outcome(slo) {
            concrete.fires = fires;
            planned.push(concrete);
        }
    }
    for severity in Severity::ALL {
        for (fired, missing) in [(true, "fires"), (false, "keeps quiet")] {
            if !planned.iter().any(|s| s.fires[severity as usize] == fired) {
                return Err(ExportError::UntestableAlert {
                    family: slo.family.name(),
                    severity: severity.as_str(),
                    missing,
                });
            }
        }
    }
    Ok(planned)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

#[derive(Serialize)]
struct TestFile {
    rule_files: Vec<String>,
    evaluation_interval: String,
    tests: Vec<TestGroup>,
}

#[derive(Serialize)]
struct TestGroup {
    name: String,
    interval: String,
    input_series: Vec<InputSeries>,
    alert_rule_test: Vec<AlertTest>,
}

#[derive(Serialize)]
struct InputSeries {
    series: String,
    values: String,
}

#[derive(Serialize)]
struct AlertTest {
    eval_time: String,
    alertname: String,
    exp_alerts: Vec<ExpectedAlert>,
}

#[derive(Serialize)]
struct ExpectedAlert {
    exp_labels: BTreeMap<&'static str, String>,
    exp_annotations: BTreeMap<&'static str, String>,
}

/// The test file of `checked`, reading the rules from `rules_file` (relative to the test file).
pub(super) fn render(checked: &Checked<'_>, rules_file: &str) -> String {
    let mut tests = Vec::new();
    for group in &checked.groups {
        for planned in &group.slos {
            for scenario in &planned.scenarios {
                tests.push(test_group(&planned.slo, scenario, checked.runbook_base));
            }
        }
    }
    let file = TestFile {
        rule_files: vec![rules_file.to_owned()],
        evaluation_interval: promql::duration(EVALUATION_MINUTES * 60),
        tests,
    };
    let yaml = serde_norway::to_string(&file).expect("a test file serialises: strings and maps only");
    format!("{}{yaml}", super::header("#", checked.title))
}

fn test_group(slo: &Slo, scenario: &PlannedScenario, runbook_base: Option<&str>) -> TestGroup {
    let events = scenario.events_per_minute;
    let bad: Vec<(u64, u64)> = scenario.phases.clone();
    let good: Vec<(u64, u64)> = bad.iter().map(|&(minutes, bad)| (minutes, events - bad)).collect();
    let all: Vec<(u64, u64)> = bad.iter().map(|&(minutes, _)| (minutes, events)).collect();
    let zero: Vec<(u64, u64)> = bad.iter().map(|&(minutes, _)| (minutes, 0)).collect();
    let family = slo.family;
    let labels = |fixed: Option<(&str, &str)>| -> Vec<String> {
        let mut matchers = vec![format!("{JOB}={}", promql::string_literal(TEST_JOB))];
        for label in family.labels() {
            let value = match (fixed, label.values()) {
                (Some((name, value)), _) if name == label.name() => value,
                (_, Some(values)) => values[0],
                (_, None) => OPEN_VALUE,
            };
            matchers.push(format!("{}={}", label.name(), promql::string_literal(value)));
        }
        matchers
    };
    let series = |name: &str, matchers: Vec<String>, phases: &[(u64, u64)]| InputSeries {
        series: promql::selector(name, &matchers),
        values: values(phases),
    };
    let input_series = match &slo.bad {
        BadEvents::Labelled { label, values, good: good_value } => vec![
            series(&family.sample_name(), labels(Some((label, good_value))), &good),
            series(&family.sample_name(), labels(Some((label, values[0]))), &bad),
        ],
        BadEvents::Slow { threshold, bounds, .. } => {
            let bucket = format!("{}_bucket", family.name());
            let mut input: Vec<InputSeries> = bounds
                .iter()
                .map(|&bound| {
                    let mut matchers = labels(None);
                    matchers.push(format!("le={}", promql::string_literal(&promql::le_text(bound))));
                    let phases = if bound < *threshold {
                        &zero
                    } else if bound == *threshold {
                        &good
                    } else {
                        &all
                    };
                    series(&bucket, matchers, phases)
                })
                .collect();
            let mut inf = labels(None);
            inf.push(format!("le={}", promql::string_literal(&promql::le_text(f64::INFINITY))));
            input.push(series(&bucket, inf, &all));
            input.push(series(&format!("{}_count", family.name()), labels(None), &all));
            input
        }
    };
    let exp_alerts = Severity::ALL
        .iter()
        .filter(|severity| scenario.fires[**severity as usize])
        .map(|&severity| ExpectedAlert {
            exp_labels: BTreeMap::from([(JOB, TEST_JOB.to_owned()), ("severity", severity.as_str().to_owned())]),
            exp_annotations: rules::annotations(slo, severity, TEST_JOB, runbook_base),
        })
        .collect();
    TestGroup {
        name: format!("{}: {}", slo.alert_name(), scenario.name),
        interval: "1m".to_owned(),
        input_series,
        alert_rule_test: vec![AlertTest {
            eval_time: promql::duration(scenario.minutes() * 60),
            alertname: slo.alert_name(),
            exp_alerts,
        }],
    }
}

/// The values of a counter starting at 0 and growing by `per_minute` for `minutes` in each phase, in
/// promtool's expanding notation (`a+bxn` is `a`, `a+b`, ..., `a+n*b`).
fn values(phases: &[(u64, u64)]) -> String {
    let mut out = String::from("0");
    let mut current = 0u64;
    for &(minutes, per_minute) in phases {
        let first = current + per_minute;
        if minutes == 1 {
            out.push_str(&format!(" {first}"));
        } else {
            out.push_str(&format!(" {first}+{per_minute}x{}", minutes - 1));
        }
        current += per_minute * minutes;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FamilySchema, LabelSchema, MetricType, SloIndicator, SloSchema};

    const STATUS: &[LabelSchema] = &[LabelSchema::new("status", Some(&["ok", "error"]))];

    fn outcomes(slo: &Slo) -> Vec<(&'static str, [bool; 2])> {
        plan(slo).unwrap().iter().map(|s| (s.name, s.fires)).collect()
    }

    #[test]
    fn every_scenario_shows_its_intended_outcome_at_the_workbook_window() {
        static CALLS: FamilySchema = FamilySchema::new("app_calls", MetricType::Counter, "Calls.")
            .with_labels(STATUS)
            .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.999));
        let slo = Slo::resolve(&CALLS).unwrap().unwrap();
        assert_eq!(
            outcomes(&slo),
            [
                ("within budget", [false, false]),
                ("slow burn", [false, true]),
                ("fast burn", [true, false]),
                ("fast burn over", [false, false]),
                ("sustained burn", [true, true]),
            ]
        );
        let fast = &plan(&slo).unwrap()[2];
        assert_eq!((fast.events_per_minute, fast.phases.clone()), (2000, vec![(1440, 0), (60, 40)]));
    }

    #[test]
    fn a_small_objective_loses_the_scenarios_it_cannot_reach() {
        static LOOSE: FamilySchema = FamilySchema::new("app_calls", MetricType::Counter, "Calls.")
            .with_labels(STATUS)
            .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.9));
        // 20x of a 10% budget is more than every event: the fast burn is capped at all bad, under the
        // 14.4x of the fast pair, and no longer pages; the sustained burn still pages at 80% bad.
        let slo = Slo::resolve(&LOOSE).unwrap().unwrap();
        let kept = outcomes(&slo);
        assert!(kept.contains(&("fast burn", [false, false])), "{kept:?}");
        assert!(kept.contains(&("sustained burn", [true, true])), "{kept:?}");
        assert_eq!(plan(&slo).unwrap()[2].phases, [(1440, 0), (60, 20)]);
        static HOPELESS: FamilySchema = FamilySchema::new("app_calls", MetricType::Counter, "Calls.")
            .with_labels(STATUS)
            .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.8));
        let slo = Slo::resolve(&HOPELESS).unwrap().unwrap();
        assert!(matches!(plan(&slo), Err(ExportError::UntestableAlert { severity: "page", missing: "fires", .. })));
    }

    #[test]
    fn ratios_count_whole_events_over_the_window() {
        let scenario =
            PlannedScenario { name: "x", events_per_minute: 100, phases: vec![(60, 0), (60, 10)], fires: [false; 2] };
        assert_eq!(scenario.bad_ratio(60), 0.1);
        assert_eq!(scenario.bad_ratio(120), 0.05);
        assert_eq!(scenario.bad_ratio(10_000), 0.05);
    }

    #[test]
    fn every_scenario_ends_on_an_evaluation() {
        for scenario in &SCENARIOS {
            let minutes: u64 = scenario.phases.iter().map(|p| p.minutes).sum();
            assert_eq!(minutes % EVALUATION_MINUTES, 0, "{}", scenario.name);
        }
    }

    #[test]
    fn values_continue_each_phase_from_the_last() {
        assert_eq!(values(&[(3, 2), (1, 5), (2, 0)]), "0 2+2x2 11 11+0x1");
    }
}
