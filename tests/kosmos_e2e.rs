//! End to end: a real Prometheus (Debian's `prometheus`, on loopback) scrapes the kosmos example every
//! second with `examples/kosmos/rules.yml` loaded as it is; every rule group loads healthy, and recording
//! rules return values through `/api/v1/query` that equal their expressions evaluated at the same instant.

mod http_support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use http_support::get;
use http_support::programs::{Scratch, build_example, encode_query, free_port, poll, require_program, start_serving};
use serde_json::Value;

/// GETs a Prometheus API path and returns its `data`.
async fn api(prometheus: SocketAddr, path_and_query: &str) -> Value {
    let reply = get(prometheus, path_and_query, &[]).await;
    assert_eq!(reply.status, 200, "{path_and_query}: {}", reply.text());
    let json: Value = serde_json::from_slice(&reply.body).expect("JSON");
    assert_eq!(json["status"], "success", "{json}");
    json["data"].clone()
}

/// The result vector of an instant query, optionally at `time`.
async fn query(prometheus: SocketAddr, promql: &str, time: Option<f64>) -> Vec<Value> {
    let mut path = format!("/api/v1/query?query={}", encode_query(promql));
    if let Some(time) = time {
        path.push_str(&format!("&time={time}"));
    }
    api(prometheus, &path).await["result"].as_array().expect("a vector").clone()
}

/// The points of every series of `record` in the last hour: its labels (without the name) and
/// `(time, value)` pairs.
async fn query_range_points(prometheus: SocketAddr, record: &str) -> Vec<(Vec<(String, Value)>, Vec<(f64, f64)>)> {
    let data = api(prometheus, &format!("/api/v1/query?query={}", encode_query(&format!("{record}[1h]")))).await;
    data["result"]
        .as_array()
        .expect("a matrix")
        .iter()
        .map(|series| {
            let labels = series["metric"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| *k != "__name__")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let points = series["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_f64().unwrap(), p[1].as_str().unwrap().parse().unwrap()))
                .collect();
            (labels, points)
        })
        .collect()
}

fn sample(item: &Value) -> (f64, f64) {
    let time = item["value"][0].as_f64().expect("a timestamp");
    let value = item["value"][1].as_str().expect("a value").parse().expect("a number");
    (time, value)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_records_the_kosmos_rules() {
    require_program("prometheus", "prometheus");
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/kosmos/rules.yml");
    let binary = build_example("kosmos");
    let (_kosmos, kosmos) = start_serving(&binary, &["--listen", "127.0.0.1:0"]);

    let tmp = Scratch::new("kosmos-e2e");
    let prometheus: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = tmp.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             rule_files: ['{rules}']\n\
             scrape_configs:\n  - job_name: kosmos\n    static_configs: [{{ targets: ['{kosmos}'] }}]\n"
        ),
    )
    .unwrap();
    let log = std::fs::File::create(tmp.join("prometheus.log")).unwrap();
    let _prometheus = http_support::programs::Running {
        child: Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", tmp.join("data").display()))
            .arg(format!("--web.listen-address={prometheus}"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start prometheus"),
    };

    // The target is up and scraped without error.
    let target = poll("the kosmos target up", Duration::from_secs(40), || async {
        let connected = tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(prometheus)).await;
        if !matches!(connected, Ok(Ok(_))) {
            return None;
        }
        let data = api(prometheus, "/api/v1/targets?state=active").await;
        let target = data["activeTargets"].as_array()?.first()?.clone();
        (target["health"] == "up").then_some(target)
    })
    .await;
    assert_eq!(target["lastError"], "", "{target}");

    // Every group of the file is loaded, and its rules evaluate without error.
    let rules_file = std::fs::read_to_string(rules).unwrap();
    let declared = rules_file.lines().filter(|l| l.trim_start().starts_with("- record:")).count();
    assert!(declared >= 5, "{declared} recording rules in {rules}");
    let groups = poll("every rule evaluated once", Duration::from_secs(60), || async {
        let data = api(prometheus, "/api/v1/rules?type=record").await;
        let groups = data["groups"].as_array()?.clone();
        let rules: Vec<&Value> = groups.iter().flat_map(|g| g["rules"].as_array().unwrap().iter()).collect();
        let evaluated = rules.iter().all(|r| r["lastEvaluation"].as_str().is_some_and(|t| !t.starts_with("0001")));
        (rules.len() == declared && evaluated).then_some(groups)
    })
    .await;
    for group in &groups {
        assert_eq!(group["file"], rules, "{group}");
        for rule in group["rules"].as_array().unwrap() {
            assert_eq!(rule["health"], "ok", "{rule}");
            assert_eq!(rule["lastError"].as_str().unwrap_or(""), "", "{rule}");
        }
    }

    // A recording rule's series, read back through the query API, equals its expression at that instant.
    for (record, expression) in [
        ("kosmos:agents_active:sum", "sum(kosmos_agents_active)"),
        ("kosmos:queue_depth:max", "max by (queue) (kosmos_queue_depth)"),
    ] {
        let recorded = poll(record, Duration::from_secs(60), || async {
            let result = query(prometheus, record, None).await;
            (!result.is_empty()).then_some(result)
        })
        .await;
        for item in &recorded {
            assert_eq!(item["metric"]["__name__"], record, "{item}");
            let (_, value) = sample(item);
            assert!(value.is_finite() && value >= 0.0, "{record}: {item}");
        }
        // A point's timestamp is its evaluation's: the expression evaluated there gives the same value. (A
        // scrape stamped just before an evaluation may be stored just after it, so one of the last three
        // points must match, not each.)
        let range = query_range_points(prometheus, record).await;
        assert!(!range.is_empty(), "{record}: no points");
        for (labels, points) in range {
            let mut checked = Vec::new();
            for (at, value) in points.iter().rev().take(3) {
                let again = query(prometheus, expression, Some(*at)).await;
                let same: Vec<f64> = again
                    .iter()
                    .filter(|item| labels.iter().all(|(k, v)| item["metric"][k] == *v))
                    .map(|item| sample(item).1)
                    .collect();
                checked.push((*at, *value, same.clone()));
                if same == [*value] {
                    break;
                }
            }
            let matched = checked.last().is_some_and(|(_, value, same)| same == &[*value]);
            assert!(matched, "{record}{labels:?}: recorded points and the expression at their times: {checked:?}");
        }
    }

    // A rate rule has values too, once two scrapes are in its window.
    let rates = poll("kosmos:llm_tokens:rate5m", Duration::from_secs(60), || async {
        let result = query(prometheus, "kosmos:llm_tokens:rate5m", None).await;
        (!result.is_empty()).then_some(result)
    })
    .await;
    assert!(rates.iter().any(|item| sample(item).1 > 0.0), "tokens flow in the simulation: {rates:?}");
}
