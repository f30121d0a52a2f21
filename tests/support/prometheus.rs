//! A real Prometheus server for the end-to-end tests (Debian's `prometheus`, on loopback, scrape interval
//! 1 s): started on a scrape configuration, and read through its HTTP API.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::exposition::SeriesKey;
use crate::http::get;
use crate::programs::{Running, Scratch, encode_query, free_port, poll};

/// GETs a Prometheus API path and returns its `data`.
pub async fn api(prometheus: SocketAddr, path_and_query: &str) -> Value {
    let reply = get(prometheus, path_and_query, &[]).await;
    assert_eq!(reply.status, 200, "{path_and_query}: {}", reply.text());
    let json: Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert_eq!(json["status"], "success", "{json}");
    json["data"].clone()
}

/// The instant vector of a PromQL query, by series (without `job` and `instance`).
pub async fn query(prometheus: SocketAddr, promql: &str) -> BTreeMap<SeriesKey, f64> {
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

/// Starts Prometheus with the scrape `jobs` (YAML list items) and waits until its `count` targets are up,
/// scraped without error.
pub async fn start_prometheus(tmp: &Scratch, jobs: &str, count: usize) -> (Running, SocketAddr) {
    start_prometheus_with(tmp, jobs, count, &[]).await
}

/// [`start_prometheus`] with more command-line `flags`, such as `--enable-feature=native-histograms`.
pub async fn start_prometheus_with(tmp: &Scratch, jobs: &str, count: usize, flags: &[&str]) -> (Running, SocketAddr) {
    start(tmp, jobs, count, flags, None).await
}

/// [`start_prometheus_with`] `flags` and the rule file `rules` loaded (evaluated every second).
pub async fn start_prometheus_with_rules(
    tmp: &Scratch,
    jobs: &str,
    count: usize,
    flags: &[&str],
    rules: &std::path::Path,
) -> (Running, SocketAddr) {
    start(tmp, jobs, count, flags, Some(rules)).await
}

async fn start(
    tmp: &Scratch,
    jobs: &str,
    count: usize,
    flags: &[&str],
    rules: Option<&std::path::Path>,
) -> (Running, SocketAddr) {
    let port = free_port();
    let prometheus_addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let prometheus_yml = tmp.0.join("prometheus.yml");
    std::fs::write(
        &prometheus_yml,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             {}scrape_configs:\n{jobs}",
            rules.map(|rules| format!("rule_files: ['{}']\n", rules.display())).unwrap_or_default()
        ),
    )
    .unwrap();
    let log = std::fs::File::create(tmp.0.join("prometheus.log")).unwrap();
    let prometheus = Running {
        child: Command::new("prometheus")
            .arg(format!("--config.file={}", prometheus_yml.display()))
            .arg(format!("--storage.tsdb.path={}", tmp.0.join("data").display()))
            .arg(format!("--web.listen-address={prometheus_addr}"))
            .args(flags)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start prometheus"),
    };
    let targets = poll("every target up", Duration::from_secs(40), || async {
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
        (active.len() == count && up == count).then_some(active)
    })
    .await;
    for target in &targets {
        assert_eq!(target["lastError"], "", "{target}");
        assert_eq!(target["health"], "up", "{target}");
    }
    (prometheus, prometheus_addr)
}
