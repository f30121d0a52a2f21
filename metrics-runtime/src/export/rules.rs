//! `rules.yml`: a Prometheus rule file. Per group, the recording rules the panels read (counter rates,
//! histogram bucket rates, native histograms' rates, by `job` and the enum labels); per objective, the bad ratio recorded over
//! every alert window and the page and ticket alerts of the SRE workbook's multiwindow, multi-burn-rate
//! scheme.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::promql::{self, JOB, PANEL_WINDOW_SECS};
use super::slo::{BURN_WINDOWS, Severity, Slo, sli_windows};
use super::{Checked, ExportError};
use crate::MetricType;

/// A rule file, as `promtool check rules` reads it.
#[derive(Serialize)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Serialize)]
struct RuleGroup {
    name: String,
    rules: Vec<Rule>,
}

/// A recording rule (`record`) or an alerting rule (`alert`, with labels and annotations).
#[derive(Serialize)]
struct Rule {
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alert: Option<String>,
    expr: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    labels: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<&'static str, String>,
}

impl Rule {
    fn record(record: String, expr: String) -> Rule {
        Rule { record: Some(record), alert: None, expr, labels: BTreeMap::new(), annotations: BTreeMap::new() }
    }
}

/// The rule file of `checked`, YAML with a header comment.
pub(super) fn render(checked: &Checked<'_>) -> Result<String, ExportError> {
    let mut groups = Vec::new();
    let mut names = BTreeSet::new();
    let mut unique = |name: &str| {
        if names.insert(name.to_owned()) { Ok(()) } else { Err(ExportError::DuplicateRule { name: name.to_owned() }) }
    };
    for group in &checked.groups {
        let mut panels = Vec::new();
        for family in group.families {
            let rule = match family.kind() {
                MetricType::Counter => Rule::record(
                    promql::counter_rate_record(family),
                    promql::sum_by(
                        &promql::kept_labels(family),
                        &promql::rate(&family.sample_name(), PANEL_WINDOW_SECS),
                    ),
                ),
                MetricType::Histogram if promql::native_only(family) => Rule::record(
                    promql::native_rate_record(family),
                    promql::sum_by(&promql::kept_labels(family), &promql::rate(family.name(), PANEL_WINDOW_SECS)),
                ),
                MetricType::Histogram => {
                    let mut by = promql::kept_labels(family);
                    by.push("le");
                    Rule::record(
                        promql::bucket_rate_record(family),
                        promql::sum_by(&by, &promql::rate(&format!("{}_bucket", family.name()), PANEL_WINDOW_SECS)),
                    )
                }
                MetricType::Gauge | MetricType::Info => continue,
            };
            unique(rule.record.as_deref().unwrap_or_default())?;
            panels.push(rule);
        }
        if !panels.is_empty() {
            groups.push(RuleGroup { name: format!("{}.{}.panels", checked.uid, group.slug), rules: panels });
        }
        let mut slo_rules = Vec::new();
        for planned in &group.slos {
            let slo = &planned.slo;
            for window in sli_windows() {
                let rule = Rule::record(slo.sli_record(window), slo.sli_expr(window));
                unique(rule.record.as_deref().unwrap_or_default())?;
                slo_rules.push(rule);
            }
            unique(&slo.alert_name())?;
            for severity in Severity::ALL {
                slo_rules.push(Rule {
                    record: None,
                    alert: Some(slo.alert_name()),
                    expr: alert_expr(slo, severity),
                    labels: BTreeMap::from([("severity", severity.as_str().to_owned())]),
                    annotations: annotations(slo, severity, &format!("{{{{ $labels.{JOB} }}}}"), checked.runbook_base),
                });
            }
        }
        if !slo_rules.is_empty() {
            groups.push(RuleGroup { name: format!("{}.{}.slo", checked.uid, group.slug), rules: slo_rules });
        }
    }
    let yaml = serde_norway::to_string(&RuleFile { groups }).expect("a rule file serialises: strings and maps only");
    Ok(format!("{}{yaml}", super::header("#", checked.title)))
}

/// The alert of `severity`: any of its window pairs with the bad ratio above the pair's threshold over
/// both windows.
fn alert_expr(slo: &Slo, severity: Severity) -> String {
    let pairs: Vec<String> = BURN_WINDOWS
        .iter()
        .filter(|pair| pair.severity == severity)
        .map(|pair| {
            let threshold = slo.threshold_expr(pair);
            format!(
                "(\n  {} > {threshold}\nand\n  {} > {threshold}\n)",
                slo.sli_record(pair.long_secs),
                slo.sli_record(pair.short_secs)
            )
        })
        .collect();
    pairs.join("\nor\n")
}

/// The annotations of the alert of `severity`, `job` standing for the job's name: the rule file passes
/// the template `{{ $labels.job }}`, the rule tests the synthetic series' job, which promtool's expansion
/// of the template must give.
pub(super) fn annotations(
    slo: &Slo,
    severity: Severity,
    job: &str,
    runbook_base: Option<&str>,
) -> BTreeMap<&'static str, String> {
    let family = slo.family.name();
    let pace = match severity {
        Severity::Page => "fast",
        Severity::Ticket => "steadily",
    };
    let pairs: Vec<String> = BURN_WINDOWS
        .iter()
        .filter(|pair| pair.severity == severity)
        .map(|pair| {
            format!(
                "{}% of the error budget goes in {} (burn rate {}x over {} and {})",
                pair.budget_percent,
                promql::duration(pair.long_secs),
                rounded(slo.burn_rate(pair)),
                promql::duration(pair.long_secs),
                promql::duration(pair.short_secs),
            )
        })
        .collect();
    let mut annotations = BTreeMap::from([
        ("summary", format!("{family} is spending its error budget {pace} in job {job}")),
        (
            "description",
            format!(
                "Objective: {}% of {family} events good over {} (bad: {}). Fires when {}.",
                promql::number(slo.objective_percent()),
                promql::duration(slo.window_secs),
                slo.bad_events_text(),
                pairs.join(" or "),
            ),
        ),
    ]);
    if let Some(base) = runbook_base {
        annotations
            .insert("runbook_url", format!("{}/{}", base.trim_end_matches('/'), super::runbooks::file_name(slo)));
    }
    annotations
}

/// `value` to two decimals, without trailing zeros: `14.4`, `6`, `0.93`.
fn rounded(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FamilySchema, LabelSchema, SloIndicator, SloSchema};

    const STATUS: &[LabelSchema] = &[LabelSchema::new("status", Some(&["ok", "error"]))];
    static CALLS: FamilySchema = FamilySchema::new("app_calls", MetricType::Counter, "Calls.")
        .with_labels(STATUS)
        .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.99));

    #[test]
    fn the_page_alert_joins_its_two_window_pairs() {
        let slo = Slo::resolve(&CALLS).unwrap().unwrap();
        assert_eq!(
            alert_expr(&slo, Severity::Page),
            "(\n  job:app_calls_slo_errors:ratio_rate1h > (14.4 * (1 - 0.99))\nand\n  \
             job:app_calls_slo_errors:ratio_rate5m > (14.4 * (1 - 0.99))\n)\nor\n(\n  \
             job:app_calls_slo_errors:ratio_rate6h > (6 * (1 - 0.99))\nand\n  \
             job:app_calls_slo_errors:ratio_rate30m > (6 * (1 - 0.99))\n)"
        );
        let ticket = alert_expr(&slo, Severity::Ticket);
        assert!(ticket.contains("ratio_rate1d > (3 * (1 - 0.99))"), "{ticket}");
        assert!(ticket.contains("ratio_rate3d > (1 * (1 - 0.99))"), "{ticket}");
        assert!(ticket.contains("ratio_rate6h > (1 * (1 - 0.99))"), "{ticket}");
    }

    #[test]
    fn burn_rates_in_words_keep_two_decimals() {
        assert_eq!(rounded(14.4), "14.4");
        assert_eq!(rounded(6.0), "6");
        assert_eq!(rounded(28.0 / 30.0), "0.93");
    }

    #[test]
    fn annotations_name_the_family_the_windows_and_the_runbook() {
        let slo = Slo::resolve(&CALLS).unwrap().unwrap();
        let page = annotations(&slo, Severity::Page, "app", Some("https://runbooks.example/slo/"));
        assert_eq!(page["summary"], "app_calls is spending its error budget fast in job app");
        assert_eq!(
            page["description"],
            "Objective: 99% of app_calls events good over 30d (bad: status in {error}). Fires when 2% of the \
             error budget goes in 1h (burn rate 14.4x over 1h and 5m) or 5% of the error budget goes in 6h \
             (burn rate 6x over 6h and 30m)."
        );
        assert_eq!(page["runbook_url"], "https://runbooks.example/slo/appcallserrorbudgetburn.md");
        let ticket = annotations(&slo, Severity::Ticket, "{{ $labels.job }}", None);
        assert_eq!(ticket["summary"], "app_calls is spending its error budget steadily in job {{ $labels.job }}");
        assert!(!ticket.contains_key("runbook_url"));
    }
}
