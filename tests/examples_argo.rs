//! The argo example: metrics declared in its YAML spec appear beside the controller's own, its real-time
//! gauge is read at each scrape, idle series go after their TTL, and an invalid spec is refused with an
//! error naming the metric.

mod http_support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use http_support::programs::{Scratch, build_example, poll, start_serving};
use http_support::{PROMETHEUS_2_ACCEPT, get};
use metrics_runtime::Format;
use metrics_runtime::testing::{Exposition, parse};

async fn scrape(addr: SocketAddr) -> Exposition {
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    parse(&text, Format::OpenMetrics).unwrap_or_else(|e| panic!("invalid exposition: {e}\n{text}"))
}

/// The values of `name` by the value of its `workflow` label.
fn by_workflow(e: &Exposition, name: &str) -> BTreeMap<String, f64> {
    e.samples_named(name).map(|s| (s.label("workflow").expect("a workflow label").to_owned(), s.value)).collect()
}

/// Starts the example with no scrape cache, so every scrape reads the callbacks again.
fn start(binary: &std::path::Path, tmp: &Scratch, extra: &[&str]) -> (http_support::programs::Running, SocketAddr) {
    let config = tmp.join("config.yaml");
    std::fs::write(&config, "prometheus_metrics:\n  cache: { enabled: false }\n").unwrap();
    let mut args = vec!["--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()];
    args.extend_from_slice(extra);
    start_serving(binary, &args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_metrics_appear_beside_the_controllers_own() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-spec");
    let (_argo, addr) = start(&binary, &tmp, &[]);
    let e = poll("finished workflows", Duration::from_secs(20), || async {
        let e = scrape(addr).await;
        (e.samples_named("workflow_runs_total").count() >= 2).then_some(e)
    })
    .await;

    let kinds: BTreeMap<&str, &str> = e.families().iter().map(|f| (f.name.as_str(), f.kind.as_str())).collect();
    for (family, kind) in [
        ("workflow_runs", "counter"),
        ("workflow_duration_seconds", "histogram"),
        ("workflow_steps", "counter"),
        ("workflow_progress_ratio", "gauge"),
        ("workflow_age_seconds", "gauge"),
        ("argo_workflows_finished", "counter"),
        ("argo_workflows_running", "gauge"),
        ("argo_queue_depth", "gauge"),
        ("argo_operation_duration_seconds", "histogram"),
    ] {
        assert_eq!(kinds.get(family), Some(&kind), "{family}: {kinds:?}");
    }
    let duration = e.family("workflow_duration_seconds").unwrap();
    assert_eq!(duration.unit.as_deref(), Some("seconds"));
    assert_eq!(duration.help.as_deref(), Some("Time workflows took, from start to finish, by template."));
    let template = duration.samples.iter().find_map(|s| s.label("template")).unwrap().to_owned();
    let les: Vec<&str> = duration
        .samples
        .iter()
        .filter(|s| s.name.ends_with("_bucket") && s.label("template") == Some(&template))
        .map(|s| s.label("le").unwrap())
        .collect();
    assert_eq!(les, ["0.5", "1.0", "2.0", "4.0", "8.0", "16.0", "32.0", "+Inf"]);

    // The spec's counters agree with the controller's own count of finished workflows.
    let spec_runs: f64 = e.samples_named("workflow_runs_total").map(|s| s.value).sum();
    let own_runs: f64 = e.samples_named("argo_workflows_finished_total").map(|s| s.value).sum();
    assert!(spec_runs >= 2.0);
    assert!((spec_runs - own_runs).abs() <= 6.0, "{spec_runs} vs {own_runs} (a few may finish in between)");
    for s in e.samples_named("workflow_runs_total") {
        assert!(["Succeeded", "Failed"].contains(&s.label("phase").unwrap()), "{s:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_realtime_gauge_is_read_at_each_scrape() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-realtime");
    let (_argo, addr) = start(&binary, &tmp, &[]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let first = by_workflow(&scrape(addr).await, "workflow_age_seconds");
        tokio::time::sleep(Duration::from_millis(400)).await;
        let second = by_workflow(&scrape(addr).await, "workflow_age_seconds");
        let grown: Vec<_> = first.iter().filter_map(|(wf, a)| Some((wf, second.get(wf)? - a))).collect();
        if let Some((wf, growth)) = grown.first() {
            // Nothing set the gauge in between: the callback read the workflow's age at the scrape.
            assert!(*growth >= 0.39, "{wf}: age grew by {growth} s in 0.4 s");
            break;
        }
        assert!(Instant::now() < deadline, "no workflow ran across two scrapes 0.4 s apart");
    }
    // A finished workflow's real-time series goes with it (a later scrape: the series is removed just
    // after the last step's progress is set).
    let finished: Vec<String> = poll("a finished workflow", Duration::from_secs(20), || async {
        let finished: Vec<String> = by_workflow(&scrape(addr).await, "workflow_progress_ratio")
            .into_iter()
            .filter(|(_, progress)| *progress == 1.0)
            .map(|(wf, _)| wf)
            .collect();
        (!finished.is_empty()).then_some(finished)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let running = by_workflow(&scrape(addr).await, "workflow_age_seconds");
    for wf in finished {
        assert!(!running.contains_key(&wf), "{wf} finished but still has an age");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_series_are_dropped_after_their_ttl() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-ttl");
    let spec = tmp.join("spec.yml");
    std::fs::write(
        &spec,
        "metrics:\n\
         \x20 - { name: wf_done, help: Finished workflows., type: counter, value: completed, labels: [workflow], ttl: 1s }\n\
         \x20 - { name: wf_kept, help: Finished workflows kept., type: counter, value: completed, labels: [workflow] }\n",
    )
    .unwrap();
    let (_argo, addr) = start(&binary, &tmp, &["--spec", spec.to_str().unwrap()]);
    // A workflow finishes once: its series is never updated again.
    let first = poll("a finished workflow", Duration::from_secs(20), || async {
        by_workflow(&scrape(addr).await, "wf_done_total").into_keys().next()
    })
    .await;
    let dropped_at = poll("its series dropped", Duration::from_secs(10), || async {
        let e = scrape(addr).await;
        (!by_workflow(&e, "wf_done_total").contains_key(&first)).then_some(e)
    })
    .await;
    // The family without a TTL keeps it, and newer workflows still show in both.
    assert_eq!(by_workflow(&dropped_at, "wf_kept_total").get(&first), Some(&1.0), "{first}");
    let e = poll("a newer workflow", Duration::from_secs(10), || async {
        let e = scrape(addr).await;
        (!by_workflow(&e, "wf_done_total").is_empty()).then_some(e)
    })
    .await;
    assert!(by_workflow(&e, "wf_kept_total").len() > by_workflow(&e, "wf_done_total").len());
}

#[test]
fn an_invalid_spec_is_refused_with_an_error_naming_the_metric() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-invalid");
    let ok = "{ name: fine, help: Fine., type: counter, value: completed }";
    let cases = [
        ("{ name: Bad-Name, help: h, type: counter, value: completed }", "Bad-Name", "Bad-Name"),
        ("{ name: runs_total, help: h, type: counter, value: completed }", "runs_total", "_total"),
        ("{ name: __runs, help: h, type: counter, value: completed }", "__runs", "__"),
        ("{ name: my_gauge, help: h, type: gauge, value: progress }", "my_gauge", "gauge"),
        ("{ name: latency, help: h, type: gauge, value: progress, unit: ms }", "latency", "seconds"),
        ("{ name: took, help: h, type: histogram, value: duration, buckets: [2, 1] }", "took", "bucket"),
        ("{ name: took, help: h, type: histogram, value: duration }", "took", "buckets"),
        ("{ name: runs, help: h, type: counter, value: completed, labels: [pod] }", "runs", "pod"),
        ("{ name: runs, help: h, type: counter, value: age }", "runs", "age"),
        ("{ name: runs, help: h, type: summary, value: completed }", "runs", "summary"),
        ("{ name: age, help: h, type: realtime_gauge, value: age, labels: [template] }", "age", "workflow"),
        ("{ name: runs, help: h, type: counter, value: completed, ttl: soon }", "runs", "soon"),
        ("{ name: runs, help: h, type: counter, value: completed, ttl: 0s }", "runs", "0s"),
        ("{ name: runs, help: h, type: counter, value: completed, ttl: 5 }", "runs", "duration"),
        ("{ name: argo_queue_depth, help: h, type: gauge, value: progress }", "argo_queue_depth", "registered"),
        ("{ name: fine, help: Other help., type: counter, value: completed }", "fine", "help"),
    ];
    for (i, (entry, metric, reason)) in cases.iter().enumerate() {
        let spec = tmp.join(&format!("bad-{i}.yml"));
        std::fs::write(&spec, format!("metrics:\n  - {ok}\n  - {entry}\n")).unwrap();
        let out = Command::new(&binary)
            .args(["--listen", "127.0.0.1:0", "--spec"])
            .arg(&spec)
            .output()
            .expect("run the example");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{entry}: {stderr}");
        assert!(out.stdout.is_empty(), "{entry}: it must not serve");
        assert!(stderr.contains(&format!("metric `{metric}`")), "{entry}: {stderr}");
        assert!(stderr.contains(reason), "{entry}: expected {reason:?} in {stderr}");
        assert!(stderr.contains(&spec.display().to_string()), "{entry}: the file is named: {stderr}");
    }
    // A typo in a key is refused too, with its place in the file.
    let spec = tmp.join("typo.yml");
    std::fs::write(&spec, "metrics:\n  - { name: took, help: h, type: histogram, value: duration, bucket: [1] }\n")
        .unwrap();
    let out = Command::new(&binary).args(["--listen", "127.0.0.1:0", "--spec"]).arg(&spec).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown field `bucket`"), "{stderr}");
    // A missing file names it.
    let out = Command::new(&binary).args(["--spec", "/nonexistent/spec.yml"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/spec.yml"));
}
