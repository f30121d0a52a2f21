//! End to end, as `deploy/sidecar/` runs it: two `llm_service` examples serving on Unix sockets only
//! (`endpoint.unix_socket`), the `promstruct-sidecar` binary collecting from both and serving on TCP, and a
//! real Prometheus 2.42 scraping the sidecar. Prometheus stores every series of both applications under
//! their `app` label with the values they set; once one application is stopped, the other's series are
//! still scraped, the stopped one's go stale, and its `promstruct_sidecar_source_up` is 0 while the
//! sidecar's target stays up. And the manifests of `deploy/sidecar/` hold together (the shared `emptyDir`,
//! the sockets the applications bind are those the sidecar reads, the one port) and run as written.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use suite::exposition::by_series;
use suite::http::{PROMETHEUS_2_ACCEPT, get};
use suite::programs::{
    Running, Scratch, build_binary, build_example, poll, require_program, sigterm, spawn_reading_lines, start_serving,
};
use suite::prometheus::{query, start_prometheus};

const APPS: [&str; 2] = ["llm", "agents"];

/// Starts `llm_service --deterministic` on the Unix socket `socket` and waits for it to listen there.
fn start_app(example: &std::path::Path, tmp: &Scratch, name: &str) -> Running {
    let config = tmp.join(&format!("{name}.yaml"));
    let socket = tmp.join(&format!("{name}.sock"));
    std::fs::write(&config, format!("prometheus_metrics:\n  endpoint: {{ unix_socket: {} }}\n", socket.display()))
        .unwrap();
    let (app, lines) =
        spawn_reading_lines(example, &["--deterministic", "--config", config.to_str().unwrap()], Stdio::inherit());
    let first = lines.recv_timeout(Duration::from_secs(30)).expect("the application's first line");
    assert_eq!(first, format!("listening on unix:{}", socket.display()));
    app
}

/// The value of a query that selects one series, if it has one.
async fn one(prometheus: std::net::SocketAddr, promql: &str) -> Option<f64> {
    let result = query(prometheus, promql).await;
    assert!(result.len() <= 1, "{promql}: {result:?}");
    result.values().next().copied()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_two_applications_through_the_sidecar_and_one_stopping_is_its_own_loss() {
    require_program("prometheus", "prometheus");
    let example = build_example("llm_service");
    let sidecar_binary = build_binary("promstruct-sidecar", "promstruct-sidecar");
    let tmp = Scratch::new("sidecar-e2e");
    let mut apps: BTreeMap<&str, Running> = APPS.iter().map(|name| (*name, start_app(&example, &tmp, name))).collect();

    let config = tmp.join("sidecar.yaml");
    let sources: String = APPS
        .iter()
        .map(|name| format!("    - {{ name: {name}, socket: {} }}\n", tmp.join(&format!("{name}.sock")).display()))
        .collect();
    std::fs::write(
        &config,
        format!(
            "sidecar:\n  label: app\n  timeout_ms: 2000\n  sources:\n{sources}\
             prometheus_metrics:\n  endpoint: {{ host: 127.0.0.1, port: 0 }}\n  cache: {{ enabled: false }}\n"
        ),
    )
    .unwrap();
    let (mut sidecar, addr) = start_serving(&sidecar_binary, &["--config", config.to_str().unwrap()]);
    let jobs = format!("\x20 - job_name: sidecar\n    static_configs: [{{ targets: ['{addr}'] }}]\n");
    let (_prometheus, prometheus) = start_prometheus(&tmp, &jobs, 1).await;

    // What the sidecar serves: both applications, each under its label, nothing refused.
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200);
    let exposition = reply.exposition();
    for app in APPS {
        assert_eq!(exposition.value("promstruct_sidecar_source_up", &[("app", app)]), Some(1.0), "{app}");
        assert_eq!(exposition.value("promstruct_sidecar_source_refused_families", &[("app", app)]), Some(0.0), "{app}");
    }
    let exposed: BTreeMap<_, _> =
        by_series(&exposition).into_iter().filter(|((name, _), _)| name.starts_with("llmdevops_")).collect();
    assert!(exposed.len() > 100, "only {} llmdevops series through the sidecar", exposed.len());

    // What Prometheus stored: the same series with the same values.
    let stored = poll("every series of both applications stored", Duration::from_secs(20), || async {
        let stored = query(prometheus, "{__name__=~\"llmdevops_.+\",job=\"sidecar\"}").await;
        let expected = exposed.keys().filter(|(name, _)| !name.ends_with("_created")).count();
        (stored.len() >= expected).then_some(stored)
    })
    .await;
    for ((name, labels), value) in &exposed {
        match stored.get(&(name.clone(), labels.clone())) {
            Some(got) => assert_eq!(got, value, "{name}{labels:?}"),
            // Prometheus 2.42 may drop the `_created` samples of OpenMetrics.
            None if name.ends_with("_created") => {}
            None => panic!("Prometheus has no {name}{labels:?}"),
        }
    }
    for key in stored.keys() {
        assert!(exposed.contains_key(key), "Prometheus stored {key:?}, which the sidecar does not serve");
    }
    for app in APPS {
        let requests = format!("llmdevops_llm_requests_total{{app=\"{app}\",model=\"gpt-4o\",status=\"ok\"}}");
        assert_eq!(one(prometheus, &requests).await, Some(42.0), "{app}");
        let steps = format!("llmdevops_agent_steps_total{{app=\"{app}\",agent=\"planner\",step_type=\"plan\"}}");
        assert_eq!(one(prometheus, &steps).await, Some(7.0), "{app}");
        assert_eq!(one(prometheus, &format!("promstruct_sidecar_source_up{{app=\"{app}\"}}")).await, Some(1.0));
    }

    // `agents` stops: its up goes to 0, its series go stale, `llm`'s are still scraped.
    assert!(sigterm(apps.get_mut("agents").unwrap()).success());
    poll("promstruct_sidecar_source_up{app=\"agents\"} at 0", Duration::from_secs(20), || async {
        (one(prometheus, "promstruct_sidecar_source_up{app=\"agents\"}").await == Some(0.0)).then_some(())
    })
    .await;
    poll("the stopped application's series stale", Duration::from_secs(20), || async {
        query(prometheus, "{__name__=~\"llmdevops_.+\",app=\"agents\"}").await.is_empty().then_some(())
    })
    .await;
    assert_eq!(one(prometheus, "up{job=\"sidecar\"}").await, Some(1.0), "the sidecar's target stays up");
    assert_eq!(one(prometheus, "promstruct_sidecar_source_up{app=\"llm\"}").await, Some(1.0));
    let requests = "llmdevops_llm_requests_total{app=\"llm\",model=\"gpt-4o\",status=\"ok\"}";
    assert_eq!(one(prometheus, requests).await, Some(42.0));
    let still = query(prometheus, "{__name__=~\"llmdevops_.+\",app=\"llm\"}").await;
    assert_eq!(still.len(), stored.keys().filter(|(_, l)| l.get("app").is_some_and(|a| a == "llm")).count());

    assert!(sigterm(&mut sidecar).success());
    assert!(sigterm(apps.get_mut("llm").unwrap()).success());
}

/// The documents of the YAML files of `deploy/sidecar/`, by kind.
fn deploy_documents() -> BTreeMap<String, serde_norway::Value> {
    use serde::Deserialize;
    let mut docs = BTreeMap::new();
    for file in ["config.yaml", "deployment.yaml", "service.yaml"] {
        let path = format!("{}/deploy/sidecar/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        for doc in serde_norway::Deserializer::from_str(&text) {
            let value = serde_norway::Value::deserialize(doc).unwrap_or_else(|e| panic!("{path}: {e}"));
            let kind = value["kind"].as_str().unwrap_or_else(|| panic!("{path}: a document without kind")).to_owned();
            assert!(docs.insert(kind.clone(), value).is_none(), "two {kind} documents");
        }
    }
    docs
}

fn text<'a>(value: &'a serde_norway::Value, what: &str) -> &'a str {
    value.as_str().unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deploy_manifests_hold_together_and_run_as_written() {
    use promstruct::config::Config;
    use promstruct_sidecar::SidecarConfig;

    let docs = deploy_documents();
    let data = &docs["ConfigMap"]["data"];
    let pod = &docs["Deployment"]["spec"]["template"]["spec"];
    let containers = pod["containers"].as_sequence().unwrap();
    let container =
        |name: &str| containers.iter().find(|c| c["name"] == name).unwrap_or_else(|| panic!("no container {name}"));

    // The shared emptyDir, mounted at the sockets' directory in every container.
    let volume = pod["volumes"].as_sequence().unwrap().iter().find(|v| v["name"] == "metrics-sockets").unwrap();
    assert!(volume["emptyDir"].is_mapping(), "{volume:?}");
    for c in containers {
        let mounts = c["volumeMounts"].as_sequence().unwrap();
        let mount = mounts.iter().find(|m| m["name"] == "metrics-sockets").unwrap_or_else(|| panic!("{c:?}"));
        assert_eq!(text(&mount["mountPath"], "the sockets' mount"), "/run/metrics");
    }

    // Each application serves on its socket only; the sidecar collects exactly those sockets.
    let sidecar_text = text(&data["sidecar.yaml"], "sidecar.yaml");
    let sidecar = SidecarConfig::from_yaml_str(sidecar_text).unwrap();
    sidecar.validate().unwrap();
    let names: Vec<&str> = sidecar.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["llm-engine", "agent-runtime"]);
    for source in &sidecar.sources {
        let app =
            Config::from_yaml_str(text(&data[format!("{}.yaml", source.name).as_str()], "an app's config")).unwrap();
        assert_eq!(app.endpoint.unix_socket.as_deref(), Some(source.socket.as_path()), "{}", source.name);
        assert_eq!(app.endpoint.unix_socket_mode, 0o660);
        let args: Vec<&str> =
            container(&source.name)["args"].as_sequence().unwrap().iter().map(|a| text(a, "an arg")).collect();
        assert_eq!(args, ["--config", &format!("/etc/metrics/{}.yaml", source.name)]);
        assert!(container(&source.name)["ports"].is_null(), "{} opens a port", source.name);
    }
    let serving = Config::from_yaml_str(sidecar_text).unwrap();
    assert!(serving.endpoint.host.is_unspecified() && serving.endpoint.port == 9090);
    assert_eq!(container("metrics-sidecar")["ports"][0]["containerPort"].as_u64(), Some(9090));
    assert_eq!(docs["Service"]["spec"]["ports"][0]["port"].as_u64(), Some(9090));
    assert_eq!(text(&docs["ServiceMonitor"]["spec"]["endpoints"][0]["path"], "the ServiceMonitor's path"), "/metrics");

    // Run the pod's three programs with its configuration, the sockets' directory moved to a scratch one.
    let example = build_example("llm_service");
    let sidecar_binary = build_binary("promstruct-sidecar", "promstruct-sidecar");
    let tmp = Scratch::new("sidecar-deploy");
    let moved = |yaml: &str| yaml.replace("/run/metrics/", &format!("{}/", tmp.0.display()));
    let mut running = Vec::new();
    for source in &sidecar.sources {
        let config = tmp.join(&format!("{}.yaml", source.name));
        std::fs::write(&config, moved(text(&data[format!("{}.yaml", source.name).as_str()], "config"))).unwrap();
        let (app, lines) =
            spawn_reading_lines(&example, &["--deterministic", "--config", config.to_str().unwrap()], Stdio::inherit());
        let first = lines.recv_timeout(Duration::from_secs(30)).expect("the application's first line");
        assert!(first.starts_with("listening on unix:"), "{first}");
        running.push(app);
    }
    let config = tmp.join("sidecar.yaml");
    std::fs::write(&config, moved(sidecar_text)).unwrap();
    let (_sidecar, addr) =
        start_serving(&sidecar_binary, &["--config", config.to_str().unwrap(), "--listen", "127.0.0.1:0"]);
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT), ("accept-encoding", "gzip")]).await;
    assert_eq!(reply.status, 200);
    let e = reply.exposition();
    for app in ["llm-engine", "agent-runtime"] {
        assert_eq!(e.value("promstruct_sidecar_source_up", &[("app", app)]), Some(1.0), "{app}");
        assert_eq!(e.value("promstruct_sidecar_source_refused_families", &[("app", app)]), Some(0.0), "{app}");
        assert!(e.samples_named("process_resident_memory_bytes").any(|s| s.label("app") == Some(app)), "{app}");
    }
    // Each part's own families, under its name only.
    e.assert_value(
        "llmdevops_llm_requests_total",
        &[("app", "llm-engine"), ("model", "gpt-4o"), ("status", "ok")],
        42.0,
    );
    e.assert_value(
        "llmdevops_agent_steps_total",
        &[("app", "agent-runtime"), ("agent", "planner"), ("step_type", "plan")],
        7.0,
    );
    assert!(e.samples().filter(|s| s.name.starts_with("llmdevops_llm_")).all(|s| s.label("app") == Some("llm-engine")));
    assert!(
        e.samples().filter(|s| s.name.starts_with("llmdevops_agent_")).all(|s| s.label("app") == Some("agent-runtime"))
    );
    drop(running);
}
