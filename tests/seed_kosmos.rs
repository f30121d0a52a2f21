//! Seed 002 (`/work/shared/seeds/`, the KOSMOS guide "Metrics & Prometheus") held against the kosmos
//! example: every family the guide names, with its type, label names, label values, buckets and help, read
//! from the example's scrapes by the project's strict parser; the same scrapes read by Python's strict
//! OpenMetrics parser, and by `promtool check metrics` with exactly the lint findings of the three gauges
//! whose guide names end in `_total`; `/health` in the guide's JSON shape; `examples/kosmos/rules.yml` the
//! guide's recording rules as written; `deploy/kosmos/` the guide's ServiceMonitor and scrape annotations.
//!
//! The tables below are written from the guide, not from the example: names, types, label names, help
//! texts and buckets are its `prometheus_client` declarations ("Metric Definitions", and
//! `kosmos_unique_users_total` from "Cardinality Management"); label values are those its code passes
//! (`status='success'`/`'error'`, `direction` input/output, `provider='huggingface'`, the default model
//! `mistral-7b`, `cache_type='semantic'`). Labels it gives no values for are open sets here.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use promstruct::Format;
use promstruct_testing::{Exposition, FamilyType, ParsedFamily, parse};
use serde_json::Value;
use suite::http::{OPENMETRICS, PROMETHEUS_2_ACCEPT, TEXT, get};
use suite::programs::{Scratch, build_example, poll, start_serving};
use suite::validators::{promtool_lints, python_parse};

/// The values the guide gives a label.
enum Values {
    /// The label takes these values and no others.
    Exactly(&'static [&'static str]),
    /// The label takes at least these values (the guide's code passes them; others may exist).
    Including(&'static [&'static str]),
}

/// One family the guide names.
struct GuideFamily {
    /// The name the guide declares (the 0.0.4 `# TYPE` name).
    name: &'static str,
    /// Its type.
    kind: FamilyType,
    /// Its label names, in the guide's order (for the info, the labels before its own).
    labels: &'static [&'static str],
    /// The values the guide gives some of its labels.
    values: &'static [(&'static str, Values)],
    /// The bucket bounds of a histogram, `+Inf` left out.
    buckets: Option<&'static [f64]>,
    /// Its help text.
    help: &'static str,
}

const STATUS: (&str, Values) = ("status", Values::Exactly(&["success", "error"]));
const PROVIDER: (&str, Values) = ("provider", Values::Including(&["huggingface"]));
const MODEL: (&str, Values) = ("model", Values::Including(&["mistral-7b"]));
const DIRECTION: (&str, Values) = ("direction", Values::Exactly(&["input", "output"]));
const CACHE_TYPE: (&str, Values) = ("cache_type", Values::Including(&["semantic"]));

/// The families of the guide, in its order.
const GUIDE: [GuideFamily; 21] = [
    // agent_metrics.py
    GuideFamily {
        name: "kosmos_agent_requests_total",
        kind: FamilyType::Counter,
        labels: &["agent", "method", "status"],
        values: &[STATUS],
        buckets: None,
        help: "Total number of requests to agent",
    },
    GuideFamily {
        name: "kosmos_agent_request_duration_seconds",
        kind: FamilyType::Histogram,
        labels: &["agent", "method"],
        values: &[],
        buckets: Some(&[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
        help: "Request duration in seconds",
    },
    GuideFamily {
        name: "kosmos_agent_errors_total",
        kind: FamilyType::Counter,
        labels: &["agent", "error_type"],
        values: &[],
        buckets: None,
        help: "Total number of errors",
    },
    GuideFamily {
        name: "kosmos_agent_active_sessions",
        kind: FamilyType::Gauge,
        labels: &["agent"],
        values: &[],
        buckets: None,
        help: "Number of active sessions",
    },
    GuideFamily {
        name: "kosmos_agent",
        kind: FamilyType::Info,
        labels: &["agent"],
        values: &[],
        buckets: None,
        help: "Agent information",
    },
    // llm_metrics.py
    GuideFamily {
        name: "kosmos_llm_tokens_total",
        kind: FamilyType::Counter,
        labels: &["provider", "model", "direction"],
        values: &[PROVIDER, MODEL, DIRECTION],
        buckets: None,
        help: "Total tokens used",
    },
    GuideFamily {
        name: "kosmos_llm_cost_dollars_total",
        kind: FamilyType::Counter,
        labels: &["provider", "model"],
        values: &[PROVIDER, MODEL],
        buckets: None,
        help: "Estimated cost in dollars",
    },
    GuideFamily {
        name: "kosmos_llm_latency_seconds",
        kind: FamilyType::Histogram,
        labels: &["provider", "model"],
        values: &[PROVIDER, MODEL],
        buckets: Some(&[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
        help: "LLM response latency",
    },
    GuideFamily {
        name: "kosmos_llm_cache_hits_total",
        kind: FamilyType::Counter,
        labels: &["cache_type"],
        values: &[CACHE_TYPE],
        buckets: None,
        help: "Semantic cache hits",
    },
    GuideFamily {
        name: "kosmos_llm_cache_misses_total",
        kind: FamilyType::Counter,
        labels: &["cache_type"],
        values: &[CACHE_TYPE],
        buckets: None,
        help: "Semantic cache misses",
    },
    GuideFamily {
        name: "kosmos_llm_rate_limit_hits_total",
        kind: FamilyType::Counter,
        labels: &["provider"],
        values: &[PROVIDER],
        buckets: None,
        help: "Rate limit hits",
    },
    // infrastructure_metrics.py
    GuideFamily {
        name: "kosmos_db_connections_active",
        kind: FamilyType::Gauge,
        labels: &["database", "pool"],
        values: &[],
        buckets: None,
        help: "Active database connections",
    },
    GuideFamily {
        name: "kosmos_db_connections_idle",
        kind: FamilyType::Gauge,
        labels: &["database", "pool"],
        values: &[],
        buckets: None,
        help: "Idle database connections",
    },
    GuideFamily {
        name: "kosmos_db_query_duration_seconds",
        kind: FamilyType::Histogram,
        labels: &["database", "operation"],
        values: &[],
        buckets: Some(&[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0]),
        help: "Database query duration",
    },
    GuideFamily {
        name: "kosmos_cache_hit_ratio",
        kind: FamilyType::Gauge,
        labels: &["cache"],
        values: &[],
        buckets: None,
        help: "Cache hit ratio",
    },
    GuideFamily {
        name: "kosmos_cache_memory_bytes",
        kind: FamilyType::Gauge,
        labels: &["cache"],
        values: &[],
        buckets: None,
        help: "Cache memory usage in bytes",
    },
    GuideFamily {
        name: "kosmos_queue_depth",
        kind: FamilyType::Gauge,
        labels: &["queue", "stream"],
        values: &[],
        buckets: None,
        help: "Message queue depth",
    },
    GuideFamily {
        name: "kosmos_queue_consumer_lag",
        kind: FamilyType::Gauge,
        labels: &["queue", "consumer"],
        values: &[],
        buckets: None,
        help: "Consumer lag in messages",
    },
    GuideFamily {
        name: "kosmos_storage_bytes_total",
        kind: FamilyType::Gauge,
        labels: &["bucket", "storage_class"],
        values: &[],
        buckets: None,
        help: "Total storage used in bytes",
    },
    GuideFamily {
        name: "kosmos_storage_objects_total",
        kind: FamilyType::Gauge,
        labels: &["bucket"],
        values: &[],
        buckets: None,
        help: "Total number of objects",
    },
    // Cardinality Management
    GuideFamily {
        name: "kosmos_unique_users_total",
        kind: FamilyType::Gauge,
        labels: &[],
        values: &[],
        buckets: None,
        help: "Unique users",
    },
];

/// What `promtool check metrics` reports on the example, and only this: the three gauges the guide names
/// with `_total`, which the example declares with `allow(total_suffix)`.
const EXPECTED_LINTS: [&str; 3] = [
    r#"kosmos_storage_bytes_total non-counter metrics should not have "_total" suffix"#,
    r#"kosmos_storage_objects_total non-counter metrics should not have "_total" suffix"#,
    r#"kosmos_unique_users_total non-counter metrics should not have "_total" suffix"#,
];

/// One group of the guide's recording rules.
struct GuideGroup {
    /// Its name.
    name: &'static str,
    /// How often it is evaluated.
    interval: &'static str,
    /// Its records with their expressions as the YAML gives them (a `|` block keeps its line breaks,
    /// trailing spaces and final newline).
    rules: &'static [(&'static str, &'static str)],
}

/// The guide's recording rules, in its order.
const GUIDE_RULES: [GuideGroup; 3] = [
    GuideGroup {
        name: "kosmos-agent-rules",
        interval: "30s",
        rules: &[
            ("kosmos:agent_request_rate:5m", "sum(rate(kosmos_agent_requests_total[5m])) by (agent)"),
            (
                "kosmos:agent_error_rate:5m",
                "sum(rate(kosmos_agent_requests_total{status=\"error\"}[5m])) by (agent)\n/\n\
                 sum(rate(kosmos_agent_requests_total[5m])) by (agent)\n",
            ),
            (
                "kosmos:agent_latency_p99:5m",
                "histogram_quantile(0.99, \n  sum(rate(kosmos_agent_request_duration_seconds_bucket[5m])) by (agent, le)\n)\n",
            ),
            (
                "kosmos:agent_latency_p50:5m",
                "histogram_quantile(0.50, \n  sum(rate(kosmos_agent_request_duration_seconds_bucket[5m])) by (agent, le)\n)\n",
            ),
        ],
    },
    GuideGroup {
        name: "kosmos-llm-rules",
        interval: "30s",
        rules: &[
            ("kosmos:llm_token_rate:5m", "sum(rate(kosmos_llm_tokens_total[5m])) by (model, direction)"),
            ("kosmos:llm_cost_rate_hourly:5m", "sum(rate(kosmos_llm_cost_dollars_total[5m])) by (model) * 3600"),
            (
                "kosmos:llm_cache_hit_ratio:5m",
                "sum(rate(kosmos_llm_cache_hits_total[5m]))\n/\n\
                 (sum(rate(kosmos_llm_cache_hits_total[5m])) + sum(rate(kosmos_llm_cache_misses_total[5m])))\n",
            ),
            (
                "kosmos:llm_latency_p99:5m",
                "histogram_quantile(0.99, \n  sum(rate(kosmos_llm_latency_seconds_bucket[5m])) by (model, le)\n)\n",
            ),
        ],
    },
    GuideGroup {
        name: "kosmos-slo-rules",
        interval: "30s",
        rules: &[
            ("kosmos:availability:30d", "avg_over_time(up{job=\"kosmos-agents\"}[30d])"),
            (
                "kosmos:error_budget_remaining:30d",
                "1 - (\n  sum(increase(kosmos_agent_requests_total{status=\"error\"}[30d]))\n  /\n  \
                 sum(increase(kosmos_agent_requests_total[30d]))\n) / 0.001  # 99.9% SLO = 0.1% error budget\n",
            ),
        ],
    },
];

/// The example, running with the scrape cache off so every scrape and `/health` read the metrics of now.
struct Kosmos {
    _process: suite::programs::Running,
    _dir: Scratch,
    addr: SocketAddr,
}

fn start() -> Kosmos {
    let binary = build_example("kosmos");
    let dir = Scratch::new("seed-kosmos");
    let config = dir.join("config.yaml");
    std::fs::write(&config, "prometheus_metrics:\n  cache: { enabled: false }\n").unwrap();
    let (process, addr) = start_serving(&binary, &["--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()]);
    Kosmos { _process: process, _dir: dir, addr }
}

/// Scrapes in `format` (as Prometheus 2 asks for OpenMetrics) and returns the body.
async fn scrape_text(addr: SocketAddr, format: Format) -> String {
    let accept = match format {
        Format::OpenMetrics => PROMETHEUS_2_ACCEPT,
        _ => "text/plain;version=0.0.4",
    };
    let reply = get(addr, "/metrics", &[("accept", accept)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let expected = if format == Format::OpenMetrics { OPENMETRICS } else { TEXT };
    assert_eq!(reply.header("content-type"), expected);
    reply.text()
}

/// Parses strictly: no error and no warning.
fn parse_strictly(text: &str, format: Format) -> Exposition {
    let exposition = parse(text, format).unwrap_or_else(|e| panic!("invalid {format:?} exposition:\n{e}\n{text}"));
    assert!(exposition.warnings().is_empty(), "{format:?} warnings: {:?}", exposition.warnings());
    exposition
}

/// The name of a guide family's metadata in `format`: OpenMetrics names a counter without `_total`, and
/// 0.0.4, which has no info type, exposes the info as the gauge `<name>_info`.
fn family_name(row: &GuideFamily, format: Format) -> String {
    match (row.kind, format) {
        (FamilyType::Counter, Format::OpenMetrics) => {
            row.name.strip_suffix("_total").expect("a counter's name").to_owned()
        }
        (FamilyType::Info, Format::Text) => format!("{}_info", row.name),
        _ => row.name.to_owned(),
    }
}

/// The sample names a guide family's series may have in `format`.
fn sample_names(row: &GuideFamily, format: Format) -> Vec<String> {
    let base = family_name(row, format);
    let suffixes: &[&str] = match (row.kind, format) {
        (FamilyType::Counter, Format::OpenMetrics) => &["_total", "_created"],
        (FamilyType::Histogram, Format::OpenMetrics) => &["_bucket", "_sum", "_count", "_created"],
        (FamilyType::Histogram, _) => &["_bucket", "_sum", "_count"],
        (FamilyType::Info, Format::OpenMetrics) => &["_info"],
        _ => &[""],
    };
    suffixes.iter().map(|s| format!("{base}{s}")).collect()
}

/// Checks one row of the guide against its family in a scrape.
fn check_row(row: &GuideFamily, family: &ParsedFamily, format: Format) {
    let what = format!("{} ({format:?})", row.name);
    let kind = if row.kind == FamilyType::Info && format == Format::Text { FamilyType::Gauge } else { row.kind };
    assert_eq!(family.kind, kind, "{what}");
    assert_eq!(family.help.as_deref(), Some(row.help), "{what}");
    assert!(!family.samples.is_empty(), "{what} has no series");
    let names = sample_names(row, format);
    let mut values: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut buckets: BTreeMap<Vec<(&str, &str)>, Vec<f64>> = BTreeMap::new();
    for sample in &family.samples {
        assert!(names.contains(&sample.name), "{what}: sample {} is not one of {names:?}", sample.series());
        let own: Vec<(&str, &str)> =
            sample.labels.iter().filter(|(n, _)| n != "le").map(|(n, v)| (n.as_str(), v.as_str())).collect();
        let label_names: Vec<&str> = own.iter().map(|(n, _)| *n).collect();
        if row.kind == FamilyType::Info {
            assert!(label_names.starts_with(row.labels), "{what}: {} lacks {:?}", sample.series(), row.labels);
            assert_eq!(sample.value, 1.0, "{what}");
        } else {
            assert_eq!(label_names, row.labels, "{what}: {}", sample.series());
        }
        for (name, value) in &own {
            values.entry(name).or_default().insert(value);
        }
        if sample.name.ends_with("_bucket") {
            let le = sample.label("le").expect("a bucket's le");
            let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().expect("a number") };
            buckets.entry(own).or_default().push(bound);
        }
    }
    for (label, listed) in row.values {
        let exposed = values.get(label).cloned().unwrap_or_default();
        match listed {
            Values::Exactly(listed) => {
                assert_eq!(exposed, listed.iter().copied().collect(), "{what}: the values of {label}")
            }
            Values::Including(listed) => {
                for value in *listed {
                    assert!(exposed.contains(value), "{what}: {label}=\"{value}\" missing from {exposed:?}");
                }
            }
        }
    }
    match row.buckets {
        Some(bounds) => {
            let mut expected = bounds.to_vec();
            expected.push(f64::INFINITY);
            assert!(!buckets.is_empty(), "{what}: no buckets");
            for (series, got) in &buckets {
                assert_eq!(got, &expected, "{what}{series:?}: bucket bounds");
            }
        }
        None => assert!(buckets.is_empty(), "{what}: buckets on a {:?}", row.kind),
    }
}

/// The value of a family's traffic: the sum of its counters, histogram counts or gauges.
fn moved(exposition: &Exposition, row: &GuideFamily) -> f64 {
    let sample = match row.kind {
        FamilyType::Counter => row.name.to_owned(),
        FamilyType::Histogram => format!("{}_count", row.name),
        FamilyType::Info => format!("{}_info", row.name),
        _ => row.name.to_owned(),
    };
    exposition.samples_named(&sample).map(|s| s.value).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_of_the_guide_is_exposed_as_it_declares_it() {
    let kosmos = start();
    // Some traffic first, so that every counter and histogram has moved.
    let text = poll("traffic in every family", Duration::from_secs(20), || async {
        let text = scrape_text(kosmos.addr, Format::Text).await;
        let exposition = parse_strictly(&text, Format::Text);
        GUIDE.iter().all(|row| moved(&exposition, row) > 0.0).then_some(text)
    })
    .await;
    let openmetrics = scrape_text(kosmos.addr, Format::OpenMetrics).await;

    for (format, text) in [(Format::OpenMetrics, &openmetrics), (Format::Text, &text)] {
        let exposition = parse_strictly(text, format);
        for row in &GUIDE {
            let name = family_name(row, format);
            let family = exposition.family(&name).unwrap_or_else(|| panic!("no family {name} in {format:?}"));
            check_row(row, family, format);
        }
        // The guide's families and no other `kosmos_` family.
        let exposed: BTreeSet<&str> =
            exposition.families().iter().map(|f| f.name.as_str()).filter(|n| n.starts_with("kosmos_")).collect();
        let guide: BTreeSet<String> = GUIDE.iter().map(|row| family_name(row, format)).collect();
        assert_eq!(exposed, guide.iter().map(String::as_str).collect(), "{format:?}");
    }

    // promtool: only the findings the opted-out families cause.
    assert_eq!(promtool_lints(text.as_bytes()).unwrap(), EXPECTED_LINTS);

    // Python's strict OpenMetrics parser reads every family with the guide's type.
    let families = python_parse(openmetrics.as_bytes(), true).unwrap_or_else(|e| panic!("{e}\n{openmetrics}"));
    for row in &GUIDE {
        let name = family_name(row, Format::OpenMetrics);
        let family = families.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("Python: no {name}"));
        assert_eq!(family.kind, row.kind.as_str(), "Python: {name}");
        assert_eq!(family.help, row.help, "Python: {name}");
        assert!(!family.samples.is_empty(), "Python: {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_the_guides_json() {
    let kosmos = start();
    let requests = |text: &str| -> f64 {
        parse_strictly(text, Format::Text).samples_named("kosmos_agent_requests_total").map(|s| s.value).sum()
    };
    let mut answers = Vec::new();
    for _ in 0..3 {
        let before = requests(&scrape_text(kosmos.addr, Format::Text).await);
        let reply = get(kosmos.addr, "/health", &[]).await;
        let after = requests(&scrape_text(kosmos.addr, Format::Text).await);
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.header("content-type"), "application/json");
        let health: Value = serde_json::from_slice(&reply.body).expect("JSON");
        // The guide's shape: these keys and no others.
        let keys: Vec<&String> = health.as_object().expect("an object").keys().collect();
        assert_eq!(keys, ["metrics", "status"], "{health}");
        assert_eq!(health["status"], "healthy");
        let metrics = health["metrics"].as_object().expect("an object");
        assert_eq!(metrics.keys().collect::<Vec<_>>(), ["active_sessions", "request_count"], "{health}");
        // Sessions: between one and 30 for each of the four agents.
        let sessions = metrics["active_sessions"].as_i64().expect("a whole number");
        assert!((4..=120).contains(&sessions), "{health}");
        // Requests: every agent's, method's and status's, counted between the two scrapes around it.
        let count = metrics["request_count"].as_u64().expect("a whole number") as f64;
        assert!(before <= count && count <= after, "{before} <= {count} <= {after}: {health}");
        answers.push(count);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert!(answers[2] > answers[0], "the count grows with the traffic: {answers:?}");
}

#[test]
fn rules_yml_holds_the_guides_recording_rules_as_written() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/kosmos/rules.yml");
    let file: Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).expect("YAML");
    let groups = file["groups"].as_array().expect("groups");
    assert_eq!(groups.len(), GUIDE_RULES.len(), "{file}");
    for (group, guide) in groups.iter().zip(GUIDE_RULES) {
        assert_eq!(group["name"], guide.name, "{group}");
        assert_eq!(group["interval"], guide.interval, "{group}");
        let got: Vec<(&str, &str)> = group["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| {
                assert_eq!(r.as_object().unwrap().len(), 2, "only record and expr: {r}");
                (r["record"].as_str().expect("a recording rule"), r["expr"].as_str().expect("an expression"))
            })
            .collect();
        assert_eq!(got, guide.rules, "{}", guide.name);
    }
    let out = Command::new("promtool").args(["check", "rules", path]).output().expect("run promtool");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("SUCCESS: 10 rules found"), "{report}");
}

/// The YAML documents of a manifest file.
fn manifests(name: &str) -> Vec<Value> {
    use serde::Deserialize;
    let path = format!("{}/deploy/kosmos/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_norway::Deserializer::from_str(&text).map(|doc| Value::deserialize(doc).expect("YAML")).collect()
}

#[test]
fn deploy_holds_the_guides_service_monitor_and_scrape_annotations() {
    // The ServiceMonitor, as the guide writes it.
    let monitor = manifests("servicemonitor.yaml");
    let guide = serde_json::json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": { "name": "kosmos-agents", "namespace": "kosmos-observability", "labels": { "release": "prometheus" } },
        "spec": {
            "selector": { "matchLabels": { "app.kubernetes.io/component": "agent" } },
            "namespaceSelector": { "matchNames": ["kosmos-core"] },
            "endpoints": [{ "port": "metrics", "interval": "15s", "path": "/metrics", "scheme": "http" }],
        },
    });
    assert_eq!(monitor, [guide]);

    let docs = manifests("agent.yaml");
    let kind = |k: &str| docs.iter().find(|d| d["kind"] == k).unwrap_or_else(|| panic!("no {k} in agent.yaml"));
    let (deployment, service) = (kind("Deployment"), kind("Service"));
    // The pod template carries the annotations the guide's `kubernetes-pods` job keeps and reads, in one of
    // the namespaces it watches; the port is the one the container listens on.
    let template = &deployment["spec"]["template"];
    let annotations = &template["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"], "true", "{annotations}");
    assert_eq!(annotations["prometheus.io/path"], "/metrics", "{annotations}");
    let port = annotations["prometheus.io/port"].as_str().expect("a quoted port");
    assert!(["kosmos-core", "kosmos-db"].contains(&deployment["metadata"]["namespace"].as_str().unwrap()));
    assert!(template["metadata"]["labels"]["app"].is_string(), "the job copies the pod label app: {template}");
    let container = &template["spec"]["containers"][0];
    let listen = container["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect::<Vec<_>>();
    assert_eq!(listen, ["--listen", &format!("0.0.0.0:{port}")]);
    assert_eq!(container["ports"][0]["name"], "metrics");
    assert_eq!(container["ports"][0]["containerPort"].to_string(), port);
    // The Service is what the ServiceMonitor and the `kosmos-agents` job select: labelled as an agent
    // component, in kosmos-core, with the port named metrics, and it selects the pods.
    assert_eq!(service["metadata"]["namespace"], "kosmos-core");
    assert_eq!(service["metadata"]["labels"]["app.kubernetes.io/component"], "agent");
    assert_eq!(service["spec"]["ports"][0]["name"], "metrics");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "metrics");
    for (label, value) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(&template["metadata"]["labels"][label], value, "the Service selects the pods");
    }
}
