//! `promstruct::export` end to end: a schema set of every kind with both kinds of objective is written to
//! a temporary directory; `promtool check rules` must accept the rule file (which parses every
//! expression) and `promtool test rules` must pass the generated tests; broken rules or expectations must
//! make those tests fail; the dashboard must hold what Grafana's dashboard model needs to import it; and
//! two runs must give the same bytes.
//!
//! promtool comes from `scripts/install-tools`; without it the tests fail naming that step.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use promstruct::export::{DASHBOARD_FILE, Observability, RULE_TESTS_FILE, RULES_FILE};
use promstruct::prelude::*;
use promstruct::{FamilySchema, LabelSchema, MetricType, SloIndicator, SloSchema};
use serde_json::Value;

/// A struct as users declare it: its families come from the macro.
#[metrics(namespace = "shop")]
#[labels(Outcome { Paid = "paid", Declined = "declined" })]
pub struct ShopMetrics {
    /// Checkouts, by outcome.
    #[counter(labels(outcome: Outcome))]
    checkouts: Counter,
    /// Items in carts.
    #[gauge]
    cart_items: Gauge,
    /// The shop's build.
    #[info]
    build: Info,
}

const MODEL: LabelSchema = LabelSchema::new("model", Some(&["gpt", "claude"]));
const STATUS: LabelSchema = LabelSchema::new("status", Some(&["ok", "error", "timeout"]));

/// Objectives of both kinds, built by hand until the macro takes `slo(...)`: an error objective with
/// two bad values at 99.9% over 30 days, a latency objective at a 30 s bound at 99% over 28 days (burn
/// rates scaled), an open label and a gauge beside them.
static LLM: [FamilySchema; 4] = [
    FamilySchema::new("llm_requests", MetricType::Counter, "LLM requests, by model and status.")
        .with_labels(&[MODEL, STATUS, LabelSchema::open("tenant")])
        .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error", "timeout"] }, 0.999)),
    FamilySchema::new("llm_request_duration_seconds", MetricType::Histogram, "LLM request latency.")
        .with_unit("seconds")
        .with_labels(&[MODEL])
        .with_buckets(&[0.5, 1.0, 5.0, 30.0, 120.0])
        .with_slo(
            SloSchema::new(SloIndicator::Latency { threshold: 30.0 }, 0.99)
                .with_window(Duration::from_secs(28 * 86_400)),
        ),
    FamilySchema::new("llm_tokens", MetricType::Counter, "Tokens generated.").with_labels(&[MODEL]),
    FamilySchema::new("llm_sessions", MetricType::Gauge, "Open sessions, by agent.")
        .with_labels(&[LabelSchema::open("agent")]),
];

fn observability() -> Observability {
    Observability::new("LLM shop", "llm-shop")
        .group("Shop", ShopMetrics::FAMILIES)
        .group("LLM", &LLM)
        .runbook_base("https://runbooks.example.com/llm-shop")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("promstruct-export-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

/// Runs `promtool` with `args`; its exit code and output.
fn promtool(args: &[&str], file: &Path) -> (i32, String) {
    let out = Command::new("promtool")
        .args(args)
        .arg(file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run promtool ({e}); run `bash scripts/install-tools` first"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn rules_of(dir: &Path) -> serde_norway::Value {
    serde_norway::from_str(&fs::read_to_string(dir.join(RULES_FILE)).unwrap()).unwrap()
}

#[test]
fn promtool_checks_the_rules_and_passes_their_tests() {
    let dir = temp_dir("promtool");
    observability().write_to(&dir).unwrap();
    let rules = rules_of(&dir);
    let count: usize =
        rules["groups"].as_sequence().unwrap().iter().map(|g| g["rules"].as_sequence().unwrap().len()).sum();
    // Panels: 2 counters and a histogram of LLM, the shop's counter; per objective 7 ratios and 2 alerts.
    assert_eq!(count, 4 + 2 * 9);

    let (code, out) = promtool(&["check", "rules"], &dir.join(RULES_FILE));
    assert_eq!(code, 0, "promtool check rules:\n{out}");
    assert!(out.contains(&format!("SUCCESS: {count} rules found")), "{out}");

    let (code, out) = promtool(&["test", "rules"], &dir.join(RULE_TESTS_FILE));
    assert_eq!(code, 0, "promtool test rules:\n{out}");
    assert!(out.contains("SUCCESS"), "{out}");
    fs::remove_dir_all(&dir).unwrap();
}

/// The generated tests have teeth: a page threshold a hundred times too high, or an expectation turned
/// around, makes promtool fail them.
#[test]
fn the_rule_tests_fail_on_broken_rules_or_expectations() {
    let dir = temp_dir("teeth");
    observability().write_to(&dir).unwrap();
    let rules = fs::read_to_string(dir.join(RULES_FILE)).unwrap();
    assert!(rules.contains("(14.4 * (1 - 0.999))"), "{rules}");
    fs::write(dir.join(RULES_FILE), rules.replace("(14.4 * (1 - 0.999))", "(1440 * (1 - 0.999))")).unwrap();
    let (code, out) = promtool(&["test", "rules"], &dir.join(RULE_TESTS_FILE));
    assert_ne!(code, 0, "a page that cannot fire passed:\n{out}");
    assert!(out.contains("LlmRequestsErrorBudgetBurn: fast burn"), "{out}");
    assert!(!out.contains("LlmRequestDurationSecondsErrorBudgetBurn"), "only the broken alert fails:\n{out}");

    let dir = temp_dir("teeth-expectations");
    observability().write_to(&dir).unwrap();
    let mut tests: serde_norway::Value =
        serde_norway::from_str(&fs::read_to_string(dir.join(RULE_TESTS_FILE)).unwrap()).unwrap();
    let within_budget = &mut tests["tests"][0];
    assert_eq!(within_budget["name"].as_str(), Some("LlmRequestsErrorBudgetBurn: within budget"));
    let fast_burn_alerts = tests["tests"][2]["alert_rule_test"][0]["exp_alerts"].clone();
    tests["tests"][0]["alert_rule_test"][0]["exp_alerts"] = fast_burn_alerts;
    fs::write(dir.join(RULE_TESTS_FILE), serde_norway::to_string(&tests).unwrap()).unwrap();
    let (code, out) = promtool(&["test", "rules"], &dir.join(RULE_TESTS_FILE));
    assert_ne!(code, 0, "a page expected within budget passed:\n{out}");
    assert!(out.contains("within budget"), "{out}");
    fs::remove_dir_all(&dir).unwrap();
}

/// Every expression a panel, a variable or an alert reads is defined: the recording rules it names are
/// in the rule file, the variables it interpolates are in the dashboard.
#[test]
fn the_dashboard_reads_only_recorded_series_and_defined_variables() {
    let dir = temp_dir("references");
    observability().write_to(&dir).unwrap();
    let dashboard: Value = serde_json::from_str(&fs::read_to_string(dir.join(DASHBOARD_FILE)).unwrap()).unwrap();
    let recorded: BTreeSet<String> = rules_of(&dir)["groups"]
        .as_sequence()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_sequence().unwrap().iter())
        .filter_map(|r| r["record"].as_str().map(str::to_owned))
        .collect();
    let variables: BTreeSet<&str> =
        dashboard["templating"]["list"].as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    let mut read = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            for word in expr.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '$')) {
                if word.matches(':').count() == 2 {
                    assert!(recorded.contains(word), "panel `{}` reads `{word}`, not recorded", panel["title"]);
                    read += 1;
                }
                if let Some(variable) = word.strip_prefix('$') {
                    assert!(variables.contains(variable), "`{expr}` uses an undefined variable");
                }
            }
        }
    }
    // The counters' rates (shop 1, LLM 2) and the histogram's buckets three times over.
    assert_eq!(read, 3 + 3);
    fs::remove_dir_all(&dir).unwrap();
}

/// The fields Grafana's dashboard model needs for an import to work as intended (no Grafana runs here):
///
/// - top level: `title` (import refuses an empty one), `uid` (the stable identity: 1 to 40 of
///   `[A-Za-z0-9_-]`), `id` null (a number could overwrite another dashboard), `schemaVersion` (where
///   Grafana's migrations start: missing, it runs every migration from 0), `panels`, `templating.list`
///   and `time.from`/`time.to`;
/// - each panel: `id` unique (panel links and `viewPanel` use it), `type`, `title`, `gridPos` with
///   integer `h`, `w`, `x`, `y` inside the 24-column grid and overlapping no other panel (Grafana
///   re-lays out overlapping panels), and, but for rows, `datasource` {`type`, `uid`} and `targets`, each
///   with a `refId` unique in its panel and an `expr`;
/// - rows: `type: "row"`, `collapsed` false and an empty `panels` (an open row's panels follow it at top
///   level);
/// - variables: `name` unique, `type`, `query` (`prometheus` for the data source variable, the comma
///   separated values with matching `options` for a custom one, a `label_values` query reading the data
///   source for a query one).
#[test]
fn the_dashboard_holds_what_grafanas_model_needs() {
    let dir = temp_dir("grafana");
    observability().write_to(&dir).unwrap();
    let dashboard: Value = serde_json::from_str(&fs::read_to_string(dir.join(DASHBOARD_FILE)).unwrap()).unwrap();
    assert_eq!(dashboard["title"], "LLM shop");
    let uid = dashboard["uid"].as_str().unwrap();
    assert!(!uid.is_empty() && uid.len() <= 40 && uid.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)));
    assert!(dashboard["id"].is_null());
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 39, "Grafana 10's schema");
    assert!(dashboard["time"]["from"].is_string() && dashboard["time"]["to"].is_string());

    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let mut names = BTreeSet::new();
    for variable in variables {
        let name = variable["name"].as_str().unwrap();
        assert!(names.insert(name), "variable `{name}` twice");
        assert!(variable["query"].is_string(), "variable `{name}` has no query");
        match variable["type"].as_str().unwrap() {
            "datasource" => assert_eq!(variable["query"], "prometheus"),
            "query" => {
                assert!(variable["query"].as_str().unwrap().starts_with("label_values("));
                assert_eq!(variable["datasource"]["uid"], "${datasource}");
            }
            "custom" => {
                let values: Vec<&str> = variable["query"].as_str().unwrap().split(',').collect();
                let options: Vec<&str> = variable["options"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| o["value"].as_str().unwrap())
                    .filter(|v| *v != "$__all")
                    .collect();
                assert_eq!(values, options, "variable `{name}`");
            }
            other => panic!("variable `{name}` of unexpected type {other}"),
        }
    }
    // The data source, the job, and one per enum label (`tenant` and `agent` are open: none).
    assert_eq!(names, BTreeSet::from(["datasource", "job", "model", "outcome", "status"]));

    let panels = dashboard["panels"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    let mut cells: BTreeMap<(u64, u64), String> = BTreeMap::new();
    let mut kinds = Vec::new();
    for panel in panels {
        let title = panel["title"].as_str().unwrap().to_owned();
        assert!(ids.insert(panel["id"].as_u64().unwrap()), "panel id of `{title}` twice");
        let kind = panel["type"].as_str().unwrap();
        kinds.push(kind.to_owned());
        let [h, w, x, y] = ["h", "w", "x", "y"].map(|k| panel["gridPos"][k].as_u64().unwrap());
        assert!(h > 0 && w > 0 && x + w <= 24, "`{title}` outside the grid");
        for cell in (x..x + w).flat_map(|cx| (y..y + h).map(move |cy| (cx, cy))) {
            if let Some(other) = cells.insert(cell, title.clone()) {
                panic!("`{title}` overlaps `{other}` at {cell:?}");
            }
        }
        if kind == "row" {
            assert_eq!(panel["collapsed"], false);
            assert_eq!(panel["panels"], Value::Array(Vec::new()));
            continue;
        }
        assert_eq!(panel["datasource"]["type"], "prometheus", "`{title}`");
        assert_eq!(panel["datasource"]["uid"], "${datasource}", "`{title}`");
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "`{title}` has no query");
        let refs: BTreeSet<&str> = targets.iter().map(|t| t["refId"].as_str().unwrap()).collect();
        assert_eq!(refs.len(), targets.len(), "`{title}` repeats a refId");
        assert!(targets.iter().all(|t| !t["expr"].as_str().unwrap().is_empty()), "`{title}`");
        assert!(panel["description"].as_str().is_some_and(|d| !d.is_empty()), "`{title}` lacks the help");
    }
    assert_eq!(
        kinds,
        ["row", "timeseries", "timeseries", "table", "row", "timeseries", "timeseries", "timeseries", "timeseries"]
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_runs_write_the_same_bytes() {
    let (a, b) = (temp_dir("run-a"), temp_dir("run-b"));
    observability().write_to(&a).unwrap();
    observability().write_to(&b).unwrap();
    for name in [DASHBOARD_FILE, RULES_FILE, RULE_TESTS_FILE] {
        let (first, second) = (fs::read(a.join(name)).unwrap(), fs::read(b.join(name)).unwrap());
        assert!(!first.is_empty(), "{name} is empty");
        assert_eq!(first, second, "{name} differs between runs");
    }
    fs::remove_dir_all(&a).unwrap();
    fs::remove_dir_all(&b).unwrap();
}
