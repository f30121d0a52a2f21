//! The agentcube example: its API and `/metrics` share one port, it exposes exactly the declared
//! `agentcube_*` families, and every API call moves the metrics it should, by exactly as much.

mod http_support;

use std::collections::BTreeMap;
use std::time::Duration;

use http_support::programs::{Scratch, build_example, poll, start_serving};
use http_support::{PROMETHEUS_2_ACCEPT, get, request, request_with_body};
use metrics_runtime::Format;
use metrics_runtime::testing::{Exposition, parse};
use serde_json::Value;

const FAMILIES: [(&str, &str); 11] = [
    ("agentcube_sandbox_create_duration_seconds", "histogram"),
    ("agentcube_sandbox_create", "counter"),
    ("agentcube_sandbox_delete", "counter"),
    ("agentcube_sandbox_rollback", "counter"),
    ("agentcube_gc_cycle_duration_seconds", "histogram"),
    ("agentcube_gc_sandboxes_reclaimed", "counter"),
    ("agentcube_gc_errors", "counter"),
    ("agentcube_router_request_duration_seconds", "histogram"),
    ("agentcube_router_proxy_errors", "counter"),
    ("agentcube_router_concurrent_requests", "gauge"),
    ("agentcube_router_session_create", "counter"),
];

const KINDS: [&str; 3] = ["code-interpreter", "browser", "agent"];

/// Scrapes as Prometheus does and validates the exposition strictly.
async fn scrape(addr: std::net::SocketAddr) -> Exposition {
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), http_support::OPENMETRICS);
    let text = reply.text();
    parse(&text, Format::OpenMetrics).unwrap_or_else(|e| panic!("invalid exposition: {e}\n{text}"))
}

fn v(exposition: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    exposition.value(name, labels).unwrap_or_else(|| panic!("no sample {name}{labels:?}"))
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_and_metrics_share_a_port_and_every_call_is_counted() {
    let binary = build_example("agentcube");
    let tmp = Scratch::new("agentcube");
    let config = tmp.join("config.yaml");
    // No scrape cache, so each scrape shows the calls just made.
    std::fs::write(&config, "prometheus_metrics:\n  cache: { enabled: false }\n").unwrap();
    let config = config.to_str().unwrap();
    let (_app, addr) = start_serving(
        &binary,
        &[
            "--listen",
            "127.0.0.1:0",
            "--config",
            config,
            "--traffic",
            "false",
            "--idle-seconds",
            "1",
            "--gc-every",
            "0",
        ],
    );

    // Exactly the declared families, with their types, and nothing moved yet.
    let before = scrape(addr).await;
    let declared: Vec<(String, String)> = before
        .families()
        .iter()
        .filter(|f| f.name.starts_with("agentcube_"))
        .map(|f| (f.name.clone(), f.kind.as_str().to_owned()))
        .collect();
    assert_eq!(declared, FAMILIES.map(|(n, k)| (n.to_owned(), k.to_owned())));
    for family in before.families().iter().filter(|f| f.name.starts_with("agentcube_")) {
        assert!(family.help.as_deref().is_some_and(|h| !h.is_empty()), "{} has no help", family.name);
    }
    assert_eq!(v(&before, "agentcube_sandbox_create_total", &[("kind", "agent"), ("status", "success")]), 0.0);
    assert!(before.family("tokio_runtime_workers").is_some(), "the runtime collector is on by default");

    // Creations: each answered 201 or 503, and counted by kind and outcome.
    let mut created: Vec<(String, &str)> = Vec::new();
    let mut refused: BTreeMap<&str, u32> = BTreeMap::new();
    for i in 0..24 {
        let kind = KINDS[i % 3];
        let body = format!("{{\"kind\": \"{kind}\"}}");
        let reply =
            request_with_body(addr, "POST", "/v1/sandboxes", &[("content-type", "application/json")], &body).await;
        match reply.status {
            201 => {
                let created_json = json(&reply.body);
                assert_eq!(created_json["kind"], kind);
                created.push((created_json["id"].as_str().unwrap().to_owned(), kind));
            }
            503 => *refused.entry(kind).or_default() += 1,
            other => panic!("POST /v1/sandboxes answered {other}: {}", reply.text()),
        }
    }
    assert!(created.len() >= 12, "most creations succeed: {created:?}");
    let bad = request_with_body(
        addr,
        "POST",
        "/v1/sandboxes",
        &[("content-type", "application/json")],
        "{\"kind\": \"mainframe\"}",
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert!(bad.text().contains("mainframe"), "{}", bad.text());

    let after = scrape(addr).await;
    let mut rollbacks = 0.0;
    for kind in KINDS {
        let ok = created.iter().filter(|(_, k)| *k == kind).count() as f64;
        let success = [("kind", kind), ("status", "success")];
        assert_eq!(v(&after, "agentcube_sandbox_create_total", &success), ok, "{kind}");
        assert_eq!(v(&after, "agentcube_sandbox_create_duration_seconds_count", &success), ok, "{kind}");
        // Provisioning takes seconds: every successful creation took at least 0.4 s.
        let sum = v(&after, "agentcube_sandbox_create_duration_seconds_sum", &success);
        assert!(sum >= 0.4 * ok, "{kind}: {sum} s for {ok} creations");
        let failed = v(&after, "agentcube_sandbox_create_total", &[("kind", kind), ("status", "failed")])
            + v(&after, "agentcube_sandbox_create_total", &[("kind", kind), ("status", "timeout")]);
        assert_eq!(failed, f64::from(refused.get(kind).copied().unwrap_or(0)), "{kind}");
        rollbacks += failed;
    }
    assert_eq!(v(&after, "agentcube_sandbox_rollback_total", &[]), rollbacks);
    // The multi-second buckets are there.
    let le_30 = [("kind", "agent"), ("status", "success"), ("le", "30.0")];
    assert!(after.sample("agentcube_sandbox_create_duration_seconds_bucket", &le_30).is_some());

    // Reading a sandbox.
    let (first, first_kind) = created[0].clone();
    let reply = get(addr, &format!("/v1/sandboxes/{first}"), &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(json(&reply.body)["kind"], first_kind);
    assert_eq!(get(addr, "/v1/sandboxes/sbx-nope", &[]).await.status, 404);

    // Routing: one new session per sandbox, then requests in that session.
    let mut routed: BTreeMap<&str, f64> = BTreeMap::new();
    let mut proxy_errors = 0.0;
    for (id, kind) in &created {
        for session in [None, Some("s-1")] {
            let headers: Vec<(&str, &str)> = session.map(|s| ("x-session-id", s)).into_iter().collect();
            let reply = request(addr, "POST", &format!("/v1/sandboxes/{id}/invoke"), &headers).await;
            match reply.status {
                200 => {}
                502 | 504 => proxy_errors += 1.0,
                other => panic!("invoke answered {other}: {}", reply.text()),
            }
            *routed.entry(kind).or_default() += 1.0;
        }
    }
    assert_eq!(request(addr, "POST", "/v1/sandboxes/sbx-nope/invoke", &[]).await.status, 404);
    let after = scrape(addr).await;
    for (kind, n) in &routed {
        assert_eq!(v(&after, "agentcube_router_request_duration_seconds_count", &[("kind", kind)]), *n, "{kind}");
    }
    assert_eq!(v(&after, "agentcube_router_session_create_total", &[]), created.len() as f64);
    assert_eq!(v(&after, "agentcube_router_proxy_errors_total", &[("category", "not_found")]), 1.0);
    let upstream = v(&after, "agentcube_router_proxy_errors_total", &[("category", "upstream")])
        + v(&after, "agentcube_router_proxy_errors_total", &[("category", "timeout")]);
    assert_eq!(upstream, proxy_errors);
    assert_eq!(v(&after, "agentcube_router_concurrent_requests", &[]), 0.0, "no request in flight");

    // Deleting through the API.
    assert_eq!(request(addr, "DELETE", &format!("/v1/sandboxes/{first}"), &[]).await.status, 204);
    assert_eq!(request(addr, "DELETE", &format!("/v1/sandboxes/{first}"), &[]).await.status, 404);
    let after = scrape(addr).await;
    assert_eq!(v(&after, "agentcube_sandbox_delete_total", &[("kind", first_kind)]), 1.0);

    // The garbage collector (run on demand here) reclaims the rest once idle for a second.
    assert_eq!(v(&after, "agentcube_gc_cycle_duration_seconds_count", &[]), 0.0, "no cycle ran yet");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let remaining = (created.len() - 1) as f64;
    let after = poll("the idle sandboxes reclaimed", Duration::from_secs(20), || async {
        let reply = request(addr, "POST", "/v1/gc", &[]).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let scraped = scrape(addr).await;
        let reclaimed = v(&scraped, "agentcube_gc_sandboxes_reclaimed_total", &[("reason", "idle")]);
        (reclaimed == remaining).then_some(scraped)
    })
    .await;
    let deleted: f64 = KINDS.iter().map(|k| v(&after, "agentcube_sandbox_delete_total", &[("kind", k)])).sum();
    assert_eq!(deleted, created.len() as f64, "API deletions and reclaimed sandboxes");
    assert_eq!(v(&after, "agentcube_gc_sandboxes_reclaimed_total", &[("reason", "expired")]), 0.0);
    assert!(v(&after, "agentcube_gc_cycle_duration_seconds_count", &[]) >= 1.0);
    for (id, _) in &created {
        assert_eq!(get(addr, &format!("/v1/sandboxes/{id}"), &[]).await.status, 404, "{id} reclaimed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulated_traffic_moves_the_metrics() {
    let binary = build_example("agentcube");
    let (_app, addr) = start_serving(&binary, &["--listen", "127.0.0.1:0"]);
    let exposition = poll("sandboxes created and requests routed", Duration::from_secs(20), || async {
        let e = scrape(addr).await;
        let created: f64 = KINDS
            .iter()
            .map(|k| e.value("agentcube_sandbox_create_total", &[("kind", k), ("status", "success")]).unwrap_or(0.0))
            .sum();
        let routed: f64 = KINDS
            .iter()
            .map(|k| e.value("agentcube_router_request_duration_seconds_count", &[("kind", k)]).unwrap_or(0.0))
            .sum();
        (created >= 3.0 && routed >= 3.0).then_some(e)
    })
    .await;
    assert!(v(&exposition, "agentcube_router_session_create_total", &[]) >= 1.0);
}
