//! End to end: a real Prometheus server (Debian's `prometheus`, on loopback, scrape interval 1 s) scrapes
//! the `llm_service` example twice over, once as plain OpenMetrics and once gzipped; the targets are up
//! without error and every value Prometheus stored equals what the example exposes. Started with
//! `--enable-feature=native-histograms`, Prometheus asks for protobuf first and gets it: the target is up
//! without error and every value it stored equals the text format's.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use suite::exposition::{SeriesKey, by_series};
use suite::http::{PROMETHEUS_2_ACCEPT, PROMETHEUS_NATIVE_ACCEPT, PROTOBUF, get};
use suite::programs::{Running, Scratch, build_example, encode_query, free_port, poll, require_program, start_serving};

/// GETs a Prometheus API path and returns its `data`.
async fn api(prometheus: SocketAddr, path_and_query: &str) -> Value {
    let reply = get(prometheus, path_and_query, &[]).await;
    assert_eq!(reply.status, 200, "{path_and_query}: {}", reply.text());
    let json: Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert_eq!(json["status"], "success", "{json}");
    json["data"].clone()
}

/// The instant vector of a PromQL query, by series (without `job` and `instance`).
async fn query(prometheus: SocketAddr, promql: &str) -> BTreeMap<SeriesKey, f64> {
    let data = api(prometheus, &format!("/api/v1/query?query={}", encode_query(promql))).await;
    let mut out = BTreeMap::new();
    for item in data["result"].as_array().expect("a vector") {
        let mut labels: BTreeMap<String, String> = item["metric"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let name = labels.remove("__name__").unwrap_or_default();
        labels.remove("job");
        labels.remove("instance");
        let value = item["value"][1].as_str().unwrap();
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap(),
        };
        out.insert((name, labels), value);
    }
    out
}

fn sigterm(process: &mut Running) -> std::process::ExitStatus {
    let pid = process.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = process.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the example did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_example_as_openmetrics_and_gzipped() {
    require_program("prometheus", "prometheus");
    let binary = build_example("llm_service");
    let tmp = Scratch::new("e2e");

    // Two instances of the example: one never compresses, the other compresses every body.
    let plain_config = tmp.0.join("plain.yaml");
    std::fs::write(&plain_config, "prometheus_metrics:\n  compression: { enabled: false }\n").unwrap();
    let gzip_config = tmp.0.join("gzip.yaml");
    std::fs::write(&gzip_config, "prometheus_metrics:\n  compression: { enabled: true, min_size_bytes: 0 }\n").unwrap();
    let (mut plain, plain_addr) = start_serving(
        &binary,
        &["--listen", "127.0.0.1:0", "--deterministic", "--config", plain_config.to_str().unwrap()],
    );
    let (mut gzip, gzip_addr) = start_serving(
        &binary,
        &["--listen", "127.0.0.1:0", "--deterministic", "--config", gzip_config.to_str().unwrap()],
    );

    let port = free_port();
    let prometheus_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let prometheus_yml = tmp.0.join("prometheus.yml");
    std::fs::write(
        &prometheus_yml,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: plain\n    static_configs: [{{ targets: ['{plain_addr}'] }}]\n\
             \x20 - job_name: gzip\n    static_configs: [{{ targets: ['{gzip_addr}'] }}]\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(tmp.0.join("prometheus.log")).unwrap();
    let _prometheus = Running {
        child: Command::new("prometheus")
            .arg(format!("--config.file={}", prometheus_yml.display()))
            .arg(format!("--storage.tsdb.path={}", tmp.0.join("data").display()))
            .arg(format!("--web.listen-address={prometheus_addr}"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start prometheus"),
    };

    // Both targets up, scraped without error.
    let targets = poll("both targets up", Duration::from_secs(40), || async {
        let Ok(reply) = tokio::time::timeout(Duration::from_secs(2), async {
            match tokio::net::TcpStream::connect(prometheus_addr).await {
                Ok(_) => Some(api(prometheus_addr, "/api/v1/targets?state=active").await),
                Err(_) => None,
            }
        })
        .await
        else {
            return None;
        };
        let data = reply?;
        let active = data["activeTargets"].as_array()?.clone();
        let up = active.iter().filter(|t| t["health"] == "up").count();
        (active.len() == 2 && up == 2).then_some(active)
    })
    .await;
    for target in &targets {
        assert_eq!(target["lastError"], "", "{target}");
        assert_eq!(target["health"], "up", "{target}");
    }

    for (job, addr) in [("plain", plain_addr), ("gzip", gzip_addr)] {
        // What the example exposes, as Prometheus asked for it.
        let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT), ("accept-encoding", "gzip")]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), suite::http::OPENMETRICS);
        let encoding = if job == "gzip" { "gzip" } else { "" };
        assert_eq!(reply.header("content-encoding"), encoding, "{job}");
        let exposed = by_series(&reply.exposition());
        let exposed: BTreeMap<_, _> =
            exposed.into_iter().filter(|((name, _), _)| name.starts_with("llmdevops_")).collect();
        assert!(exposed.len() > 50, "{job}: only {} llmdevops series", exposed.len());

        let stored = query(prometheus_addr, &format!("{{__name__=~\"llmdevops_.+\",job=\"{job}\"}}")).await;
        let mut compared = 0;
        for ((name, labels), value) in &exposed {
            let key = (name.clone(), labels.clone());
            match stored.get(&key) {
                Some(got) => {
                    assert_eq!(got, value, "{job}: {name}{labels:?}");
                    compared += 1;
                }
                // Prometheus 2.42 may drop the `_created` samples of OpenMetrics.
                None if name.ends_with("_created") => {}
                None => panic!("{job}: Prometheus has no {name}{labels:?}; it has {stored:?}"),
            }
        }
        let not_created = exposed.keys().filter(|(n, _)| !n.ends_with("_created")).count();
        assert!(compared >= not_created, "{job}: compared {compared} of {not_created}");
        for key in stored.keys() {
            assert!(exposed.contains_key(key), "{job}: Prometheus stored {key:?}, which the example does not expose");
        }

        // And the values the example set, as a person would query them.
        for (promql, want) in [
            ("llmdevops_llm_requests_total{model=\"gpt-4o\",status=\"ok\"}", 42.0),
            ("llmdevops_llm_tokens_total{model=\"gpt-4o\",type=\"output\"}", 812.0),
            ("llmdevops_llm_request_duration_seconds_count{model=\"claude-3-5-sonnet\"}", 3.0),
            ("llmdevops_llm_request_duration_seconds_sum{model=\"claude-3-5-sonnet\"}", 3.9),
            ("llmdevops_llm_request_duration_seconds_bucket{model=\"claude-3-5-sonnet\",le=\"1.0\"}", 2.0),
            ("llmdevops_llm_inflight", 2.0),
            ("llmdevops_llm_cost_dollars_total{model=\"gpt-4o\"}", 1.25),
            ("llmdevops_agent_executions_total{agent=\"planner\",status=\"ok\"}", 5.0),
            ("llmdevops_agent_executions_total{agent=\"researcher\",status=\"timeout\"}", 1.0),
            ("llmdevops_agent_steps_total{agent=\"planner\",step_type=\"plan\"}", 7.0),
            ("llmdevops_agent_tool_calls_total{agent=\"coder\",tool=\"python\"}", 4.0),
            ("up", 1.0),
        ] {
            let selector = match promql.split_once('{') {
                Some((name, rest)) => format!("{name}{{job=\"{job}\",{rest}"),
                None => format!("{promql}{{job=\"{job}\"}}"),
            };
            let result = query(prometheus_addr, &selector).await;
            assert_eq!(result.len(), 1, "{selector}: {result:?}");
            let got = *result.values().next().unwrap();
            assert!((got - want).abs() < 1e-9, "{selector}: Prometheus has {got}, the example set {want}");
        }
    }

    // The gzip instance answered Prometheus with gzip bodies; the plain one never did.
    let gzipped = "promstruct_http_scrapes_total{job=\"gzip\",format=\"openmetrics\",encoding=\"gzip\"}";
    poll("a gzip scrape counted by the gzip instance", Duration::from_secs(10), || async {
        let v = query(prometheus_addr, gzipped).await;
        v.values().next().is_some_and(|v| *v >= 1.0).then_some(())
    })
    .await;
    let plain_gzip = query(prometheus_addr, "promstruct_http_scrapes_total{job=\"plain\",encoding=\"gzip\"}").await;
    assert!(plain_gzip.values().all(|v| *v == 0.0), "{plain_gzip:?}");
    let plain_om = "promstruct_http_scrapes_total{job=\"plain\",format=\"openmetrics\",encoding=\"identity\"}";
    poll("an OpenMetrics scrape counted by the plain instance", Duration::from_secs(10), || async {
        let v = query(prometheus_addr, plain_om).await;
        v.values().next().is_some_and(|v| *v >= 1.0).then_some(())
    })
    .await;

    // SIGTERM stops the example cleanly.
    assert!(sigterm(&mut plain).success());
    assert!(sigterm(&mut gzip).success());
}

/// Starts Prometheus on a free port with `prometheus.yml` (written from `scrape_configs`) and `flags`.
fn start_prometheus(tmp: &Scratch, scrape_configs: &str, flags: &[&str]) -> (Running, SocketAddr) {
    let prometheus_addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let prometheus_yml = tmp.0.join("prometheus.yml");
    let global = "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n";
    std::fs::write(&prometheus_yml, format!("{global}scrape_configs:\n{scrape_configs}")).unwrap();
    let log = std::fs::File::create(tmp.0.join("prometheus.log")).unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", prometheus_yml.display()))
        .arg(format!("--storage.tsdb.path={}", tmp.0.join("data").display()))
        .arg(format!("--web.listen-address={prometheus_addr}"))
        .args(flags)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    (Running { child }, prometheus_addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_with_native_histograms_scrapes_the_example_in_protobuf() {
    require_program("prometheus", "prometheus");
    let binary = build_example("llm_service");
    let tmp = Scratch::new("e2e-protobuf");
    let (mut example, addr) = start_serving(&binary, &["--listen", "127.0.0.1:0", "--deterministic"]);
    let (_prometheus, prometheus_addr) = start_prometheus(
        &tmp,
        &format!("  - job_name: protobuf\n    static_configs: [{{ targets: ['{addr}'] }}]\n"),
        &["--enable-feature=native-histograms"],
    );

    // Up, scraped without error: Prometheus read our protobuf.
    let target = poll("the target up", Duration::from_secs(40), || async {
        let reply = tokio::time::timeout(Duration::from_secs(2), async {
            match tokio::net::TcpStream::connect(prometheus_addr).await {
                Ok(_) => Some(api(prometheus_addr, "/api/v1/targets?state=active").await),
                Err(_) => None,
            }
        })
        .await
        .ok()??;
        let target = reply["activeTargets"].as_array()?.first()?.clone();
        (target["health"] == "up").then_some(target)
    })
    .await;
    assert_eq!(target["lastError"], "", "{target}");

    // It asked for protobuf first and was answered in protobuf, never in a text format.
    let scrapes = "promstruct_http_scrapes_total{job=\"protobuf\"}";
    let counted = poll("a protobuf scrape counted", Duration::from_secs(10), || async {
        let by_format = query(prometheus_addr, scrapes).await;
        let protobuf = by_format.iter().filter(|((_, l), _)| l["format"] == "protobuf").map(|(_, v)| *v).sum::<f64>();
        (protobuf >= 1.0).then_some(by_format)
    })
    .await;
    for ((_, labels), value) in &counted {
        if labels["format"] != "protobuf" {
            assert_eq!(*value, 0.0, "a scrape in {labels:?}");
        }
    }
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_NATIVE_ACCEPT)]).await;
    assert_eq!(reply.header("content-type"), PROTOBUF);

    // Every value it stored equals the text format's, and it stored every series the text format has.
    let text = get(addr, "/metrics", &[("accept", "text/plain")]).await;
    let exposed: BTreeMap<_, _> =
        by_series(&text.exposition()).into_iter().filter(|((name, _), _)| name.starts_with("llmdevops_")).collect();
    assert!(exposed.len() > 50, "only {} llmdevops series", exposed.len());
    let stored = query(prometheus_addr, "{__name__=~\"llmdevops_.+\",job=\"protobuf\"}").await;
    assert_eq!(stored.keys().collect::<Vec<_>>(), exposed.keys().collect::<Vec<_>>(), "the series stored");
    for (key, value) in &exposed {
        assert_eq!(stored[key], *value, "{key:?}");
    }
    for (promql, want) in [
        ("llmdevops_llm_requests_total{model=\"gpt-4o\",status=\"ok\"}", 42.0),
        ("llmdevops_llm_request_duration_seconds_bucket{model=\"claude-3-5-sonnet\",le=\"1.0\"}", 2.0),
        ("llmdevops_llm_request_duration_seconds_count{model=\"claude-3-5-sonnet\"}", 3.0),
        ("llmdevops_llm_cost_dollars_total{model=\"gpt-4o\"}", 1.25),
    ] {
        let (name, rest) = promql.split_once('{').unwrap();
        let result = query(prometheus_addr, &format!("{name}{{job=\"protobuf\",{rest}")).await;
        assert_eq!(result.values().copied().collect::<Vec<_>>(), [want], "{promql}");
    }
    assert!(sigterm(&mut example).success());
}

#[test]
fn the_example_refuses_an_invalid_config_naming_the_key() {
    let binary = build_example("llm_service");
    let tmp = Scratch::new("bad-config");
    let config = tmp.0.join("bad.yaml");
    std::fs::write(&config, "prometheus_metrics:\n  cache: { ttl_ms: soon }\n").unwrap();
    let out = Command::new(&binary)
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .output()
        .expect("run the example");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("prometheus_metrics.cache.ttl_ms"), "{stderr}");
    assert!(stderr.contains("invalid type"), "{stderr}");
}
