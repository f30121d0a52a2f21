//! End to end: a real Prometheus server (Debian's `prometheus`, on loopback, scrape interval 1 s) scrapes
//! the `llm_service` example twice over, once as plain OpenMetrics and once gzipped, and then over HTTPS,
//! verifying the certificate with `tls_config.ca_file`, and over mutual TLS, presenting a client
//! certificate the example's `client_ca_file` signed (certificates made at test time); the targets are up
//! without error and every value Prometheus stored equals what the example exposes. Started with
//! `--enable-feature=native-histograms`, Prometheus asks for protobuf first and gets it: the target is up
//! without error and every value it stored equals the text format's.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use suite::exposition::by_series;
use suite::http::{PROMETHEUS_2_ACCEPT, PROMETHEUS_NATIVE_ACCEPT, PROTOBUF, get};
use suite::programs::{Scratch, build_example, poll, require_program, sigterm, start_serving};
use suite::prometheus::{query, start_prometheus, start_prometheus_with};
use suite::tls::{Ca, HttpsClient, Validity};

/// Every `llmdevops_*` series the example exposes (`exposed`, scraped as Prometheus scrapes it) is stored by
/// Prometheus for `job` with the same value, Prometheus stores no other, and the values the example set
/// read back as a person would query them.
async fn assert_stored_as_exposed(prometheus_addr: SocketAddr, job: &str, exposed: &promstruct_testing::Exposition) {
    let exposed = by_series(exposed);
    let exposed: BTreeMap<_, _> = exposed.into_iter().filter(|((name, _), _)| name.starts_with("llmdevops_")).collect();
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

    let jobs = format!(
        "\x20 - job_name: plain\n    static_configs: [{{ targets: ['{plain_addr}'] }}]\n\
         \x20 - job_name: gzip\n    static_configs: [{{ targets: ['{gzip_addr}'] }}]\n"
    );
    let (_prometheus, prometheus_addr) = start_prometheus(&tmp, &jobs, 2).await;

    for (job, addr) in [("plain", plain_addr), ("gzip", gzip_addr)] {
        // What the example exposes, as Prometheus asked for it.
        let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT), ("accept-encoding", "gzip")]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), suite::http::OPENMETRICS);
        let encoding = if job == "gzip" { "gzip" } else { "" };
        assert_eq!(reply.header("content-encoding"), encoding, "{job}");
        assert_stored_as_exposed(prometheus_addr, job, &reply.exposition()).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_example_over_https_and_mutual_tls() {
    require_program("prometheus", "prometheus");
    let binary = build_example("llm_service");
    let tmp = Scratch::new("e2e-tls");
    let ca = Ca::new("e2e CA");
    let (cert, key) = ca.server(&[]).write(&tmp.0, "server");
    let ca_file = ca.write(&tmp.0, "ca.crt");
    let (client_cert, client_key) = ca.client("prometheus", Validity::Current).write(&tmp.0, "prometheus");

    // One instance serves HTTPS; the other requires a client certificate the CA signed.
    let tls_config = tmp.0.join("tls.yaml");
    let tls = format!("cert_file: {}, key_file: {}", cert.display(), key.display());
    std::fs::write(&tls_config, format!("prometheus_metrics:\n  endpoint: {{ tls: {{ {tls} }} }}\n")).unwrap();
    let mtls_config = tmp.0.join("mtls.yaml");
    let mtls = format!("{tls}, client_ca_file: {}", ca_file.display());
    std::fs::write(&mtls_config, format!("prometheus_metrics:\n  endpoint: {{ tls: {{ {mtls} }} }}\n")).unwrap();
    let serve = |config: &std::path::Path| {
        start_serving(&binary, &["--listen", "127.0.0.1:0", "--deterministic", "--config", config.to_str().unwrap()])
    };
    let (mut tls_example, tls_addr) = serve(&tls_config);
    let (mut mtls_example, mtls_addr) = serve(&mtls_config);

    let jobs = format!(
        "\x20 - job_name: tls\n    scheme: https\n    tls_config: {{ ca_file: '{ca}' }}\n\
         \x20   static_configs: [{{ targets: ['{tls_addr}'] }}]\n\
         \x20 - job_name: mtls\n    scheme: https\n\
         \x20   tls_config: {{ ca_file: '{ca}', cert_file: '{cc}', key_file: '{ck}' }}\n\
         \x20   static_configs: [{{ targets: ['{mtls_addr}'] }}]\n",
        ca = ca_file.display(),
        cc = client_cert.display(),
        ck = client_key.display(),
    );
    let (_prometheus, prometheus_addr) = start_prometheus(&tmp, &jobs, 2).await;

    let identity = ca.client("test", Validity::Current);
    for (job, addr, client) in [
        ("tls", tls_addr, HttpsClient::trusting(&ca, None)),
        ("mtls", mtls_addr, HttpsClient::trusting(&ca, Some(&identity))),
    ] {
        let reply = client.get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await.expect("an HTTPS answer");
        assert_eq!(reply.status, 200, "{job}");
        assert_eq!(reply.header("content-type"), suite::http::OPENMETRICS);
        assert_stored_as_exposed(prometheus_addr, job, &reply.exposition()).await;
    }
    // The mutual-TLS instance refuses a client without a certificate, and plain HTTP.
    assert!(HttpsClient::trusting(&ca, None).get(mtls_addr, "/metrics", &[]).await.is_err());
    assert!(suite::http::raw(mtls_addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.starts_with("HTTP/1.1 400"));

    assert!(sigterm(&mut tls_example).success());
    assert!(sigterm(&mut mtls_example).success());
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_with_native_histograms_scrapes_the_example_in_protobuf() {
    require_program("prometheus", "prometheus");
    let binary = build_example("llm_service");
    let tmp = Scratch::new("e2e-protobuf");
    let (mut example, addr) = start_serving(&binary, &["--listen", "127.0.0.1:0", "--deterministic"]);
    // Up, scraped without error: Prometheus read our protobuf.
    let jobs = format!("  - job_name: protobuf\n    static_configs: [{{ targets: ['{addr}'] }}]\n");
    let (_prometheus, prometheus_addr) =
        start_prometheus_with(&tmp, &jobs, 1, &["--enable-feature=native-histograms"]).await;

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

    // Every value it stored equals the text format's, and it stored every series the text format has but
    // the classic series of the request-duration histogram, which has native buckets too: Prometheus 2.42
    // then stores the native histogram instead.
    let native = "llmdevops_llm_request_duration_seconds";
    let text = get(addr, "/metrics", &[("accept", "text/plain")]).await;
    let all = by_series(&text.exposition());
    let exposed: std::collections::BTreeMap<_, _> = all
        .iter()
        .filter(|((name, _), _)| name.starts_with("llmdevops_") && !name.starts_with(native))
        .map(|(key, value)| (key.clone(), *value))
        .collect();
    assert!(exposed.len() > 25, "only {} llmdevops series", exposed.len());
    let stored =
        query(prometheus_addr, &format!("{{__name__=~\"llmdevops_.+\",__name__!=\"{native}\",job=\"protobuf\"}}"))
            .await;
    assert_eq!(stored.keys().collect::<Vec<_>>(), exposed.keys().collect::<Vec<_>>(), "the series stored");
    for (key, value) in &exposed {
        assert_eq!(stored[key], *value, "{key:?}");
    }

    // The native histogram: its count and sum equal the classic ones, and its median lies within one
    // bucket of the exact median of what the example observed (0.2, 0.7 and 3 s for Claude; the factor
    // 1.1 gives schema 3, buckets 2^(1/8) wide).
    for model in ["gpt-4o", "claude-3-5-sonnet", "llama-3-70b"] {
        let series = format!("{native}{{job=\"protobuf\",model=\"{model}\"}}");
        for (function, suffix) in [("histogram_count", "_count"), ("histogram_sum", "_sum")] {
            let got = query(prometheus_addr, &format!("{function}({series})")).await;
            let want = all
                .iter()
                .find(|((name, labels), _)| *name == format!("{native}{suffix}") && labels["model"] == model)
                .map(|(_, v)| *v)
                .expect("the classic series");
            assert_eq!(got.values().copied().collect::<Vec<_>>(), [want], "{function} of {model}");
        }
    }
    let median =
        query(prometheus_addr, &format!("histogram_quantile(0.5, {native}{{model=\"claude-3-5-sonnet\"}})")).await;
    let median = *median.values().next().expect("a median");
    let base = 2f64.powf(1.0 / 8.0);
    assert!(median > 0.7 / base / base && median < 0.7 * base * base, "median {median}, observed median 0.7");
    assert!(sigterm(&mut example).success());
}
