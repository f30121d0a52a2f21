//! Seed 003 (`/work/shared/seeds/`, Argo Workflows' "Prometheus Metrics" page) held against the `argo`
//! example: every controller metric of its "Default Controller Metrics" and every custom metric of its
//! examples, with its type, label names, label values, buckets and help, read from the example's scrapes
//! by the project's strict parser after simulated runs of the shipped manifests (the document's examples);
//! the same scrapes give `promtool check metrics` exactly the findings the names Argo keeps cause, and
//! Python's strict OpenMetrics parser accepts them.
//!
//! The table is written from the document: the names are its headings and examples, the help of each
//! controller metric is its description, the custom metrics' labels, help and buckets are its examples'.
//! The page names no label of a controller metric; those, their values, and the controller histograms'
//! buckets are Argo's (release 3.5, `workflow/metrics`, which the page documents): for example
//! `argo_workflows_count{status}` by workflow phase, `argo_workflows_queue_latency` in buckets 1, 5, 20, 60
//! and 180 s, `argo_workflows_operation_duration_seconds` in `LinearBuckets(5, 5, 6)`. A counter is written
//! with the name the document gives; in OpenMetrics its family drops a `_total` and its samples end in one.

mod argo_support;

use std::collections::BTreeSet;
use std::time::Duration;

use argo_support::{WORKFLOWS, scrape_at, wait_for_workflows};
use promstruct_testing::{Exposition, FamilyType};
use suite::http::get;
use suite::programs::{Scratch, build_example, start_serving};
use suite::validators::{promtool_lints, python_parse};

/// One metric of the document.
struct SeedMetric {
    /// The name the document writes.
    name: &'static str,
    kind: FamilyType,
    /// The help: the document's description of a controller metric, an example's `help`.
    help: &'static str,
    /// The label names a series may have (an empty value counts as no label, as in Prometheus): one set,
    /// or, for `result_counter`, the two the document's examples give it.
    label_sets: &'static [&'static [&'static str]],
    /// The values of the labels that have a fixed set.
    values: &'static [(&'static str, &'static [&'static str])],
    /// Whether every combination of `values` is exposed from the start (Argo creates those series).
    complete: bool,
    /// A histogram's bucket bounds, `+Inf` left out.
    buckets: Option<&'static [f64]>,
    /// The `# UNIT`.
    unit: Option<&'static str>,
}

const PHASES: &[&str] = &["Pending", "Running", "Succeeded", "Failed", "Error"];
const QUEUES: &[&str] = &["workflow_queue", "pod_cleanup_queue", "cron_wf_queue", "workflow_ttl_queue"];

const fn controller(
    name: &'static str,
    kind: FamilyType,
    help: &'static str,
    labels: &'static [&'static [&'static str]],
    values: &'static [(&'static str, &'static [&'static str])],
) -> SeedMetric {
    SeedMetric { name, kind, help, label_sets: labels, values, complete: true, buckets: None, unit: None }
}

/// The document's metrics: its controller metrics in its (alphabetical) order, then its examples'.
const SEED: [SeedMetric; 15] = [
    controller(
        "argo_pod_missing",
        FamilyType::Gauge,
        "Pods were not seen. E.g. by being deleted by Kubernetes. You should only see this under high load.",
        &[&["recently_started", "node_phase"]],
        &[("recently_started", &["true", "false"]), ("node_phase", &["Pending", "Running"])],
    ),
    controller(
        "argo_workflows_count",
        FamilyType::Gauge,
        "Number of workflow in each phase. The Running count does not mean that a workflows pods are running, \
         just that the controller has scheduled them. A workflow can be stuck in Running with pending pods for a \
         long time.",
        &[&["status"]],
        &[("status", PHASES)],
    ),
    controller(
        "argo_workflows_error_count",
        FamilyType::Counter,
        "A count of certain errors incurred by the controller.",
        &[&["cause"]],
        &[("cause", &["OperationPanic", "CronWorkflowSubmissionError", "CronWorkflowSpecError"])],
    ),
    SeedMetric {
        complete: false,
        ..controller(
            "argo_workflows_k8s_request_total",
            FamilyType::Counter,
            "Number of API requests sent to the Kubernetes API.",
            &[&["kind", "verb", "status_code"]],
            &[],
        )
    },
    SeedMetric {
        buckets: Some(&[5.0, 10.0, 15.0, 20.0, 25.0, 30.0]),
        unit: Some("seconds"),
        ..controller(
            "argo_workflows_operation_duration_seconds",
            FamilyType::Histogram,
            "A histogram of durations of operations. An operation is a single workflow reconciliation loop within \
             the workflow-controller. It's the time for the controller to process a single workflow after it has \
             been read from the cluster and is a measure of the performance of the controller affected by the \
             complexity of the workflow.",
            &[&[]],
            &[],
        )
    },
    controller(
        "argo_workflows_pods_count",
        FamilyType::Gauge,
        "It is possible for a workflow to start, but no pods be running (e.g. cluster is too busy to run them). \
         This metric sheds light on actual work being done.",
        &[&["status"]],
        &[("status", &["Pending", "Running"])],
    ),
    controller(
        "argo_workflows_queue_adds_count",
        FamilyType::Counter,
        "The number of additions to the queue of workflows or cron workflows.",
        &[&["queue_name"]],
        &[("queue_name", QUEUES)],
    ),
    controller(
        "argo_workflows_queue_depth_count",
        FamilyType::Gauge,
        "The depth of the queue of workflows or cron workflows to be processed by the controller.",
        &[&["queue_name"]],
        &[("queue_name", QUEUES)],
    ),
    SeedMetric {
        buckets: Some(&[1.0, 5.0, 20.0, 60.0, 180.0]),
        ..controller(
            "argo_workflows_queue_latency",
            FamilyType::Histogram,
            "The time workflows or cron workflows spend in the queue waiting to be processed.",
            &[&["queue_name"]],
            &[("queue_name", QUEUES)],
        )
    },
    controller(
        "argo_workflows_workers_busy",
        FamilyType::Gauge,
        "The number of workers that are busy.",
        &[&["worker_type"]],
        &[("worker_type", QUEUES)],
    ),
    controller(
        "argo_workflows_workflow_condition",
        FamilyType::Gauge,
        "The number of workflow with different conditions. This will tell you the number of workflows with running \
         pods.",
        &[&["type", "status"]],
        &[("type", &["PodRunning"]), ("status", &["True", "False"])],
    ),
    controller(
        "argo_workflows_workflows_processed_count",
        FamilyType::Counter,
        "A count of all Workflow updates processed by the controller.",
        &[&[]],
        &[],
    ),
    SeedMetric {
        complete: false,
        ..controller(
            "argo_workflows_exec_duration_gauge",
            FamilyType::Gauge,
            "Duration gauge by name",
            &[&["name"]],
            &[("name", &["model_a"])],
        )
    },
    SeedMetric {
        complete: false,
        ..controller(
            "argo_workflows_result_counter",
            FamilyType::Counter,
            "Count of step execution by result status",
            &[&["name"], &["name", "status"]],
            &[("name", &["flakey"]), ("status", &["Succeeded", "Failed", "Error"])],
        )
    },
    SeedMetric {
        complete: false,
        buckets: Some(&[2.01, 4.01, 6.01, 8.01, 10.01]),
        ..controller(
            "argo_workflows_random_int_step_histogram",
            FamilyType::Histogram,
            "Value of the int emitted by random-int at step level",
            &[&[]],
            &[],
        )
    },
];

/// The findings of `promtool check metrics` on the whole exposition, each from a name the document gives
/// and Argo keeps: the `_count` gauges (opted out with `allow(reserved_suffix)`), and the type words of
/// the document's custom metric names (allowed by `Policy::PERMISSIVE`, as Argo allows them). The
/// `_count` counters end in `_count_total` and `argo_workflows_queue_latency` (`allow(unit_suffix)`) has
/// no unit in its name; promtool finds nothing in those.
const PROMTOOL_FINDINGS: [&str; 6] = [
    "argo_workflows_count non-histogram and non-summary metrics should not have \"_count\" suffix",
    "argo_workflows_exec_duration_gauge metric name should not include type 'gauge'",
    "argo_workflows_pods_count non-histogram and non-summary metrics should not have \"_count\" suffix",
    "argo_workflows_queue_depth_count non-histogram and non-summary metrics should not have \"_count\" suffix",
    "argo_workflows_random_int_step_histogram metric name should not include type 'histogram'",
    "argo_workflows_result_counter_total metric name should not include type 'counter'",
];

impl SeedMetric {
    /// The OpenMetrics family name: a counter's without `_total`.
    fn family(&self) -> &'static str {
        match self.kind {
            FamilyType::Counter => self.name.strip_suffix("_total").unwrap_or(self.name),
            _ => self.name,
        }
    }

    /// Checks the row against a parsed OpenMetrics scrape.
    fn check(&self, e: &Exposition) {
        let name = self.name;
        let family = e.family(self.family()).unwrap_or_else(|| panic!("{name}: no family {}", self.family()));
        assert_eq!(family.kind, self.kind, "{name}: type");
        assert_eq!(family.help.as_deref(), Some(self.help), "{name}: help");
        assert_eq!(family.unit.as_deref(), self.unit, "{name}: unit");
        assert!(!family.samples.is_empty(), "{name}: no samples after the runs");
        let mut seen = BTreeSet::new();
        for s in &family.samples {
            let suffix = s.name.strip_prefix(self.family()).unwrap_or_else(|| panic!("{name}: sample {}", s.name));
            let allowed: &[&str] = match self.kind {
                FamilyType::Counter => &["_total", "_created"],
                FamilyType::Histogram => &["_bucket", "_sum", "_count", "_created"],
                _ => &[""],
            };
            assert!(allowed.contains(&suffix), "{name}: sample {}", s.series());
            let labels: Vec<&str> =
                s.labels.iter().filter(|(k, v)| !v.is_empty() && k != "le").map(|(k, _)| k.as_str()).collect();
            assert!(
                self.label_sets.iter().any(|set| {
                    let mut a = set.to_vec();
                    let mut b = labels.clone();
                    a.sort_unstable();
                    b.sort_unstable();
                    a == b
                }),
                "{name}: labels of {} are not one of {:?}",
                s.series(),
                self.label_sets
            );
            for (label, values) in self.values {
                if let Some(v) = s.label(label).filter(|v| !v.is_empty()) {
                    assert!(values.contains(&v), "{name}: {label}={v:?} is not one of {values:?}");
                }
            }
            let combination: Vec<(String, String)> =
                self.values.iter().filter_map(|(l, _)| Some(((*l).to_owned(), s.label(l)?.to_owned()))).collect();
            seen.insert(combination);
        }
        if self.complete && !self.values.is_empty() {
            let combinations = self.values.iter().map(|(_, v)| v.len()).product::<usize>();
            assert_eq!(seen.len(), combinations, "{name}: every combination of {:?} is exposed: {seen:?}", self.values);
        }
        if let Some(buckets) = self.buckets {
            let mut want: Vec<String> = buckets.iter().map(|b| canonical(*b)).collect();
            want.push("+Inf".into());
            let mut series: Vec<Vec<(String, String)>> = Vec::new();
            for s in family.samples.iter().filter(|s| s.name.ends_with("_bucket")) {
                let others: Vec<(String, String)> = s.labels.iter().filter(|(k, _)| k != "le").cloned().collect();
                if !series.contains(&others) {
                    series.push(others);
                }
            }
            assert!(!series.is_empty(), "{name}: no buckets");
            for others in series {
                let les: Vec<&str> = family
                    .samples
                    .iter()
                    .filter(|s| s.name.ends_with("_bucket"))
                    .filter(|s| s.labels.iter().filter(|(k, _)| k != "le").eq(others.iter()))
                    .map(|s| s.label("le").unwrap())
                    .collect();
                assert_eq!(les, want, "{name}{others:?}: buckets");
            }
        }
    }
}

/// A bound as OpenMetrics writes it (`5.0`, `2.01`).
fn canonical(bound: f64) -> String {
    if bound.fract() == 0.0 { format!("{bound:.1}") } else { bound.to_string() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_of_the_document_is_exposed_as_it_says() {
    let binary = build_example("argo");
    let tmp = Scratch::new("seed-argo");
    let events = tmp.join("events.jsonl");
    // Steps without a failure rate of their own always succeed, so random-int observes its histogram; the
    // flakey steps keep the document's 66%.
    let (_argo, addr) = start_serving(
        &binary,
        &[
            "--listen",
            "127.0.0.1:0",
            "--workflows",
            WORKFLOWS,
            "--runs",
            "2",
            "--interval",
            "20",
            "--failure-rate",
            "0",
            "--events",
            events.to_str().unwrap(),
        ],
    );
    wait_for_workflows(&events, 10, Duration::from_secs(60)).await;
    let (e, om_text) = scrape_at(addr, "/metrics").await;
    for row in &SEED {
        row.check(&e);
    }

    // The 0.0.4 text: exactly the findings the kept names cause, and nothing else.
    let text = get(addr, "/metrics", &[]).await;
    assert_eq!(text.status, 200);
    let lints = promtool_lints(text.text().as_bytes()).unwrap_or_else(|e| panic!("promtool: {e}\n{}", text.text()));
    assert_eq!(lints, PROMTOOL_FINDINGS, "{}", text.text());

    // Python's strict OpenMetrics parser reads the same scrape, with the same types.
    let families = python_parse(om_text.as_bytes(), true).unwrap_or_else(|e| panic!("python: {e}\n{om_text}"));
    for row in &SEED {
        let family = families.iter().find(|f| f.name == row.family()).unwrap_or_else(|| panic!("python: {}", row.name));
        assert_eq!(family.kind, row.kind.as_str(), "python: {}", row.name);
        assert_eq!(family.help, row.help, "python: {}", row.name);
    }
}
