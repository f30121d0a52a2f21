//! End to end: a real Prometheus (Debian's `prometheus`, on loopback) scrapes the kosmos example as the job
//! `kosmos-agents` (the name the guide's SLO rules read) with the recording rules of
//! `examples/kosmos/rules.yml` loaded; every rule is healthy, every recording rule and every one of the
//! guide's "Common PromQL Queries" (copied below as the guide writes them) returns data, and a recorded
//! series equals its expression evaluated at the same instant.
//!
//! The rules are loaded as written except for their groups' `interval: 30s`, which becomes `1s` so that the
//! test takes seconds rather than minutes; tests/seed_kosmos.rs holds the file itself to the guide.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use suite::programs::{Scratch, build_example, encode_query, poll, require_program, start_serving};
use suite::prometheus::{api, start_prometheus_with_rules};

/// The guide's "Common PromQL Queries", each under its comment, exactly as the guide writes them (the three
/// lines of "LLM latency distribution" are three queries, their trailing comments kept).
const COMMON_QUERIES: [(&str, &str); 19] = [
    // Agent Performance
    ("Request rate by agent (last 5 minutes)", r#"sum(rate(kosmos_agent_requests_total[5m])) by (agent)"#),
    (
        "Error rate percentage",
        r#"100 * sum(rate(kosmos_agent_requests_total{status="error"}[5m])) by (agent)
/ sum(rate(kosmos_agent_requests_total[5m])) by (agent)"#,
    ),
    (
        "P99 latency by agent",
        r#"histogram_quantile(0.99, sum(rate(kosmos_agent_request_duration_seconds_bucket[5m])) by (agent, le))"#,
    ),
    ("Active sessions", r#"sum(kosmos_agent_active_sessions) by (agent)"#),
    (
        "Top 5 slowest agents",
        r#"topk(5, histogram_quantile(0.99, sum(rate(kosmos_agent_request_duration_seconds_bucket[5m])) by (agent, le)))"#,
    ),
    // LLM Usage
    ("Token usage rate (tokens/second)", r#"sum(rate(kosmos_llm_tokens_total[5m])) by (model, direction)"#),
    ("Estimated hourly cost", r#"sum(rate(kosmos_llm_cost_dollars_total[5m])) * 3600"#),
    // The guide's first line ends in a space.
    (
        "Cache hit ratio",
        "sum(rate(kosmos_llm_cache_hits_total[5m])) \n\
         / (sum(rate(kosmos_llm_cache_hits_total[5m])) + sum(rate(kosmos_llm_cache_misses_total[5m])))",
    ),
    (
        "LLM latency distribution P50",
        r#"histogram_quantile(0.50, sum(rate(kosmos_llm_latency_seconds_bucket[5m])) by (le))  # P50"#,
    ),
    (
        "LLM latency distribution P95",
        r#"histogram_quantile(0.95, sum(rate(kosmos_llm_latency_seconds_bucket[5m])) by (le))  # P95"#,
    ),
    (
        "LLM latency distribution P99",
        r#"histogram_quantile(0.99, sum(rate(kosmos_llm_latency_seconds_bucket[5m])) by (le))  # P99"#,
    ),
    // Infrastructure Health
    (
        "Database connection pool utilization",
        r#"kosmos_db_connections_active / (kosmos_db_connections_active + kosmos_db_connections_idle)"#,
    ),
    ("Cache hit ratio", r#"kosmos_cache_hit_ratio"#),
    ("Queue depth (should be low)", r#"kosmos_queue_depth"#),
    ("Consumer lag (should be near zero)", r#"kosmos_queue_consumer_lag"#),
    ("Storage growth rate (bytes/hour)", r#"rate(kosmos_storage_bytes_total[1h]) * 3600"#),
    // SLO Tracking
    ("Current availability (30-day window)", r#"avg_over_time(up{job="kosmos-agents"}[30d]) * 100"#),
    (
        "Error budget consumption (30-day window); SLO: 99.9% availability = 0.1% error budget",
        r#"100 * (
  sum(increase(kosmos_agent_requests_total{status="error"}[30d]))
  / sum(increase(kosmos_agent_requests_total[30d]))
) / 0.001"#,
    ),
    (
        "Burn rate (how fast error budget is being consumed)",
        r#"sum(rate(kosmos_agent_requests_total{status="error"}[1h]))
/ sum(rate(kosmos_agent_requests_total[1h]))
/ 0.001 * 720  # 720 = 30 days in hours"#,
    ),
];

/// The result vector of an instant query, optionally at `time`.
async fn query(prometheus: SocketAddr, promql: &str, time: Option<f64>) -> Vec<Value> {
    let mut path = format!("/api/v1/query?query={}", encode_query(promql));
    if let Some(time) = time {
        path.push_str(&format!("&time={time}"));
    }
    let data = api(prometheus, &path).await;
    assert_eq!(data["resultType"], "vector", "{promql}: {data}");
    data["result"].as_array().expect("a vector").clone()
}

/// The points of every series of `record` in the last hour: its labels (without the name) and
/// `(time, value)` pairs.
async fn query_range_points(prometheus: SocketAddr, record: &str) -> Vec<(Vec<(String, Value)>, Vec<(f64, f64)>)> {
    let data = api(prometheus, &format!("/api/v1/query?query={}", encode_query(&format!("{record}[1h]")))).await;
    data["result"]
        .as_array()
        .expect("a matrix")
        .iter()
        .map(|series| {
            let labels = series["metric"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "__name__")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let points = series["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_f64().unwrap(), p[1].as_str().unwrap().parse().unwrap()))
                .collect();
            (labels, points)
        })
        .collect()
}

fn sample(item: &Value) -> (f64, f64) {
    let time = item["value"][0].as_f64().expect("a timestamp");
    let value = item["value"][1].as_str().expect("a value").parse().expect("a number");
    (time, value)
}

/// Polls `promql` until its result has a series with a finite value (a rate over a window with fewer than
/// two scrapes has none; a ratio of rates is NaN until something moved), and returns the result.
async fn data_of(prometheus: SocketAddr, what: &str, promql: &str, deadline: Instant) -> Vec<Value> {
    let left = deadline.saturating_duration_since(Instant::now());
    poll(&format!("{what}: `{promql}` returning data"), left, || async {
        let result = query(prometheus, promql, None).await;
        result.iter().any(|item| sample(item).1.is_finite()).then_some(result)
    })
    .await
}

/// The record names and expressions of a rules file, in order.
fn recording_rules(rules: &str) -> Vec<(String, String)> {
    let file: Value = serde_norway::from_str(rules).expect("rules.yml is YAML");
    let mut out = Vec::new();
    for group in file["groups"].as_array().expect("groups") {
        for rule in group["rules"].as_array().expect("rules") {
            assert!(rule.get("alert").is_none(), "the guide gives no alerting rule: {rule}");
            let record = rule["record"].as_str().expect("a recording rule").to_owned();
            out.push((record, rule["expr"].as_str().expect("an expression").to_owned()));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_answers_the_guides_queries_and_records_its_rules() {
    require_program("prometheus", "prometheus");
    let binary = build_example("kosmos");
    let (_kosmos, kosmos) = start_serving(&binary, &["--listen", "127.0.0.1:0"]);
    let started = Instant::now();

    // The rules as written, evaluated every second instead of every 30.
    let rules_path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/kosmos/rules.yml");
    let written = std::fs::read_to_string(rules_path).unwrap();
    assert_eq!(written.matches("interval: 30s").count(), 3, "three groups evaluated every 30 s: {written}");
    let tmp = Scratch::new("kosmos-e2e");
    let rules = tmp.join("rules.yml");
    std::fs::write(&rules, written.replace("interval: 30s", "interval: 1s")).unwrap();
    let records = recording_rules(&written);
    assert_eq!(records.len(), 10, "the guide's ten recording rules: {records:?}");

    // Started on the guide's job name; up and scraped without error.
    let jobs = format!("  - job_name: kosmos-agents\n    static_configs: [{{ targets: ['{kosmos}'] }}]\n");
    let (_prometheus, prometheus) = start_prometheus_with_rules(&tmp, &jobs, 1, &[], &rules).await;
    let targets = api(prometheus, "/api/v1/targets?state=active").await;
    assert_eq!(targets["activeTargets"][0]["labels"]["job"], "kosmos-agents", "{targets}");

    // Every query of the guide returns data.
    let deadline = Instant::now() + Duration::from_secs(30);
    for (what, promql) in COMMON_QUERIES {
        let result = data_of(prometheus, what, promql, deadline).await;
        for item in &result {
            let (_, value) = sample(item);
            assert!(!value.is_infinite(), "{what}: `{promql}` gives {item}");
        }
    }
    // The queries that filter on a label value find it, and the simulation moves them.
    for promql in [
        r#"sum(rate(kosmos_agent_requests_total{status="error"}[5m])) by (agent)"#,
        r#"sum(increase(kosmos_agent_requests_total{status="error"}[30d]))"#,
    ] {
        let result = data_of(prometheus, "errors", promql, deadline).await;
        assert!(result.iter().any(|item| sample(item).1 > 0.0), "requests fail now and then: `{promql}` {result:?}");
    }
    let availability =
        data_of(prometheus, "availability", r#"avg_over_time(up{job="kosmos-agents"}[30d]) * 100"#, deadline).await;
    assert_eq!(availability.iter().map(|item| sample(item).1).collect::<Vec<_>>(), [100.0], "{availability:?}");

    // Every recording rule is loaded from the file, healthy, and returns data.
    let groups = poll("every rule evaluated once", Duration::from_secs(20), || async {
        let data = api(prometheus, "/api/v1/rules").await;
        let groups = data["groups"].as_array()?.clone();
        let rules: Vec<&Value> = groups.iter().flat_map(|g| g["rules"].as_array().unwrap().iter()).collect();
        let evaluated = rules.iter().all(|r| r["lastEvaluation"].as_str().is_some_and(|t| !t.starts_with("0001")));
        (rules.len() == records.len() && evaluated).then_some(groups)
    })
    .await;
    let names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["kosmos-agent-rules", "kosmos-llm-rules", "kosmos-slo-rules"]);
    for group in &groups {
        assert_eq!(group["file"], rules.to_str().unwrap(), "{group}");
        assert_eq!(group["interval"], 1.0, "{group}");
    }
    let loaded: Vec<(String, String)> = groups
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap().iter())
        .map(|r| (r["name"].as_str().unwrap().to_owned(), r["type"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(loaded, records.iter().map(|(r, _)| (r.clone(), "recording".to_owned())).collect::<Vec<_>>());
    for (record, _) in &records {
        data_of(prometheus, "recording rule", record, deadline).await;
    }
    let data = api(prometheus, "/api/v1/rules").await;
    for rule in data["groups"].as_array().unwrap().iter().flat_map(|g| g["rules"].as_array().unwrap().iter()) {
        assert_eq!(rule["health"], "ok", "{rule}");
        assert_eq!(rule["lastError"].as_str().unwrap_or(""), "", "{rule}");
    }

    // A recording rule's series, read back through the query API, equals its expression at that instant.
    for (record, expression) in records.iter().filter(|(r, _)| {
        ["kosmos:agent_request_rate:5m", "kosmos:llm_token_rate:5m", "kosmos:availability:30d"].contains(&r.as_str())
    }) {
        let range = query_range_points(prometheus, record).await;
        assert!(!range.is_empty(), "{record}: no points");
        for (labels, points) in range {
            // A scrape stamped just before an evaluation may be stored just after it, so one of the last
            // three points must match, not each.
            let mut checked = Vec::new();
            for (at, value) in points.iter().rev().take(3) {
                let again = query(prometheus, expression, Some(*at)).await;
                let same: Vec<f64> = again
                    .iter()
                    .filter(|item| labels.iter().all(|(k, v)| item["metric"][k] == *v))
                    .map(|item| sample(item).1)
                    .collect();
                checked.push((*at, *value, same.clone()));
                if same == [*value] {
                    break;
                }
            }
            let matched = checked.last().is_some_and(|(_, value, same)| same == &[*value]);
            assert!(matched, "{record}{labels:?}: recorded points and the expression at their times: {checked:?}");
        }
    }
    assert!(started.elapsed() < Duration::from_secs(50), "the test took {:?}", started.elapsed());
}
