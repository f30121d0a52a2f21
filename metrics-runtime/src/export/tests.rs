//! The generators over one schema set of every kind: the structure of the dashboard, the rules' names
//! and expressions, the checks' refusals, and byte-equal reruns.

use serde_json::Value;

use super::*;
use crate::{LabelSchema, MetricType, SloIndicator, SloSchema};

const MODEL: LabelSchema = LabelSchema::new("model", Some(&["gpt", "claude"]));
const STATUS: LabelSchema = LabelSchema::new("status", Some(&["ok", "error"]));

static LLM: [FamilySchema; 4] = [
    FamilySchema::new("llm_requests", MetricType::Counter, "Requests, by model and status.")
        .with_labels(&[MODEL, STATUS])
        .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.99)),
    FamilySchema::new("llm_latency_seconds", MetricType::Histogram, "Request latency.")
        .with_unit("seconds")
        .with_labels(&[MODEL])
        .with_buckets(&[0.5, 1.0, 30.0])
        .with_slo(SloSchema::new(SloIndicator::Latency { threshold: 30.0 }, 0.999)),
    FamilySchema::new("llm_inflight", MetricType::Gauge, "Requests in flight.")
        .with_labels(&[LabelSchema::open("agent")]),
    FamilySchema::new("llm_build", MetricType::Info, "Build information."),
];

static HTTP: [FamilySchema; 1] = [FamilySchema::new("http_bytes", MetricType::Counter, "Bytes sent.")
    .with_unit("bytes")
    .with_labels(&[LabelSchema::new("status", Some(&["ok", "denied"]))])];

fn files() -> Observability {
    Observability::new("LLM service", "llm-service")
        .group("LLM", &LLM)
        .group("HTTP", &HTTP)
        .runbook_base("https://runbooks.example/llm")
}

fn dashboard() -> Value {
    serde_json::from_str(&files().dashboard_json().unwrap()).unwrap()
}

#[test]
fn the_dashboard_has_a_row_per_group_then_its_panels() {
    let dashboard = dashboard();
    let panels = dashboard["panels"].as_array().unwrap();
    let kinds: Vec<&str> = panels.iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["row", "timeseries", "timeseries", "timeseries", "table", "row", "timeseries"]);
    let ids: Vec<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7]);
    let grid: Vec<[u64; 4]> =
        panels.iter().map(|p| ["x", "y", "w", "h"].map(|k| p["gridPos"][k].as_u64().unwrap())).collect();
    assert_eq!(
        grid,
        [[0, 0, 24, 1], [0, 1, 12, 8], [12, 1, 12, 8], [0, 9, 12, 8], [12, 9, 12, 8], [0, 17, 24, 1], [0, 18, 12, 8]]
    );
    assert_eq!(panels[0]["title"], "LLM");
    assert_eq!(dashboard["uid"], "llm-service");
    assert_eq!(dashboard["schemaVersion"], 39);
    assert!(dashboard["id"].is_null());
}

#[test]
fn panels_read_the_recorded_rates_through_the_variables() {
    let dashboard = dashboard();
    let panels = dashboard["panels"].as_array().unwrap();
    let requests = &panels[1];
    assert_eq!(requests["title"], "llm_requests (per second)");
    assert_eq!(requests["description"], "Requests, by model and status.");
    assert_eq!(requests["fieldConfig"]["defaults"]["unit"], "ops");
    assert_eq!(
        requests["targets"][0]["expr"],
        r#"sum by (model, status) (job_model_status:llm_requests:rate5m{job=~"$job", model=~"$model", status=~"$status"})"#
    );
    assert_eq!(requests["targets"][0]["legendFormat"], "{{model}} {{status}}");
    let latency = &panels[2];
    assert_eq!(latency["fieldConfig"]["defaults"]["unit"], "s");
    let exprs: Vec<&str> = latency["targets"].as_array().unwrap().iter().map(|t| t["expr"].as_str().unwrap()).collect();
    assert_eq!(
        exprs[2],
        r#"histogram_quantile(0.99, sum by (model, le) (job_model_le:llm_latency_seconds_bucket:rate5m{job=~"$job", model=~"$model"}))"#
    );
    let legends: Vec<&str> =
        latency["targets"].as_array().unwrap().iter().map(|t| t["legendFormat"].as_str().unwrap()).collect();
    assert_eq!(legends, ["p50 {{model}}", "p90 {{model}}", "p99 {{model}}"]);
    let refs: Vec<&str> = latency["targets"].as_array().unwrap().iter().map(|t| t["refId"].as_str().unwrap()).collect();
    assert_eq!(refs, ["A", "B", "C"]);
    // The open label is summed away, with nothing to filter on but the job.
    assert_eq!(panels[3]["targets"][0]["expr"], r#"sum(llm_inflight{job=~"$job"})"#);
    assert_eq!(panels[3]["targets"][0]["legendFormat"], "llm_inflight");
    assert_eq!(panels[4]["targets"][0]["expr"], r#"llm_build_info{job=~"$job"}"#);
    assert_eq!(panels[4]["targets"][0]["format"], "table");
    assert_eq!(panels[6]["fieldConfig"]["defaults"]["unit"], "Bps");
}

#[test]
fn variables_are_the_data_source_the_job_and_each_enum_label_sorted() {
    let dashboard = dashboard();
    let list = dashboard["templating"]["list"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["datasource", "job", "model", "status"]);
    assert_eq!(list[0]["type"], "datasource");
    assert_eq!(list[0]["query"], "prometheus");
    assert_eq!(
        list[1]["query"],
        r#"label_values({__name__=~"http_bytes_total|llm_build_info|llm_inflight|llm_latency_seconds_count|llm_requests_total"}, job)"#
    );
    assert_eq!(list[2]["type"], "custom");
    assert_eq!(list[2]["query"], "gpt,claude");
    // `status` takes the union of both families' values, in order of first appearance.
    assert_eq!(list[3]["query"], "ok,error,denied");
    assert_eq!(list[3]["options"].as_array().unwrap().len(), 4);
}

#[test]
fn rules_record_the_panels_rates_and_each_objectives_ratios_and_alerts() {
    let rules = files().rules_yaml().unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&rules).unwrap();
    let groups = doc["groups"].as_sequence().unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["llm-service.llm.panels", "llm-service.llm.slo", "llm-service.http.panels"]);
    let panel_rules = groups[0]["rules"].as_sequence().unwrap();
    assert_eq!(panel_rules[0]["record"].as_str(), Some("job_model_status:llm_requests:rate5m"));
    assert_eq!(panel_rules[0]["expr"].as_str(), Some("sum by (job, model, status) (rate(llm_requests_total[5m]))"));
    assert_eq!(panel_rules[1]["record"].as_str(), Some("job_model_le:llm_latency_seconds_bucket:rate5m"));
    assert_eq!(panel_rules[1]["expr"].as_str(), Some("sum by (job, model, le) (rate(llm_latency_seconds_bucket[5m]))"));
    assert_eq!(panel_rules.len(), 2, "gauges and infos need no recording rule");
    let slo_rules = groups[1]["rules"].as_sequence().unwrap();
    // Per objective: 7 windows recorded, a page and a ticket.
    assert_eq!(slo_rules.len(), 2 * 9);
    let alerts: Vec<(&str, &str)> =
        slo_rules.iter().filter_map(|r| Some((r["alert"].as_str()?, r["labels"]["severity"].as_str()?))).collect();
    assert_eq!(
        alerts,
        [
            ("LlmRequestsErrorBudgetBurn", "page"),
            ("LlmRequestsErrorBudgetBurn", "ticket"),
            ("LlmLatencySecondsErrorBudgetBurn", "page"),
            ("LlmLatencySecondsErrorBudgetBurn", "ticket"),
        ]
    );
    assert_eq!(slo_rules[2]["annotations"]["runbook_url"].as_str(), None, "records carry no annotations");
    assert_eq!(
        slo_rules[7]["annotations"]["runbook_url"].as_str(),
        Some("https://runbooks.example/llm/llmrequestserrorbudgetburn.md")
    );
    assert!(slo_rules[7].get("for").is_none(), "the workbook's alerts have no `for:`");
    assert!(rules.starts_with("# Generated by promstruct::export"), "{rules}");
}

#[test]
fn rule_tests_read_the_named_rule_file_and_expect_both_severities() {
    let tests = files().rule_tests_yaml("rules.yml").unwrap();
    let doc: serde_norway::Value = serde_norway::from_str(&tests).unwrap();
    assert_eq!(doc["rule_files"][0].as_str(), Some("rules.yml"));
    let groups = doc["tests"].as_sequence().unwrap();
    assert_eq!(groups.len(), 2 * 5, "five scenarios per objective");
    let sustained = &groups[4];
    assert_eq!(sustained["name"].as_str(), Some("LlmRequestsErrorBudgetBurn: sustained burn"));
    let series: Vec<&str> =
        sustained["input_series"].as_sequence().unwrap().iter().map(|s| s["series"].as_str().unwrap()).collect();
    assert_eq!(
        series,
        [
            r#"llm_requests_total{job="app", model="gpt", status="ok"}"#,
            r#"llm_requests_total{job="app", model="gpt", status="error"}"#
        ]
    );
    let alert = &sustained["alert_rule_test"][0];
    assert_eq!(alert["eval_time"].as_str(), Some("1d6h"));
    let severities: Vec<&str> = alert["exp_alerts"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a["exp_labels"]["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["page", "ticket"]);
    let latency: Vec<&str> =
        groups[5]["input_series"].as_sequence().unwrap().iter().map(|s| s["series"].as_str().unwrap()).collect();
    assert_eq!(
        latency,
        [
            r#"llm_latency_seconds_bucket{job="app", model="gpt", le="0.5"}"#,
            r#"llm_latency_seconds_bucket{job="app", model="gpt", le="1.0"}"#,
            r#"llm_latency_seconds_bucket{job="app", model="gpt", le="30.0"}"#,
            r#"llm_latency_seconds_bucket{job="app", model="gpt", le="+Inf"}"#,
            r#"llm_latency_seconds_count{job="app", model="gpt"}"#,
        ]
    );
}

#[test]
fn two_runs_give_the_same_bytes() {
    let (a, b) = (files(), files());
    assert_eq!(a.dashboard_json().unwrap(), b.dashboard_json().unwrap());
    assert_eq!(a.rules_yaml().unwrap(), b.rules_yaml().unwrap());
    assert_eq!(a.rule_tests_yaml("rules.yml").unwrap(), b.rule_tests_yaml("rules.yml").unwrap());
}

#[test]
fn the_checks_refuse_what_would_break_the_files() {
    assert!(matches!(Observability::new(" ", "x").check(), Err(ExportError::EmptyTitle)));
    let uid = Observability::new("x", "not a uid!").check().unwrap_err();
    assert!(matches!(uid, ExportError::InvalidUid { .. }), "{uid}");
    assert!(Observability::new("x", "a".repeat(41)).check().is_err());
    let twice = Observability::new("x", "x").group("LLM", &LLM).group("llm", &HTTP).check().unwrap_err();
    assert!(matches!(twice, ExportError::DuplicateGroup { .. }), "{twice}");
    let family = Observability::new("x", "x").group("A", &HTTP).group("B", &HTTP).check().unwrap_err();
    assert!(matches!(family, ExportError::DuplicateFamily { family: "http_bytes" }), "{family}");
    static JOBBED: [FamilySchema; 1] = [FamilySchema::new("batch_runs", MetricType::Counter, "Runs.")
        .with_labels(&[LabelSchema::new("job", Some(&["a", "b"]))])];
    let reserved = Observability::new("x", "x").group("A", &JOBBED).check().unwrap_err();
    assert!(matches!(reserved, ExportError::ReservedLabel { label: "job", .. }), "{reserved}");
    static LOOSE: [FamilySchema; 1] = [FamilySchema::new("batch_runs", MetricType::Counter, "Runs.")
        .with_labels(&[STATUS])
        .with_slo(SloSchema::new(SloIndicator::Errors { label: "status", values: &["error"] }, 0.5))];
    let loose = Observability::new("x", "x").group("A", &LOOSE).rules_yaml().unwrap_err();
    assert!(matches!(loose, ExportError::UntestableAlert { .. }), "{loose}");
}

#[test]
fn write_to_writes_the_three_files_with_the_test_file_naming_the_rules_and_the_runbooks() {
    let dir = std::env::temp_dir().join(format!("promstruct-export-unit-{}", std::process::id()));
    files().write_to(&dir).unwrap();
    let names = |dir: &Path| -> BTreeSet<String> {
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect()
    };
    assert_eq!(
        names(&dir),
        BTreeSet::from([DASHBOARD_FILE, RULES_FILE, RULE_TESTS_FILE, RUNBOOKS_DIR].map(str::to_owned))
    );
    // A page per objective, under the name its alerts' `runbook_url` ends with.
    let pages = names(&dir.join(RUNBOOKS_DIR));
    let rules = files().rules_yaml().unwrap();
    let urls: BTreeSet<String> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("runbook_url: https://runbooks.example/llm/"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        pages,
        BTreeSet::from(["llmrequestserrorbudgetburn.md", "llmlatencysecondserrorbudgetburn.md"].map(str::to_owned))
    );
    assert_eq!(pages, urls);
    assert_eq!(fs::read_to_string(dir.join(RULES_FILE)).unwrap(), files().rules_yaml().unwrap());
    assert!(fs::read_to_string(dir.join(RULE_TESTS_FILE)).unwrap().contains("- rules.yml\n"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_runbook_states_the_objective_its_thresholds_and_the_queries_to_follow() {
    let pages = files().runbooks().unwrap();
    let (name, page) = &pages[0];
    assert_eq!(name, "llmrequestserrorbudgetburn.md");
    assert!(page.starts_with("# LlmRequestsErrorBudgetBurn\n"), "{page}");
    assert!(page.contains("| Objective | 99% over 30d |"), "{page}");
    assert!(page.contains("| Bad events | status in {error} |"), "{page}");
    // The page row of 2% in 1 h: 14.4 times the budget of 0.01.
    assert!(page.contains("| page | 1h | 5m | 14.4 | 2% in 1h | 0.144 |"), "{page}");
    assert!(
        page.contains(
            "job:llm_requests_slo_errors:ratio_rate1h > 0.144\nand\njob:llm_requests_slo_errors:ratio_rate5m > 0.144"
        ),
        "{page}"
    );
    // The budget left over the whole window, and the breakdown by the label that is not the objective's.
    assert!(page.contains("1 - (sum by (job) (rate(llm_requests_total{status=\"error\"}[30d])) / sum by (job) (rate(llm_requests_total[30d]))) / 0.01"), "{page}");
    assert!(page.contains("sort_desc(sum by (job, model) (rate(llm_requests_total{status=\"error\"}[1h]))"), "{page}");
    assert!(!page.contains("by (job, status)"), "the objective's own label is no breakdown: {page}");
    let latency = &pages[1].1;
    assert!(latency.contains("| Bad events | observations above 30.0 seconds |"), "{latency}");
    assert!(latency.contains("| Error budget | a bad ratio of 0.001 over 30d |"), "{latency}");
}

#[test]
fn an_empty_dashboard_still_has_a_valid_job_query() {
    let dashboard: Value = serde_json::from_str(&Observability::new("x", "x").dashboard_json().unwrap()).unwrap();
    assert_eq!(dashboard["templating"]["list"][1]["query"], "label_values(job)");
    assert_eq!(dashboard["panels"], Value::Array(Vec::new()));
}

#[test]
fn slugs_keep_letters_and_digits() {
    assert_eq!(slug("LLM service (v2)"), "llm_service_v2");
    assert_eq!(slug("--a--"), "a");
}

static NATIVE: [FamilySchema; 1] = [FamilySchema::new("gc_cycle_seconds", MetricType::Histogram, "GC cycles.")
    .with_unit("seconds")
    .with_labels(&[MODEL])
    .with_native(crate::NativeSchema::new(3))];

#[test]
fn native_only_histograms_are_queried_as_native_histograms() {
    let files = Observability::new("GC", "gc").group("GC", &NATIVE);
    let dashboard: Value = serde_json::from_str(&files.dashboard_json().unwrap()).unwrap();
    let expr = dashboard["panels"][1]["targets"][2]["expr"].as_str().unwrap();
    assert_eq!(
        expr,
        r#"histogram_quantile(0.99, sum by (model) (job_model:gc_cycle_seconds:rate5m{job=~"$job", model=~"$model"}))"#,
        "no `_bucket` and no `le`: the rate of a native histogram is one"
    );
    let rules: Value = serde_norway::from_str(&files.rules_yaml().unwrap()).unwrap();
    let rule = &rules["groups"][0]["rules"][0];
    assert_eq!(rule["record"].as_str(), Some("job_model:gc_cycle_seconds:rate5m"));
    assert_eq!(rule["expr"].as_str(), Some("sum by (job, model) (rate(gc_cycle_seconds[5m]))"));
}

static BOTH: [FamilySchema; 1] = [FamilySchema::new("gc_pause_seconds", MetricType::Histogram, "GC pauses.")
    .with_unit("seconds")
    .with_labels(&[MODEL])
    .with_buckets(&[0.01, 0.1])
    .with_native(crate::NativeSchema::new(3))];

#[test]
fn classic_and_native_histograms_are_queried_by_their_buckets_then_as_native_histograms() {
    let files = Observability::new("GC", "gc").group("GC", &BOTH);
    let dashboard: Value = serde_json::from_str(&files.dashboard_json().unwrap()).unwrap();
    let expr = dashboard["panels"][1]["targets"][0]["expr"].as_str().unwrap();
    assert_eq!(
        expr,
        r#"(histogram_quantile(0.5, sum by (model, le) (job_model_le:gc_pause_seconds_bucket:rate5m{job=~"$job", model=~"$model"}))) or (histogram_quantile(0.5, sum by (model) (rate(gc_pause_seconds{job=~"$job", model=~"$model"}[5m]))))"#,
        "the classic buckets where Prometheus keeps them, else the native histogram"
    );
}
