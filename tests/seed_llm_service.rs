//! Seed 000 (`/work/shared/seeds/`, "Prometheus Metrics Endpoint Integration") held against the `llm_service`
//! example: every family of the document's data-flow diagram, with its type, label names, label values and
//! buckets, read from the example's scrapes by the project's strict parser, and the same scrapes accepted by
//! `promtool check metrics` (no lint findings) and by Python's strict OpenMetrics parser.
//!
//! The table below is written from the documents, not from the example: the names and label names are the
//! seed's "Metrics Registry" box; the types follow from the diagram (`inc(counter)` for the `_total`
//! families, `observe(hist)` for the duration); the seed lists no label values or buckets, so those are
//! DESIGN.md's, whose example declares these families with seed 000's names. `step_type`, `agent` and `tool`
//! have no values in either document. The example runs with the seed's configuration schema as written.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use promstruct::Format;
use promstruct_testing::{Exposition, FamilyType, parse};
use suite::http::{PROMETHEUS_2_ACCEPT, get, gunzip};
use suite::programs::{Scratch, build_example, poll, start_serving};
use suite::validators::{promtool_check, python_parse};

/// One family of the seed's diagram.
struct SeedFamily {
    /// The exposed name, as the seed writes it (the 0.0.4 `# TYPE` name).
    name: &'static str,
    /// Its type.
    kind: FamilyType,
    /// Its label names, in the order the seed writes them.
    labels: &'static [&'static str],
    /// The values of the labels the documents enumerate; a label not listed here is an open set.
    values: &'static [(&'static str, &'static [&'static str])],
    /// The bucket bounds of a histogram, `+Inf` left out.
    buckets: Option<&'static [f64]>,
}

const MODEL: (&str, &[&str]) = ("model", &["gpt-4o", "claude-3-5-sonnet", "llama-3-70b"]);
const STATUS: (&str, &[&str]) = ("status", &["ok", "error", "timeout"]);
const TOKEN_TYPE: (&str, &[&str]) = ("type", &["input", "output"]);

/// The families of the seed's "Metrics Registry", in its order.
const SEED: [SeedFamily; 6] = [
    SeedFamily {
        name: "llmdevops_llm_requests_total",
        kind: FamilyType::Counter,
        labels: &["model", "status"],
        values: &[MODEL, STATUS],
        buckets: None,
    },
    SeedFamily {
        name: "llmdevops_llm_tokens_total",
        kind: FamilyType::Counter,
        labels: &["model", "type"],
        values: &[MODEL, TOKEN_TYPE],
        buckets: None,
    },
    SeedFamily {
        name: "llmdevops_llm_request_duration_seconds",
        kind: FamilyType::Histogram,
        labels: &["model"],
        values: &[MODEL],
        buckets: Some(&[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0]),
    },
    SeedFamily {
        name: "llmdevops_agent_executions_total",
        kind: FamilyType::Counter,
        labels: &["agent", "status"],
        values: &[STATUS],
        buckets: None,
    },
    SeedFamily {
        name: "llmdevops_agent_steps_total",
        kind: FamilyType::Counter,
        labels: &["agent", "step_type"],
        values: &[],
        buckets: None,
    },
    SeedFamily {
        name: "llmdevops_agent_tool_calls_total",
        kind: FamilyType::Counter,
        labels: &["agent", "tool"],
        values: &[],
        buckets: None,
    },
];

/// The example's `llmdevops_` families that the seed does not name (DESIGN.md's in-flight gauge and spend,
/// and the agent collector's `set(gauge)`): allowed beside the table, and nothing else is.
const BESIDE_THE_SEED: [&str; 3] =
    ["llmdevops_llm_inflight", "llmdevops_llm_cost_dollars_total", "llmdevops_agent_active_runs"];

/// The seed's "With Configuration Manager" schema, as written there.
const SEED_CONFIG: &str = r#"# Configuration schema integration
prometheus_metrics:
  enabled: true
  endpoint:
    path: "/metrics"
    port: 9090
  cache:
    enabled: true
    ttl_ms: 1000
  cardinality:
    max_per_metric: 1000
    total_limit: 10000
  compression:
    enabled: true
    min_size_bytes: 1024
  collectors:
    llm: true
    agent: true
    process: true
    runtime: true
"#;

/// The content type of the seed's scrape response.
const SEED_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The name of a sample without the histogram suffix it carries.
fn family_of_sample<'a>(row: &SeedFamily, sample: &'a str) -> Option<&'a str> {
    match row.kind {
        FamilyType::Histogram => ["_bucket", "_sum", "_count"].iter().find_map(|s| sample.strip_suffix(s)),
        _ => Some(sample),
    }
}

/// Checks one row of the table against a 0.0.4 exposition; returns, for each label, the values seen on
/// series that moved (a counter above 0, a histogram with observations).
fn check_row(text: &Exposition, row: &SeedFamily) -> BTreeMap<&'static str, BTreeSet<String>> {
    let family = text.family(row.name).unwrap_or_else(|| panic!("the scrape has no family {}", row.name));
    assert_eq!(family.kind, row.kind, "{}: type", row.name);
    assert!(family.help.as_deref().is_some_and(|h| !h.is_empty()), "{}: no HELP", row.name);
    assert!(!family.samples.is_empty(), "{}: no samples", row.name);

    let mut seen: BTreeMap<&str, BTreeSet<String>> = row.labels.iter().map(|l| (*l, BTreeSet::new())).collect();
    let mut moved: BTreeMap<&'static str, BTreeSet<String>> =
        row.labels.iter().map(|l| (*l, BTreeSet::new())).collect();
    let mut les: BTreeMap<Vec<(String, String)>, Vec<String>> = BTreeMap::new();
    for sample in &family.samples {
        assert_eq!(family_of_sample(row, &sample.name), Some(row.name), "{}: sample {}", row.name, sample.name);
        let names: Vec<&str> = sample.labels.iter().map(|(n, _)| n.as_str()).collect();
        let is_bucket = row.kind == FamilyType::Histogram && sample.name.ends_with("_bucket");
        let mut want: Vec<&str> = row.labels.to_vec();
        if is_bucket {
            want.push("le");
        }
        assert_eq!(names, want, "{}: the labels of {}", row.name, sample.series());
        let series: Vec<(String, String)> = sample.labels.iter().filter(|(n, _)| n != "le").cloned().collect();
        if is_bucket {
            les.entry(series.clone()).or_default().push(sample.label("le").unwrap().to_owned());
        }
        let counts = match row.kind {
            FamilyType::Histogram => sample.name.ends_with("_count"),
            _ => true,
        };
        for (name, value) in &series {
            seen.get_mut(name.as_str()).unwrap().insert(value.clone());
            if counts && sample.value > 0.0 {
                moved.get_mut(name.as_str()).unwrap().insert(value.clone());
            }
        }
    }

    // Enumerated labels carry only the documents' values; a family whose labels are all enumerated has
    // every combination from the start.
    for (label, values) in row.values {
        let want: BTreeSet<String> = values.iter().map(|v| (*v).to_owned()).collect();
        assert!(seen[label].is_subset(&want), "{}: the values of `{label}`: {:?}", row.name, seen[label]);
        if row.values.len() == row.labels.len() {
            assert_eq!(seen[label], want, "{}: the values of `{label}`", row.name);
        }
    }

    // Every histogram series has exactly the documents' buckets, then +Inf.
    if let Some(buckets) = row.buckets {
        assert!(!les.is_empty(), "{}: no buckets", row.name);
        for (series, les) in &les {
            let bounds: Vec<f64> = les[..les.len() - 1].iter().map(|le| le.parse().unwrap()).collect();
            assert_eq!(bounds, buckets, "{}{series:?}: bucket bounds", row.name);
            assert_eq!(les.last().map(String::as_str), Some("+Inf"), "{}{series:?}", row.name);
        }
    }
    moved
}

/// Checks the whole table against a 0.0.4 exposition, and that the only other `llmdevops_` families are
/// the allowed ones; returns the moved values of each row.
fn check_table(text: &Exposition) -> Vec<BTreeMap<&'static str, BTreeSet<String>>> {
    let moved = SEED.iter().map(|row| check_row(text, row)).collect();
    for family in text.families().iter().filter(|f| f.name.starts_with("llmdevops_")) {
        assert!(
            SEED.iter().any(|r| r.name == family.name) || BESIDE_THE_SEED.contains(&family.name.as_str()),
            "a family the seed does not name: {}",
            family.name
        );
    }
    // The seed's order: the LLM collector's families, then the agent collector's.
    let order: Vec<&str> =
        text.families().iter().map(|f| f.name.as_str()).filter(|n| SEED.iter().any(|r| r.name == *n)).collect();
    assert_eq!(order, SEED.map(|r| r.name));
    moved
}

/// Whether the series that moved carry every value the documents list for `row`'s labels, and some value of
/// each open label.
fn every_value_moved(row: &SeedFamily, moved: &BTreeMap<&'static str, BTreeSet<String>>) -> bool {
    row.labels.iter().all(|label| match row.values.iter().find(|(l, _)| l == label) {
        Some((_, values)) => values.iter().all(|v| moved[label].contains(*v)),
        None => !moved[label].is_empty(),
    })
}

/// Checks the table against Python's strict OpenMetrics parser's reading of an OpenMetrics body.
fn check_python(body: &[u8]) {
    let families = python_parse(body, true).unwrap_or_else(|e| panic!("Python's parser refused: {e}"));
    for row in &SEED {
        // OpenMetrics names a counter's family without `_total`.
        let name = row.name.strip_suffix("_total").unwrap_or(row.name);
        let family = families.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("Python has no {name}"));
        assert_eq!(family.kind, row.kind.as_str(), "{name}");
        for sample in &family.samples {
            let mut want: Vec<&str> = row.labels.to_vec();
            if sample.name.ends_with("_bucket") {
                want.push("le");
            }
            want.sort_unstable();
            let names: Vec<&str> = sample.labels.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, want, "{name}: Python's sample {}", sample.name);
        }
    }
}

/// Scrapes `/metrics` as the seed's scrape flow does (`Accept: text/plain`, gzip accepted) and checks the
/// response it describes; returns the body, decompressed, and its strict parse.
async fn scrape_text(addr: SocketAddr) -> (String, Exposition) {
    let reply = get(addr, "/metrics", &[("accept", "text/plain"), ("accept-encoding", "gzip")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), SEED_CONTENT_TYPE);
    assert_eq!(reply.header("content-encoding"), "gzip", "a body over min_size_bytes is gzipped");
    let body = String::from_utf8(gunzip(&reply.body)).unwrap();
    let exposition = parse(&body, Format::Text).unwrap_or_else(|e| panic!("invalid 0.0.4 exposition: {e}\n{body}"));
    (body, exposition)
}

/// Scrapes as Prometheus 2 asks (OpenMetrics), without compression, and checks it strictly.
async fn scrape_openmetrics(addr: SocketAddr) -> Vec<u8> {
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), suite::http::OPENMETRICS);
    let text = reply.text();
    parse(&text, Format::OpenMetrics).unwrap_or_else(|e| panic!("invalid OpenMetrics exposition: {e}\n{text}"));
    reply.body
}

/// Starts the example with the seed's configuration and `extra` arguments.
fn start(tmp: &Scratch, extra: &[&str]) -> (suite::programs::Running, SocketAddr) {
    let binary = build_example("llm_service");
    let config = tmp.join("prometheus_metrics.yaml");
    std::fs::write(&config, SEED_CONFIG).unwrap();
    let mut args = vec!["--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    start_serving(&binary, &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_of_the_seed_is_exposed_as_the_document_names_it() {
    let tmp = Scratch::new("seed-000");
    let (_example, addr) = start(&tmp, &["--deterministic"]);

    // The HTTP layer of the seed's component diagram.
    for path in ["/health", "/ready"] {
        assert_eq!(get(addr, path, &[]).await.status, 200, "{path}");
    }

    let (body, text) = scrape_text(addr).await;
    let moved = check_table(&text);
    // Each family holds series that moved, and every enumerated value has moved on one.
    for (row, moved) in SEED.iter().zip(&moved) {
        assert!(every_value_moved(row, moved), "{}: the values that moved: {moved:?}", row.name);
    }
    let tokens = text.family("llmdevops_llm_tokens_total").unwrap();
    assert_eq!(tokens.value("llmdevops_llm_tokens_total", &[("model", "gpt-4o"), ("type", "output")]), Some(812.0));
    let steps = text.family("llmdevops_agent_steps_total").unwrap();
    assert_eq!(steps.value("llmdevops_agent_steps_total", &[("agent", "planner"), ("step_type", "plan")]), Some(7.0));

    promtool_check(body.as_bytes()).unwrap_or_else(|e| panic!("promtool: {e}\n{body}"));
    check_python(&scrape_openmetrics(addr).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_traffic_moves_every_label_value_the_documents_list() {
    let tmp = Scratch::new("seed-000-traffic");
    let (_example, addr) = start(&tmp, &[]);

    // Poll until the traffic has moved every enumerated value of every family, and every open label.
    let (body, text) = poll("traffic on every label value", Duration::from_secs(90), || async {
        let (body, text) = scrape_text(addr).await;
        // Open families have no series before the first agent run finishes.
        if !SEED.iter().all(|row| text.family(row.name).is_some_and(|f| !f.samples.is_empty())) {
            return None;
        }
        let moved = check_table(&text);
        let done = SEED.iter().zip(&moved).all(|(row, moved)| every_value_moved(row, moved));
        done.then_some((body, text))
    })
    .await;

    // The agent collector's open labels: several agents, tools and step types.
    let moved = check_table(&text);
    assert!(moved[4]["step_type"].len() >= 3, "step types seen: {:?}", moved[4]["step_type"]);
    assert!(moved[5]["tool"].len() >= 2, "tools seen: {:?}", moved[5]["tool"]);
    assert!(moved[3]["agent"].len() >= 2, "agents seen: {:?}", moved[3]["agent"]);

    promtool_check(body.as_bytes()).unwrap_or_else(|e| panic!("promtool: {e}\n{body}"));
    check_python(&scrape_openmetrics(addr).await);
}

/// The documents of `deploy/llm-service.yaml`, by kind.
fn deployment_documents() -> BTreeMap<String, serde_norway::Value> {
    use serde::Deserialize;
    let path = format!("{}/deploy/llm-service.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let mut docs = BTreeMap::new();
    for doc in serde_norway::Deserializer::from_str(&text) {
        let value = serde_norway::Value::deserialize(doc).unwrap_or_else(|e| panic!("{path}: {e}"));
        let kind = value["kind"].as_str().unwrap_or_else(|| panic!("{path}: a document without kind")).to_owned();
        assert!(docs.insert(kind.clone(), value).is_none(), "{path}: two {kind} documents");
    }
    docs
}

fn str_at<'a>(value: &'a serde_norway::Value, what: &str) -> &'a str {
    value.as_str().unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployment_serves_the_seed_families_on_9090_to_a_bearer_token_with_metrics_read() {
    let docs = deployment_documents();
    let config = str_at(&docs["ConfigMap"]["data"]["prometheus_metrics.yaml"], "the ConfigMap's config");
    let token = str_at(&docs["Secret"]["stringData"]["token"], "the Secret's token");
    let container = &docs["Deployment"]["spec"]["template"]["spec"]["containers"][0];

    // The embedded pattern's :9090, everywhere the deployment names the port.
    assert_eq!(container["ports"][0]["containerPort"].as_u64(), Some(9090));
    assert_eq!(docs["Service"]["spec"]["ports"][0]["port"].as_u64(), Some(9090));
    let endpoint = &docs["ServiceMonitor"]["spec"]["endpoints"][0];
    assert_eq!(str_at(&endpoint["path"], "the ServiceMonitor's path"), "/metrics");
    assert_eq!(str_at(&endpoint["authorization"]["type"], "the ServiceMonitor's authorization"), "Bearer");
    assert_eq!(str_at(&endpoint["authorization"]["credentials"]["key"], "its key"), "token");
    let secret = str_at(&docs["Secret"]["metadata"]["name"], "the Secret's name");
    assert_eq!(str_at(&endpoint["authorization"]["credentials"]["name"], "its secret"), secret);

    // The container's arguments and environment, with the Secret's token where Kubernetes puts it.
    let args: Vec<&str> = container["args"].as_sequence().unwrap().iter().map(|a| str_at(a, "an arg")).collect();
    assert_eq!(args[0], "--config");
    let mut env = vec![];
    for var in container["env"].as_sequence().unwrap() {
        let name = str_at(&var["name"], "an env name");
        if let Some(value) = var["value"].as_str() {
            env.push(format!("{name}={}", value.replace("$(SCRAPE_TOKEN)", token)));
        } else {
            assert_eq!(str_at(&var["valueFrom"]["secretKeyRef"]["name"], "the secret ref"), secret, "{name}");
        }
    }
    assert!(env.iter().any(|e| e.starts_with("PROMETHEUS_METRICS_AUTH_TOKENS=")), "{env:?}");

    // Run the example as the pod does (its address moved to loopback, a free port).
    let tmp = Scratch::new("seed-000-deploy");
    let config_file = tmp.join("prometheus_metrics.yaml");
    std::fs::write(&config_file, config).unwrap();
    let vars = env.iter().map(|e| e.split_once('=').unwrap());
    let parsed = promstruct::config::Config::load(Some(&config_file), vars).unwrap();
    assert_eq!(parsed.endpoint.port, 9090);
    assert_eq!(parsed.endpoint.path, "/metrics");
    assert!(parsed.endpoint.host.is_unspecified(), "the pod must listen beyond loopback");
    assert!(parsed.auth.enabled);
    let scopes: Vec<&str> = parsed.auth.tokens.iter().flat_map(|t| t.scopes.iter().map(String::as_str)).collect();
    assert_eq!(scopes, ["metrics:read"]);
    let binary = build_example("llm_service");
    let mut argv: Vec<&str> = env.iter().map(String::as_str).collect();
    argv.push(binary.to_str().unwrap());
    argv.extend(["--config", config_file.to_str().unwrap(), "--listen", "127.0.0.1:0", "--deterministic"]);
    let (_pod, addr) = start_serving(std::path::Path::new("env"), &argv);

    // The probes stay open; the scrape wants the token.
    for path in ["/health", "/ready"] {
        assert_eq!(get(addr, path, &[]).await.status, 200, "{path}");
    }
    assert_eq!(get(addr, "/metrics", &[]).await.status, 401);
    assert_eq!(get(addr, "/metrics", &[("authorization", "Bearer not-the-token")]).await.status, 401);
    let bearer = format!("Bearer {token}");
    let reply = get(addr, "/metrics", &[("authorization", &bearer), ("accept", "text/plain")]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), SEED_CONTENT_TYPE);
    let text = reply.text();
    check_table(&parse(&text, Format::Text).unwrap_or_else(|e| panic!("invalid exposition: {e}\n{text}")));
    promtool_check(text.as_bytes()).unwrap_or_else(|e| panic!("promtool: {e}\n{text}"));
}
