//! Exemplars end to end: a real Prometheus 2.42 with `--enable-feature=exemplar-storage` scrapes the
//! `llm_service` example (simulated traffic, each request in a `tracing` span of its own) as OpenMetrics,
//! and `/api/v1/query_exemplars` returns exemplars of its request counter and its request-duration
//! histogram whose `trace_id` is one the example logged for a request.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use suite::http::{PROMETHEUS_2_ACCEPT, get};
use suite::programs::{Running, Scratch, build_example, encode_query, first_address, poll, require_program};
use suite::prometheus::{api, start_prometheus_with};

/// The 32-hex-digit trace ids of the `request done` lines the example logged so far.
fn logged_trace_ids(log: &std::path::Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|line| line.contains("request done"))
        .filter_map(|line| {
            let (_, rest) = line.split_once("trace_id=")?;
            let id: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            (id.len() == 32).then_some(id)
        })
        .collect()
}

/// The `trace_id` of every exemplar Prometheus holds for `selector` over the last minute.
async fn stored_trace_ids(prometheus: std::net::SocketAddr, selector: &str) -> Vec<String> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    let path =
        format!("/api/v1/query_exemplars?query={}&start={}&end={}", encode_query(selector), now - 60.0, now + 5.0);
    let data = api(prometheus, &path).await;
    let mut ids = Vec::new();
    for series in data.as_array().expect("a list of series") {
        for exemplar in series["exemplars"].as_array().expect("exemplars") {
            ids.push(exemplar["labels"]["trace_id"].as_str().expect("a trace_id label").to_owned());
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_stores_the_trace_ids_the_example_logged() {
    require_program("prometheus", "prometheus");
    let binary = build_example("llm_service");
    let tmp = Scratch::new("exemplars-e2e");
    let log = tmp.0.join("llm_service.log");
    // Traffic, with the `request done` lines on stderr, in a file without colours.
    let mut child = Command::new(&binary)
        .args(["--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("start llm_service");
    let stdout = child.stdout.take().unwrap();
    let _example = Running { child };
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let addr = first_address(&lines).expect("llm_service printed its address");

    // What Prometheus 2.42 will be answered: OpenMetrics, with exemplars on the request counter.
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.header("content-type"), suite::http::OPENMETRICS);

    let jobs = format!("  - job_name: llm\n    static_configs: [{{ targets: ['{addr}'] }}]\n");
    let (_prometheus, prometheus) = start_prometheus_with(&tmp, &jobs, 1, &["--enable-feature=exemplar-storage"]).await;

    for selector in ["llmdevops_llm_requests_total", "llmdevops_llm_request_duration_seconds_bucket"] {
        let stored = poll(&format!("exemplars of {selector}"), Duration::from_secs(30), || async {
            let ids = stored_trace_ids(prometheus, selector).await;
            (!ids.is_empty()).then_some(ids)
        })
        .await;
        let logged = logged_trace_ids(&log);
        assert!(!logged.is_empty(), "the example logged no request");
        for id in &stored {
            assert_eq!(id.len(), 32, "{selector}: {id}");
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{selector}: {id}");
            assert!(logged.contains(id), "{selector}: Prometheus holds {id}, which the example never logged");
        }
    }
}
