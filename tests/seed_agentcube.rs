//! Seed 001, the AgentCube proposal "Add Prometheus Metrics for Workload Manager and Router
//! Observability", held against the agentcube example: every family the document names, with the type,
//! label names and label values it gives, served by the server it assigns it to (the workload manager or
//! the router) and by that one only, in expositions that our strict parser, promtool (no lint finding)
//! and Python's strict OpenMetrics parser all accept.
//!
//! The table is written from the document, not from the example's code.

mod agentcube_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use agentcube_support::{Agentcube, scrape_openmetrics, scrape_text, start};
use promstruct_testing::{Exposition, ParsedFamily};
use suite::http::get;
use suite::programs::{build_example, poll};
use suite::validators::{promtool_check, python_parse};

/// The server that serves a family: the document's headings say which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    /// "Sandbox Lifecycle (Workload Manager)" and "Garbage Collection (Workload Manager)".
    WorkloadManager,
    /// "Request Proxy (Router)".
    Router,
}

/// What the document says about a histogram's buckets. It gives no bounds: only "Histogram buckets
/// aligned with expected latency ranges (sub-second for store ops, multi-second for sandbox creation)".
/// It also states an SLO on creation latency (p99 < 30 s): a quantile can only be compared with 30 s if
/// 30 is a bound, so the creation histogram must have one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Buckets {
    /// Not a histogram.
    None,
    /// A histogram for which the document says nothing of its bounds: the example gives it native
    /// buckets only, which the text formats show as the `+Inf` bucket alone (with `_sum` and `_count`).
    NotGiven,
    /// "multi-second for sandbox creation": bounds of several seconds.
    MultiSecond,
}

/// One family the document names.
struct Row {
    /// The name as the document writes it (a counter's with `_total`, as the 0.0.4 text format exposes it).
    name: &'static str,
    /// The type the document gives.
    kind: &'static str,
    /// Its labels, in the document's order, each with the values the document lists.
    labels: &'static [(&'static str, &'static [&'static str])],
    buckets: Buckets,
    server: Server,
}

const KIND: (&str, &[&str]) = ("kind", &["AgentRuntime", "CodeInterpreter"]);

/// Every family of the document, in its order.
const DOCUMENT: [Row; 11] = [
    // 1. Sandbox Lifecycle (Workload Manager)
    Row {
        name: "agentcube_sandbox_create_duration_seconds",
        kind: "histogram",
        labels: &[KIND, ("status", &["success", "failure"])],
        buckets: Buckets::MultiSecond,
        server: Server::WorkloadManager,
    },
    Row {
        name: "agentcube_sandbox_create_total",
        kind: "counter",
        labels: &[KIND, ("status", &["success", "failure"])],
        buckets: Buckets::None,
        server: Server::WorkloadManager,
    },
    Row {
        name: "agentcube_sandbox_delete_total",
        kind: "counter",
        labels: &[KIND],
        buckets: Buckets::None,
        server: Server::WorkloadManager,
    },
    Row {
        name: "agentcube_sandbox_rollback_total",
        kind: "counter",
        labels: &[],
        buckets: Buckets::None,
        server: Server::WorkloadManager,
    },
    // 2. Garbage Collection (Workload Manager)
    Row {
        name: "agentcube_gc_cycle_duration_seconds",
        kind: "histogram",
        labels: &[],
        buckets: Buckets::NotGiven,
        server: Server::WorkloadManager,
    },
    Row {
        name: "agentcube_gc_sandboxes_reclaimed_total",
        kind: "counter",
        labels: &[("reason", &["expired", "inactive"])],
        buckets: Buckets::None,
        server: Server::WorkloadManager,
    },
    Row {
        name: "agentcube_gc_errors_total",
        kind: "counter",
        labels: &[],
        buckets: Buckets::None,
        server: Server::WorkloadManager,
    },
    // 3. Request Proxy (Router)
    Row {
        name: "agentcube_router_request_duration_seconds",
        kind: "histogram",
        labels: &[KIND],
        buckets: Buckets::NotGiven,
        server: Server::Router,
    },
    Row {
        name: "agentcube_router_proxy_errors_total",
        kind: "counter",
        labels: &[("category", &["connection_refused", "timeout", "other"])],
        buckets: Buckets::None,
        server: Server::Router,
    },
    Row {
        name: "agentcube_router_concurrent_requests",
        kind: "gauge",
        labels: &[],
        buckets: Buckets::None,
        server: Server::Router,
    },
    Row {
        name: "agentcube_router_session_create_total",
        kind: "counter",
        labels: &[],
        buckets: Buckets::None,
        server: Server::Router,
    },
];

/// Not named by the document, and the only family added to it: the gauge "reflecting current concurrency
/// against the configured limit" needs that limit beside it to be read against.
const ADDED: [Row; 1] = [Row {
    name: "agentcube_router_max_concurrent_requests",
    kind: "gauge",
    labels: &[],
    buckets: Buckets::None,
    server: Server::Router,
}];

/// The families besides `agentcube_*` that a server may serve: the process and runtime collectors and
/// the metrics handler's own.
const OTHER_PREFIXES: [&str; 3] = ["process_", "tokio_", "promstruct_"];

/// The OpenMetrics name of a family the document names as 0.0.4 does: a counter's without `_total`.
fn openmetrics_name(row: &Row) -> &'static str {
    match row.kind {
        "counter" => row.name.strip_suffix("_total").expect("the document's counters end in _total"),
        _ => row.name,
    }
}

/// The rows `server` must serve: the document's and the one added.
fn rows(server: Server) -> Vec<&'static Row> {
    DOCUMENT.iter().chain(ADDED.iter()).filter(|r| r.server == server).collect()
}

/// Checks `family` (found in `exposition`) against `row`: type, label names, label values and buckets.
fn check_row(row: &Row, family: &ParsedFamily, format: &str) {
    let name = row.name;
    assert_eq!(family.kind.as_str(), row.kind, "{format}: {name}'s type");
    assert!(family.help.as_deref().is_some_and(|h| !h.is_empty()), "{format}: {name} has no help");
    let want_names: Vec<&str> = row.labels.iter().map(|(n, _)| *n).collect();
    let mut values: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut series: BTreeSet<Vec<(&str, &str)>> = BTreeSet::new();
    let mut bounds: BTreeSet<String> = BTreeSet::new();
    for sample in &family.samples {
        if sample.name.ends_with("_created") {
            continue;
        }
        let names: Vec<&str> = sample.labels.iter().map(|(n, _)| n.as_str()).filter(|n| *n != "le").collect();
        assert_eq!(names, want_names, "{format}: {}'s label names", sample.series());
        let labels: Vec<(&str, &str)> =
            sample.labels.iter().filter(|(n, _)| n != "le").map(|(n, v)| (n.as_str(), v.as_str())).collect();
        for (label, value) in &labels {
            values.entry(label).or_default().insert(value);
        }
        series.insert(labels);
        if let Some(le) = sample.label("le") {
            bounds.insert(le.to_owned());
        }
    }
    for (label, want) in row.labels {
        let got: Vec<&str> = values.get(label).map(|v| v.iter().copied().collect()).unwrap_or_default();
        let mut want: Vec<&str> = want.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{format}: the values of {name}'s label {label}");
    }
    // Every combination of the values is a series, from the start.
    let combinations: usize = row.labels.iter().map(|(_, v)| v.len()).product();
    assert_eq!(series.len(), combinations, "{format}: {name}'s series: {series:?}");

    let finite: Vec<f64> = bounds.iter().filter(|b| *b != "+Inf").map(|b| b.parse().unwrap()).collect();
    match row.buckets {
        Buckets::None => assert!(bounds.is_empty(), "{format}: {name} has buckets"),
        Buckets::NotGiven => {
            assert!(bounds.contains("+Inf") && finite.is_empty(), "{format}: {name}'s buckets: {bounds:?}");
        }
        Buckets::MultiSecond => {
            assert!(bounds.contains("+Inf"), "{format}: {name} has no +Inf bucket");
            let multi_second = finite.iter().filter(|b| **b >= 2.0).count();
            assert!(multi_second >= 2, "{format}: {name} has no multi-second buckets: {bounds:?}");
            assert!(finite.contains(&30.0), "{format}: {name} has no bound at the SLO's 30 s: {bounds:?}");
        }
    }
}

/// Checks one server's exposition in `format` against its rows, and that it serves nothing else.
fn check_server(server: Server, exposition: &Exposition, format: &str, name_of: fn(&Row) -> &'static str) {
    let mut served: Vec<&str> =
        exposition.families().iter().filter(|f| f.name.starts_with("agentcube_")).map(|f| f.name.as_str()).collect();
    served.sort_unstable();
    let mut want: Vec<&str> = rows(server).into_iter().map(name_of).collect();
    want.sort_unstable();
    assert_eq!(served, want, "{format}: the agentcube families of the {server:?}");
    for family in exposition.families().iter().filter(|f| !f.name.starts_with("agentcube_")) {
        assert!(
            OTHER_PREFIXES.iter().any(|p| family.name.starts_with(p)),
            "{format}: the {server:?} serves {}, nobody's family",
            family.name
        );
    }
    for row in rows(server) {
        let family = exposition.family(name_of(row)).unwrap_or_else(|| panic!("{format}: no {}", row.name));
        check_row(row, family, format);
    }
}

/// Waits until the simulated traffic has created sandboxes and routed requests, so that the expositions
/// checked hold real values.
async fn with_traffic(ac: &Agentcube) {
    poll("sandboxes created and requests routed", Duration::from_secs(30), || async {
        let (m, _) = scrape_openmetrics(ac.manager).await;
        let (r, _) = scrape_openmetrics(ac.router).await;
        let created: f64 = m.samples_named("agentcube_sandbox_create_total").map(|s| s.value).sum();
        let routed: f64 = r.samples_named("agentcube_router_request_duration_seconds_count").map(|s| s.value).sum();
        let cycles = m.value("agentcube_gc_cycle_duration_seconds_count", &[]).unwrap_or(0.0);
        (created >= 3.0 && routed >= 3.0 && cycles >= 1.0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_family_of_the_document_on_its_server_and_only_there() {
    let binary = build_example("agentcube");
    let ac = start(&binary, &["--listen", "127.0.0.1:0", "--router-listen", "127.0.0.1:0", "--gc-every", "0.2"]);
    with_traffic(&ac).await;
    for (server, addr) in [(Server::WorkloadManager, ac.manager), (Server::Router, ac.router)] {
        let health = get(addr, "/health", &[]).await;
        assert_eq!((health.status, health.text().as_str()), (200, "ok\n"), "the {server:?}'s /health");

        // 0.0.4 text, where each family is named as the document writes it; promtool finds nothing.
        let (text, body) = scrape_text(addr).await;
        check_server(server, &text, "text", |r| r.name);
        promtool_check(&body).unwrap_or_else(|e| panic!("the {server:?}: {e}"));

        // OpenMetrics: the same families, counters named without `_total`, their samples with it.
        let (openmetrics, body) = scrape_openmetrics(addr).await;
        check_server(server, &openmetrics, "OpenMetrics", openmetrics_name);
        for row in rows(server).into_iter().filter(|r| r.kind == "counter") {
            assert!(openmetrics.samples_named(row.name).next().is_some(), "no {} samples", row.name);
        }
        let families = python_parse(&body, true).unwrap_or_else(|e| panic!("the {server:?}: {e}"));
        let mut read: Vec<(String, String)> = families
            .iter()
            .filter(|f| f.name.starts_with("agentcube_"))
            .map(|f| (f.name.clone(), f.kind.clone()))
            .collect();
        read.sort();
        let mut want: Vec<(String, String)> =
            rows(server).into_iter().map(|r| (openmetrics_name(r).to_owned(), r.kind.to_owned())).collect();
        want.sort();
        assert_eq!(read, want, "what Python read from the {server:?}");
    }
}
