//! End to end: a real Prometheus (Debian's `prometheus`, on loopback) scrapes a seed example serving
//! simulated traffic with the example's generated `rules.yml` (`examples/<name>/observability/`) loaded:
//! every recording rule and alert is healthy once evaluated, every recording rule returns data, and every
//! expression of every panel of the generated `dashboard.json`, its variables set to "All", returns data;
//! also where Prometheus ingests native histograms and drops the classic buckets of a histogram with both.
//! Every query of the generated runbooks is valid PromQL to that Prometheus.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use promstruct::export::{DASHBOARD_FILE, RULES_FILE, RUNBOOKS_DIR};
use serde_json::Value;
use suite::programs::{Scratch, build_example, encode_query, poll, require_program, start_serving};
use suite::prometheus::{api, start_prometheus_with_rules};

/// Polls `promql` until its result has a series with a finite value (a rate needs two scrapes, a ratio of
/// rates something that moved), and returns how many series it has.
async fn data_of(prometheus: SocketAddr, what: &str, promql: &str, deadline: Instant) -> usize {
    let left = deadline.saturating_duration_since(Instant::now());
    poll(&format!("{what}: `{promql}` returning data"), left, || async {
        let data = api(prometheus, &format!("/api/v1/query?query={}", encode_query(promql))).await;
        let result = data["result"].as_array()?.clone();
        let finite = result
            .iter()
            .any(|item| item["value"][1].as_str().and_then(|v| v.parse::<f64>().ok()).is_some_and(f64::is_finite));
        finite.then_some(result.len())
    })
    .await
}

/// The expressions of every panel of a Grafana dashboard, with each of its variables set to "All" (`.*`).
fn panel_queries(dashboard: &Value) -> Vec<(String, String)> {
    let mut names: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| v["name"].as_str().expect("a variable name"))
        .collect();
    // `$model_type` before `$model`.
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    let mut out = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let mut expr = target["expr"].as_str().expect("an expression").to_owned();
            for name in &names {
                expr = expr.replace(&format!("${{{name}}}"), ".*").replace(&format!("${name}"), ".*");
            }
            assert!(!expr.contains('$'), "an undefined variable in `{expr}`");
            out.push((format!("{} / {}", panel["title"], target["refId"]), expr));
        }
    }
    out
}

/// How the Prometheus of a run ingests histograms with both classic and native buckets.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ingest {
    /// As the text formats carry them: the classic buckets.
    Classic,
    /// With `--enable-feature=native-histograms`, protobuf first: Prometheus 2.42 then keeps only the
    /// native histogram of a histogram that has both, and drops its `_bucket` series.
    Native,
}

/// Runs `example` (with `args`) under a Prometheus that loads its generated rules, and checks the rules and
/// the dashboard's panels against the data.
async fn rules_and_panels_work(example: &str, args: &[&str], ingest: Ingest) {
    require_program("prometheus", "prometheus");
    let binary = build_example(example);
    let mut serve_args = vec!["--listen", "127.0.0.1:0"];
    serve_args.extend_from_slice(args);
    let (_example, target) = start_serving(&binary, &serve_args);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let observability = std::path::Path::new(dir).join(example).join("observability");
    let rules = observability.join(RULES_FILE);
    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(observability.join(DASHBOARD_FILE)).unwrap()).unwrap();

    let tmp = Scratch::new(&format!("observability-{example}"));
    let jobs = format!("  - job_name: {example}\n    static_configs: [{{ targets: ['{target}'] }}]\n");
    let flags: &[&str] = match ingest {
        Ingest::Classic => &[],
        Ingest::Native => &["--enable-feature=native-histograms"],
    };
    let (_prometheus, prometheus) = start_prometheus_with_rules(&tmp, &jobs, 1, flags, &rules).await;

    // Every rule of the file is loaded and, once evaluated, healthy.
    let file: serde_norway::Value = serde_norway::from_str(&std::fs::read_to_string(&rules).unwrap()).unwrap();
    let written: usize =
        file["groups"].as_sequence().unwrap().iter().map(|g| g["rules"].as_sequence().unwrap().len()).sum();
    let deadline = Instant::now() + Duration::from_secs(40);
    let loaded = poll("every rule evaluated", Duration::from_secs(30), || async {
        let data = api(prometheus, "/api/v1/rules").await;
        let rules: Vec<Value> =
            data["groups"].as_array()?.iter().flat_map(|g| g["rules"].as_array().unwrap().clone()).collect();
        let evaluated = rules.iter().all(|r| r["lastEvaluation"].as_str().is_some_and(|t| !t.starts_with("0001")));
        (rules.len() == written && evaluated).then_some(rules)
    })
    .await;
    let mut records = Vec::new();
    for rule in &loaded {
        assert_eq!(rule["health"], "ok", "{example}: {rule}");
        assert_eq!(rule["lastError"].as_str().unwrap_or(""), "", "{example}: {rule}");
        match rule["type"].as_str() {
            Some("recording") => records.push(rule["name"].as_str().unwrap().to_owned()),
            Some("alerting") => {}
            other => panic!("{example}: a rule of type {other:?}: {rule}"),
        }
    }
    assert!(!records.is_empty(), "{example}: no recording rule");
    // Natively ingested, a histogram with native buckets has no `_bucket` series to record.
    let dropped: Vec<String> = match ingest {
        Ingest::Classic => Vec::new(),
        Ingest::Native => native_families(&dashboard),
    };
    assert_eq!(ingest == Ingest::Native, !dropped.is_empty(), "{example}: the histograms read natively: {dropped:?}");
    for record in &records {
        if dropped.iter().any(|family| record.contains(&format!(":{family}_bucket:"))) {
            let data = api(prometheus, &format!("/api/v1/query?query={}", encode_query(record))).await;
            assert_eq!(data["result"], Value::Array(Vec::new()), "{record}: Prometheus dropped the classic buckets");
        } else {
            data_of(prometheus, "recording rule", record, deadline).await;
        }
    }

    // Every query of the runbooks is one Prometheus accepts (`api` asserts a successful answer); the
    // breakdowns of the bad events return data.
    let runbooks = observability.join(RUNBOOKS_DIR);
    for page in std::fs::read_dir(&runbooks).into_iter().flatten() {
        let text = std::fs::read_to_string(page.unwrap().path()).unwrap();
        for block in text.split("```promql\n").skip(1) {
            let promql = block.split_once("\n```").expect("a closed block").0;
            api(prometheus, &format!("/api/v1/query?query={}", encode_query(promql))).await;
            if promql.starts_with("sort_desc(") {
                data_of(prometheus, "runbook breakdown", promql, deadline).await;
            }
        }
    }

    // Every panel's expressions return data, the variables at "All".
    let queries = panel_queries(&dashboard);
    assert!(queries.len() >= dashboard["panels"].as_array().unwrap().len() / 2, "{example}: too few queries");
    for (what, promql) in &queries {
        data_of(prometheus, what, promql, deadline).await;
    }
}

/// The histograms whose panels read a native histogram when the classic buckets are missing: their
/// quantile expressions end in an `or` over the family's own rate.
fn native_families(dashboard: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (_, expr) in panel_queries(dashboard) {
        if let Some((_, native)) = expr.split_once(") or (histogram_quantile(") {
            let rate = native.split_once("(rate(").expect("a rate in the native quantile").1;
            let name = rate.split(['{', '[']).next().unwrap().to_owned();
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_service_rules_and_panels_work_in_prometheus() {
    rules_and_panels_work("llm_service", &[], Ingest::Classic).await;
}

/// The latency SLO's ratios and the latency panels of llm_service (whose request latency has classic and
/// native buckets) answer from the native histogram when Prometheus ingests it instead of the buckets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_service_rules_and_panels_work_on_native_histograms_in_prometheus() {
    rules_and_panels_work("llm_service", &[], Ingest::Native).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kosmos_rules_and_panels_work_in_prometheus() {
    rules_and_panels_work("kosmos", &[], Ingest::Classic).await;
}
