//! The agentcube example: the workload manager and the router are two servers, each with its API and its
//! own families on `/metrics`; every API call moves exactly the metrics it should, by exactly as much, and
//! nothing else; the router's concurrency gauge stays within its exposed limit; the simulated traffic
//! moves every label value.

mod agentcube_support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use agentcube_support::{Agentcube, scrape_openmetrics, start};
use promstruct_testing::Exposition;
use serde_json::Value;
use suite::http::{Reply, get, request, request_with_body};
use suite::programs::{Scratch, build_example, poll};

const KINDS: [&str; 2] = ["AgentRuntime", "CodeInterpreter"];

/// The families of each server, with their types, in the order declared.
const MANAGER_FAMILIES: [(&str, &str); 7] = [
    ("agentcube_sandbox_create_duration_seconds", "histogram"),
    ("agentcube_sandbox_create", "counter"),
    ("agentcube_sandbox_delete", "counter"),
    ("agentcube_sandbox_rollback", "counter"),
    ("agentcube_gc_cycle_duration_seconds", "histogram"),
    ("agentcube_gc_sandboxes_reclaimed", "counter"),
    ("agentcube_gc_errors", "counter"),
];
const ROUTER_FAMILIES: [(&str, &str); 5] = [
    ("agentcube_router_request_duration_seconds", "histogram"),
    ("agentcube_router_proxy_errors", "counter"),
    ("agentcube_router_concurrent_requests", "gauge"),
    ("agentcube_router_max_concurrent_requests", "gauge"),
    ("agentcube_router_session_create", "counter"),
];

/// Which server a sample comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Server {
    Manager,
    Router,
}
use Server::{Manager, Router};

/// A sample: its server, name and labels (sorted).
type Key = (Server, String, Vec<(String, String)>);

fn key(server: Server, name: &str, labels: &[(&str, &str)]) -> Key {
    let mut labels: Vec<(String, String)> = labels.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
    labels.sort();
    (server, name.to_owned(), labels)
}

/// Every `agentcube_*` sample of both servers that counts calls: all of them but `_created` and the
/// histograms' `_bucket` and `_sum` (which depend on the times taken).
async fn counts(ac: &Agentcube) -> BTreeMap<Key, f64> {
    let mut out = BTreeMap::new();
    for (server, addr) in [(Manager, ac.manager), (Router, ac.router)] {
        let (exposition, _) = scrape_openmetrics(addr).await;
        for s in exposition.samples().filter(|s| s.name.starts_with("agentcube_")) {
            if ["_created", "_bucket", "_sum"].iter().any(|suffix| s.name.ends_with(suffix)) {
                continue;
            }
            let labels: Vec<(&str, &str)> = s.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            out.insert(key(server, &s.name, &labels), s.value);
        }
    }
    out
}

/// What moved between two [`counts`], and by how much.
fn moved(before: &BTreeMap<Key, f64>, after: &BTreeMap<Key, f64>) -> BTreeMap<Key, f64> {
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>(), "the same series");
    after.iter().map(|(k, v)| (k.clone(), v - before[k])).filter(|(_, d)| *d != 0.0).collect()
}

/// The moves a test expects.
#[derive(Default)]
struct Expected(BTreeMap<Key, f64>);

impl Expected {
    fn add(&mut self, server: Server, name: &str, labels: &[(&str, &str)], by: f64) {
        *self.0.entry(key(server, name, labels)).or_default() += by;
    }

    /// A creation through the workload manager (directly or for a router session) that answered `reply`.
    fn creation(&mut self, kind: &str, reply: &Reply) {
        let status = if reply.status == 503 { "failure" } else { "success" };
        self.add(Manager, "agentcube_sandbox_create_total", &[("kind", kind), ("status", status)], 1.0);
        self.add(
            Manager,
            "agentcube_sandbox_create_duration_seconds_count",
            &[("kind", kind), ("status", status)],
            1.0,
        );
        if reply.status == 503 && json(&reply.body)["rolled_back"] == true {
            self.add(Manager, "agentcube_sandbox_rollback_total", &[], 1.0);
        }
    }

    /// A request the router proxied into a sandbox of `kind`, answered `reply`.
    fn proxied(&mut self, kind: &str, reply: &Reply) {
        self.add(Router, "agentcube_router_request_duration_seconds_count", &[("kind", kind)], 1.0);
        if reply.status != 200 {
            let category = json(&reply.body)["category"].as_str().expect("a proxy error's category").to_owned();
            let status = if category == "timeout" { 504 } else { 502 };
            assert_eq!(reply.status, status, "{category}: {}", reply.text());
            self.add(Router, "agentcube_router_proxy_errors_total", &[("category", &category)], 1.0);
        }
    }

    #[track_caller]
    fn check(&mut self, before: &BTreeMap<Key, f64>, after: &BTreeMap<Key, f64>, what: &str) {
        let expected: BTreeMap<Key, f64> = std::mem::take(&mut self.0).into_iter().filter(|(_, d)| *d != 0.0).collect();
        assert_eq!(moved(before, after), expected, "{what}");
    }
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

fn v(exposition: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    exposition.value(name, labels).unwrap_or_else(|| panic!("no sample {name}{labels:?}"))
}

async fn post_json(addr: SocketAddr, path: &str, body: &str) -> Reply {
    request_with_body(addr, "POST", path, &[("content-type", "application/json")], body).await
}

/// Creates a sandbox of `kind` through the workload manager: `Some(id)` on 201, `None` on 503.
async fn create(ac: &Agentcube, kind: &str, expected: &mut Expected) -> Option<String> {
    let reply = post_json(ac.manager, "/v1/sandboxes", &format!("{{\"kind\": \"{kind}\"}}")).await;
    expected.creation(kind, &reply);
    match reply.status {
        201 => {
            let body = json(&reply.body);
            assert_eq!(body["kind"], kind);
            Some(body["id"].as_str().unwrap().to_owned())
        }
        503 => None,
        other => panic!("POST /v1/sandboxes answered {other}: {}", reply.text()),
    }
}

/// Runs garbage-collection cycles through `POST /v1/gc` until `n` sandboxes were reclaimed, each for
/// `reason`, adding what each cycle must move to `expected`; returns their ids, sorted.
async fn collect_garbage(ac: &Agentcube, reason: &str, n: usize, expected: &mut Expected) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut reclaimed = Vec::new();
    while reclaimed.len() < n {
        assert!(std::time::Instant::now() < deadline, "only {reclaimed:?} of {n} reclaimed after 20 s");
        let reply = request(ac.manager, "POST", "/v1/gc", &[]).await;
        expected.add(Manager, "agentcube_gc_cycle_duration_seconds_count", &[], 1.0);
        match reply.status {
            200 => {}
            // A failed cycle is counted once, however many of its deletions failed.
            500 => {
                assert!(json(&reply.body)["error"].is_string(), "{}", reply.text());
                expected.add(Manager, "agentcube_gc_errors_total", &[], 1.0);
            }
            other => panic!("POST /v1/gc answered {other}: {}", reply.text()),
        }
        for r in json(&reply.body)["reclaimed"].as_array().unwrap() {
            assert_eq!(r["reason"], reason, "{r}");
            expected.add(Manager, "agentcube_gc_sandboxes_reclaimed_total", &[("reason", reason)], 1.0);
            expected.add(Manager, "agentcube_sandbox_delete_total", &[("kind", r["kind"].as_str().unwrap())], 1.0);
            reclaimed.push(r["id"].as_str().unwrap().to_owned());
        }
        if reclaimed.len() < n {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    reclaimed.sort();
    reclaimed
}

/// The example with no simulated traffic, no scrape cache (each scrape shows the calls just made), the
/// garbage collector run only through `POST /v1/gc`, and `extra` flags.
fn start_quiet(tmp: &Scratch, extra: &[&str]) -> Agentcube {
    let binary = build_example("agentcube");
    let config = tmp.join("config.yaml");
    std::fs::write(&config, "prometheus_metrics:\n  cache: { enabled: false }\n").unwrap();
    let config = config.to_str().unwrap();
    let mut args = vec!["--listen", "127.0.0.1:0", "--router-listen", "127.0.0.1:0", "--config", config];
    args.extend(["--traffic", "false", "--gc-every", "0"]);
    args.extend(extra);
    start(&binary, &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_each_with_its_families_and_every_call_moves_exactly_its_metrics() {
    let tmp = Scratch::new("agentcube-api");
    let ac = start_quiet(&tmp, &["--idle-seconds", "1", "--ttl-seconds", "600"]);

    // Each server: its own families only, each with help, and its probes.
    for (addr, families) in [(ac.manager, &MANAGER_FAMILIES[..]), (ac.router, &ROUTER_FAMILIES[..])] {
        let (exposition, _) = scrape_openmetrics(addr).await;
        let declared: Vec<(&str, &str)> = exposition
            .families()
            .iter()
            .filter(|f| f.name.starts_with("agentcube_"))
            .map(|f| (f.name.as_str(), f.kind.as_str()))
            .collect();
        assert_eq!(declared, families, "{addr}");
        for family in exposition.families().iter().filter(|f| f.name.starts_with("agentcube_")) {
            assert!(family.help.as_deref().is_some_and(|h| !h.is_empty()), "{} has no help", family.name);
        }
        assert!(exposition.family("tokio_runtime_workers").is_some(), "the runtime collector is on by default");
        let health = get(addr, "/health", &[]).await;
        assert_eq!((health.status, health.text().as_str()), (200, "ok\n"), "{addr}");
        assert_eq!(get(addr, "/ready", &[]).await.status, 200, "{addr}");
    }
    // Each API is on its own server.
    assert_eq!(post_json(ac.router, "/v1/sandboxes", "{\"kind\": \"AgentRuntime\"}").await.status, 404);
    assert_eq!(request(ac.manager, "POST", "/v1/invoke/AgentRuntime", &[]).await.status, 404);
    assert_eq!(request(ac.router, "POST", "/v1/gc", &[]).await.status, 404);
    let start = counts(&ac).await;
    assert!(start.values().all(|v| *v == 0.0 || *v == 64.0), "nothing moved yet: {start:?}");
    assert_eq!(start[&key(Router, "agentcube_router_max_concurrent_requests", &[])], 64.0, "the default limit");
    let mut expected = Expected::default();

    // Creations through the workload manager: 201 or 503, counted by kind and outcome, failures after the
    // store placeholder rolled back.
    let before = counts(&ac).await;
    let mut created: Vec<(String, &str)> = Vec::new();
    for i in 0..24 {
        let kind = KINDS[i % 2];
        if let Some(id) = create(&ac, kind, &mut expected).await {
            created.push((id, kind));
        }
    }
    assert!(created.len() >= 12, "most creations succeed: {created:?}");
    let bad = post_json(ac.manager, "/v1/sandboxes", "{\"kind\": \"mainframe\"}").await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert!(bad.text().contains("mainframe") && bad.text().contains("CodeInterpreter"), "{}", bad.text());
    let after = counts(&ac).await;
    expected.check(&before, &after, "creations");
    // Creating a sandbox takes seconds: each success took at least 0.6 s (simulated).
    let (exposition, _) = scrape_openmetrics(ac.manager).await;
    for kind in KINDS {
        let success = [("kind", kind), ("status", "success")];
        let n = v(&exposition, "agentcube_sandbox_create_duration_seconds_count", &success);
        let sum = v(&exposition, "agentcube_sandbox_create_duration_seconds_sum", &success);
        assert!(sum >= 0.6 * n, "{kind}: {sum} s for {n} creations");
    }

    // Reading sandboxes moves nothing.
    let before = after;
    let (first, first_kind) = created[0].clone();
    let reply = get(ac.manager, &format!("/v1/sandboxes/{first}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply.body)["kind"], first_kind);
    assert_eq!(get(ac.manager, "/v1/sandboxes/sbx-nope", &[]).await.status, 404);
    let after = counts(&ac).await;
    expected.check(&before, &after, "reads");

    // Routing to each sandbox: the request's duration by kind, proxy errors by category, nothing on the
    // workload manager; an unknown sandbox is not proxied.
    let before = after;
    for (id, kind) in &created {
        let reply = request(ac.router, "POST", &format!("/v1/sandboxes/{id}/invoke"), &[]).await;
        assert!([200, 502, 504].contains(&reply.status), "invoke answered {}: {}", reply.status, reply.text());
        assert_eq!(reply.header("x-session-id"), id);
        expected.proxied(kind, &reply);
    }
    assert_eq!(request(ac.router, "POST", "/v1/sandboxes/sbx-nope/invoke", &[]).await.status, 404);
    let after = counts(&ac).await;
    expected.check(&before, &after, "routing to sandboxes");

    // New sessions: the router has the workload manager create a sandbox, counts the session, and proxies
    // the request; requests in that session create nothing.
    let before = after;
    let mut sessions: Vec<(String, &str)> = Vec::new();
    for i in 0..8 {
        let kind = KINDS[i % 2];
        let reply = request(ac.router, "POST", &format!("/v1/invoke/{kind}"), &[]).await;
        expected.creation(kind, &reply);
        match reply.status {
            503 => continue,
            200 | 502 | 504 => {}
            other => panic!("a new session answered {other}: {}", reply.text()),
        }
        assert_eq!(json(&reply.body)["created"], true);
        expected.add(Router, "agentcube_router_session_create_total", &[], 1.0);
        expected.proxied(kind, &reply);
        sessions.push((reply.header("x-session-id").to_owned(), kind));
    }
    assert!(sessions.len() >= 4, "most sessions start: {sessions:?}");
    for (session, kind) in &sessions {
        let reply = request(ac.router, "POST", &format!("/v1/invoke/{kind}"), &[("x-session-id", session)]).await;
        assert!([200, 502, 504].contains(&reply.status), "{}: {}", reply.status, reply.text());
        assert_eq!(json(&reply.body)["created"], false);
        assert_eq!(reply.header("x-session-id"), session);
        expected.proxied(kind, &reply);
        let other = KINDS.iter().find(|k| *k != kind).unwrap();
        let reply = request(ac.router, "POST", &format!("/v1/invoke/{other}"), &[("x-session-id", session)]).await;
        assert_eq!(reply.status, 404, "{session} is no {other} session: {}", reply.text());
    }
    assert_eq!(request(ac.router, "POST", "/v1/invoke/Mainframe", &[]).await.status, 400);
    let after = counts(&ac).await;
    expected.check(&before, &after, "sessions");
    created.extend(sessions);

    // Deleting through the API, by kind; a second delete finds nothing.
    let before = after;
    assert_eq!(request(ac.manager, "DELETE", &format!("/v1/sandboxes/{first}"), &[]).await.status, 204);
    assert_eq!(request(ac.manager, "DELETE", &format!("/v1/sandboxes/{first}"), &[]).await.status, 404);
    expected.add(Manager, "agentcube_sandbox_delete_total", &[("kind", first_kind)], 1.0);
    let after = counts(&ac).await;
    expected.check(&before, &after, "deletion");
    let remaining: Vec<(String, &str)> = created.into_iter().skip(1).collect();

    // The garbage collector, run on demand, reclaims the rest once inactive for a second: each cycle
    // timed, each failed one counted once, each sandbox reclaimed counted by reason and deleted by kind.
    let before = after;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reclaimed = collect_garbage(&ac, "inactive", remaining.len(), &mut expected).await;
    let after = counts(&ac).await;
    expected.check(&before, &after, "garbage collection");
    let mut ids: Vec<String> = remaining.iter().map(|(id, _)| id.clone()).collect();
    ids.sort();
    assert_eq!(reclaimed, ids, "every sandbox reclaimed once");
    for id in &ids {
        assert_eq!(get(ac.manager, &format!("/v1/sandboxes/{id}"), &[]).await.status, 404, "{id} reclaimed");
    }
    assert_eq!(after[&key(Router, "agentcube_router_concurrent_requests", &[])], 0.0, "nothing in flight");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_counts_concurrent_requests_against_its_exposed_limit() {
    let tmp = Scratch::new("agentcube-limit");
    let ac = start_quiet(&tmp, &["--max-concurrent-requests", "2"]);
    let start = counts(&ac).await;
    let mut expected = Expected::default();
    let mut sandbox = None;
    while sandbox.is_none() {
        sandbox = create(&ac, "CodeInterpreter", &mut expected).await;
    }
    let sandbox = sandbox.unwrap();
    let before = counts(&ac).await;
    expected.check(&start, &before, "creating the sandbox");
    assert_eq!(before[&key(Router, "agentcube_router_max_concurrent_requests", &[])], 2.0);
    assert_eq!(before[&key(Router, "agentcube_router_concurrent_requests", &[])], 0.0);

    // Two requests that the sandbox works on for 3 s fill the router's two places.
    let held: Vec<_> = (0..2)
        .map(|_| {
            let (router, path) = (ac.router, format!("/v1/sandboxes/{sandbox}/invoke?work_ms=3000"));
            tokio::spawn(async move { request(router, "POST", &path, &[]).await })
        })
        .collect();
    let during = poll("two requests in flight", Duration::from_secs(2), || async {
        let (e, _) = scrape_openmetrics(ac.router).await;
        let inflight = v(&e, "agentcube_router_concurrent_requests", &[]);
        assert!(inflight <= v(&e, "agentcube_router_max_concurrent_requests", &[]), "{inflight} over the limit");
        (inflight == 2.0).then_some(e)
    })
    .await;
    assert_eq!(v(&during, "agentcube_router_max_concurrent_requests", &[]), 2.0);
    // A third, to the sandbox or for a new session, is refused, and moves nothing: no proxying, no sandbox.
    let busy = request(ac.router, "POST", &format!("/v1/sandboxes/{sandbox}/invoke"), &[]).await;
    assert_eq!(busy.status, 429, "{}", busy.text());
    assert!(busy.text().contains("limit of 2"), "{}", busy.text());
    let busy = request(ac.router, "POST", "/v1/invoke/AgentRuntime", &[]).await;
    assert_eq!(busy.status, 429, "{}", busy.text());
    let still = counts(&ac).await;
    assert_eq!(still[&key(Router, "agentcube_router_concurrent_requests", &[])], 2.0, "the held two only");

    for task in held {
        let reply = task.await.unwrap();
        assert!([200, 502, 504].contains(&reply.status), "{}: {}", reply.status, reply.text());
        expected.proxied("CodeInterpreter", &reply);
    }
    let after = counts(&ac).await;
    expected.check(&before, &after, "two requests proxied, two refused");
    assert_eq!(after[&key(Router, "agentcube_router_concurrent_requests", &[])], 0.0);
    // Their duration is the sandbox's 3 s.
    let (e, _) = scrape_openmetrics(ac.router).await;
    let sum = v(&e, "agentcube_router_request_duration_seconds_sum", &[("kind", "CodeInterpreter")]);
    assert!((6.0..9.0).contains(&sum), "two requests of 3 s took {sum} s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_garbage_collector_reclaims_expired_sandboxes() {
    let tmp = Scratch::new("agentcube-gc");
    let ac = start_quiet(&tmp, &["--idle-seconds", "600", "--ttl-seconds", "1"]);
    let start = counts(&ac).await;
    let mut expected = Expected::default();
    let mut ids = Vec::new();
    for kind in KINDS.iter().cycle() {
        if ids.len() == 4 {
            break;
        }
        if let Some(id) = create(&ac, kind, &mut expected).await {
            ids.push(id);
        }
    }
    let before = counts(&ac).await;
    expected.check(&start, &before, "creations");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let reclaimed = collect_garbage(&ac, "expired", ids.len(), &mut expected).await;
    let after = counts(&ac).await;
    expected.check(&before, &after, "expired sandboxes reclaimed");
    ids.sort();
    assert_eq!(reclaimed, ids);
}

/// Label names, each with its values.
type Labels = &'static [(&'static str, &'static [&'static str])];

/// The families whose every label value the simulated traffic must move, with those labels.
const LABELLED: [(Server, &str, Labels); 6] = [
    (Manager, "agentcube_sandbox_create_total", &[("kind", &KINDS), ("status", &["success", "failure"])]),
    (
        Manager,
        "agentcube_sandbox_create_duration_seconds_count",
        &[("kind", &KINDS), ("status", &["success", "failure"])],
    ),
    (Manager, "agentcube_sandbox_delete_total", &[("kind", &KINDS)]),
    (Manager, "agentcube_gc_sandboxes_reclaimed_total", &[("reason", &["expired", "inactive"])]),
    (Router, "agentcube_router_request_duration_seconds_count", &[("kind", &KINDS)]),
    (Router, "agentcube_router_proxy_errors_total", &[("category", &["connection_refused", "timeout", "other"])]),
];
/// The unlabelled counts the simulated traffic must move.
const UNLABELLED: [(Server, &str); 4] = [
    (Manager, "agentcube_sandbox_rollback_total"),
    (Manager, "agentcube_gc_cycle_duration_seconds_count"),
    (Manager, "agentcube_gc_errors_total"),
    (Router, "agentcube_router_session_create_total"),
];

/// What the simulated traffic has not moved yet on the workload manager (`manager`) and the `router`.
fn unmoved(manager: &Exposition, router: &Exposition) -> Vec<String> {
    let on = |server: Server| if server == Manager { manager } else { router };
    let mut missing = Vec::new();
    for (server, name, labels) in LABELLED {
        for (label, values) in labels {
            for value in *values {
                let total: f64 =
                    on(server).samples_named(name).filter(|s| s.label(label) == Some(value)).map(|s| s.value).sum();
                if total == 0.0 {
                    missing.push(format!("{name}{{{label}=\"{value}\"}}"));
                }
            }
        }
    }
    for (server, name) in UNLABELLED {
        if on(server).value(name, &[]).unwrap_or(0.0) == 0.0 {
            missing.push(name.to_owned());
        }
    }
    missing
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_traffic_moves_every_label_value() {
    let binary = build_example("agentcube");
    let args = ["--listen", "127.0.0.1:0", "--router-listen", "127.0.0.1:0"];
    let ac = start(&binary, &[&args[..], &["--idle-seconds", "1", "--ttl-seconds", "2", "--gc-every", "0.1"]].concat());
    let (manager, router) = (ac.manager, ac.router);
    let mut last = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(90), async {
        loop {
            let (m, _) = scrape_openmetrics(manager).await;
            let (r, _) = scrape_openmetrics(router).await;
            last = unmoved(&m, &r);
            if last.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    })
    .await;
    assert!(found.is_ok(), "after 90 s of traffic, still unmoved: {last:?}");
}
