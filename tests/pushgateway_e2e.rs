//! End to end: the batch_job example pushes to a real Pushgateway (Debian's `prometheus-pushgateway`, on
//! loopback), in protobuf (the default) from one instance and in the text format (`--format text`) from
//! another; the gateway then exposes the pushed values of both under the job and instance grouping labels,
//! alike; the example's `--delete` removes its group and leaves the others.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use suite::exposition::{SeriesKey, by_series};
use suite::http::get;
use suite::programs::{Running, Scratch, build_example, free_port, poll, require_program};

/// The gateway's own exposition, by series (name and labels), for the samples of `prefix`.
async fn exposed(gateway: SocketAddr, prefix: &str) -> BTreeMap<SeriesKey, f64> {
    let reply = get(gateway, "/metrics", &[]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    by_series(&reply.exposition()).into_iter().filter(|((name, _), _)| name.starts_with(prefix)).collect()
}

fn value(series: &BTreeMap<SeriesKey, f64>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let labels: BTreeMap<String, String> = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    series.get(&(name.to_owned(), labels)).copied()
}

fn batch_job(binary: &std::path::Path, gateway: SocketAddr, args: &[&str]) -> std::process::Output {
    let url = format!("http://{gateway}");
    Command::new(binary).args(["--gateway", &url]).args(args).output().expect("run batch_job")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_job_pushes_its_metrics_and_deletes_its_group() {
    require_program("prometheus-pushgateway", "prometheus-pushgateway");
    let binary = build_example("batch_job");
    let tmp = Scratch::new("pushgateway");
    let gateway: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let log = std::fs::File::create(tmp.join("pushgateway.log")).unwrap();
    let _gateway = Running {
        child: Command::new("prometheus-pushgateway")
            .arg(format!("--web.listen-address={gateway}"))
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start prometheus-pushgateway"),
    };
    poll("the Pushgateway ready", Duration::from_secs(20), || async {
        let up = tokio::time::timeout(Duration::from_secs(2), tokio::net::TcpStream::connect(gateway)).await;
        match up {
            Ok(Ok(_)) => (get(gateway, "/-/ready", &[]).await.status == 200).then_some(()),
            _ => None,
        }
    })
    .await;
    assert!(exposed(gateway, "batch_").await.is_empty(), "a fresh gateway holds nothing");

    // Two runs of the job, from two instances: one pushes protobuf, the other text.
    for (instance, records, format) in [("host-1", "500", "protobuf"), ("host-2", "300", "text")] {
        let mut args = vec!["--job", "nightly_import", "--instance", instance, "--records", records];
        if format == "text" {
            args.extend(["--format", "text"]);
        }
        let out = batch_job(&binary, gateway, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{instance}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("/metrics/job/nightly_import/instance/"), "{stdout}");
        assert!(stdout.contains(&format!("({format})")), "{instance} pushed {format}: {stdout}");
    }

    let series = exposed(gateway, "").await;
    for (instance, records) in [("host-1", 500.0), ("host-2", 300.0)] {
        let group = [("job", "nightly_import"), ("instance", instance)];
        let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
            group.iter().copied().chain(extra.iter().copied()).collect()
        };
        let outcome = |o: &'static str| value(&series, "batch_records_total", &with(&[("outcome", o)]));
        let imported = outcome("imported").unwrap_or_else(|| panic!("{instance}: no imported records in {series:?}"));
        let skipped = outcome("skipped").expect("skipped records");
        let failed = outcome("failed").expect("failed records");
        assert_eq!(imported + skipped + failed, records, "{instance}");
        assert_eq!(skipped, records / 100.0, "{instance}: one record in a hundred is skipped");
        assert_eq!(value(&series, "batch_record_duration_seconds_count", &with(&[])), Some(records), "{instance}");
        let inf = value(&series, "batch_record_duration_seconds_bucket", &with(&[("le", "+Inf")]));
        assert_eq!(inf, Some(records), "{instance}");
        let run = value(&series, "batch_run_duration_seconds", &with(&[])).expect("the run duration");
        assert!(run > 0.0 && run < 60.0, "{instance}: {run}");
        // The gateway stamps each group with its push time.
        let pushed = value(&series, "push_time_seconds", &with(&[])).expect("the push time");
        assert!(pushed > 1.6e9, "{instance}: {pushed}");
        assert_eq!(value(&series, "push_failure_time_seconds", &with(&[])), Some(0.0), "{instance}");
    }
    // Both pushes are exposed alike: the same series (but the values of the run), the same types and help.
    let gateway_scrape = get(gateway, "/metrics", &[]).await.exposition();
    let of_instance = |instance: &str| -> Vec<(String, Vec<String>)> {
        let mut series: Vec<(String, Vec<String>)> = gateway_scrape
            .samples()
            .filter(|s| s.name.starts_with("batch_") && s.label("instance") == Some(instance))
            .map(|s| {
                (
                    s.name.clone(),
                    s.labels.iter().filter(|(n, _)| n != "instance").map(|(n, v)| format!("{n}={v}")).collect(),
                )
            })
            .collect();
        series.sort();
        series
    };
    assert_eq!(of_instance("host-1"), of_instance("host-2"), "the protobuf and the text push");
    assert!(of_instance("host-1").len() > 10, "{:?}", of_instance("host-1"));
    for family in gateway_scrape.families().iter().filter(|f| f.name.starts_with("batch_")) {
        assert!(
            family.help.as_deref().is_some_and(|h| !h.is_empty() && !h.starts_with("Metric read from")),
            "{family:?}"
        );
    }

    // Nothing without the grouping labels.
    for ((name, labels), _) in series.iter().filter(|((name, _), _)| name.starts_with("batch_")) {
        assert_eq!(labels.get("job").map(String::as_str), Some("nightly_import"), "{name}{labels:?}");
        assert!(labels.contains_key("instance"), "{name}{labels:?}");
    }

    // The API lists both groups with their labels.
    let reply = get(gateway, "/api/v1/metrics", &[]).await;
    assert_eq!(reply.status, 200);
    let json: Value = serde_json::from_slice(&reply.body).unwrap();
    let mut groups: Vec<String> = json["data"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| format!("{}/{}", g["labels"]["job"].as_str().unwrap(), g["labels"]["instance"].as_str().unwrap()))
        .collect();
    groups.sort();
    assert_eq!(groups, ["nightly_import/host-1", "nightly_import/host-2"]);

    // --delete removes host-1's group, and only it.
    let out = batch_job(&binary, gateway, &["--job", "nightly_import", "--instance", "host-1", "--delete", "true"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let series = exposed(gateway, "").await;
    let instances: Vec<&str> = series
        .keys()
        .filter(|(name, _)| name.starts_with("batch_") || name == "push_time_seconds")
        .filter_map(|(_, labels)| labels.get("instance").map(String::as_str))
        .collect();
    assert!(!instances.is_empty(), "host-2 is still there");
    assert!(instances.iter().all(|i| *i == "host-2"), "{instances:?}");

    // A gateway that is not there makes the job fail.
    let closed: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let out = batch_job(&binary, closed, &["--job", "nightly_import", "--records", "10"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("push failed"));
}
