//! The argo example, a workflow-controller simulator: the custom metrics of Argo Workflow manifests
//! appear, after simulated runs, with the names, types, labels and values Argo gives them (checked against
//! the events of the runs); real-time gauges follow their step; the workflow-controller ConfigMap's
//! `metricsConfig` applies; a bad metric stops the controller with an error naming it, or with
//! `ignoreErrors: true` is logged and skipped; `secure: true` serves HTTPS with a self-signed certificate;
//! a second help for one name is refused.

mod argo_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use argo_support::{
    ArgoArgs, CONTROLLER_CONFIG, Event, WORKFLOWS, events, labels, no_cache_config, run_to_end, scrape, scrape_at,
    series, start_logged, wait_for_workflows,
};
use promstruct_testing::FamilyType;
use suite::http::{PROMETHEUS_2_ACCEPT, get, raw};
use suite::programs::{Scratch, build_example, free_port, poll, spawn_reading_lines, start_serving};
use suite::tls::HttpsClient;

/// How many times each shipped document runs in the tests that run them all.
const RUNS: usize = 3;

fn count(events: &[Event], document: usize, kind: &str, phase: Option<&str>) -> usize {
    events.iter().filter(|e| e.document == document && e.event == kind && phase.is_none_or(|p| e.phase == p)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documents_examples_emit_their_metrics_after_simulated_runs() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-examples");
    let events_path = tmp.join("events.jsonl");
    let serving = no_cache_config(&tmp);
    let (_argo, addr) = start_serving(
        &binary,
        &ArgoArgs::new(WORKFLOWS).listen().config(&serving).runs(RUNS).interval(20).events(&events_path).args(),
    );
    let ev = wait_for_workflows(&events_path, 5 * RUNS, Duration::from_secs(60)).await;
    let e = scrape(addr).await;
    let kind = |name: &str| e.family(name).unwrap_or_else(|| panic!("no family {name}")).kind;
    let help = |name: &str| e.family(name).unwrap().help.clone().unwrap_or_default();

    // 1. The workflow-level gauge: the duration of the last model-training run, labelled name=model_a.
    assert_eq!(kind("argo_workflows_exec_duration_gauge"), FamilyType::Gauge);
    assert_eq!(help("argo_workflows_exec_duration_gauge"), "Duration gauge by name");
    let last = ev.iter().rfind(|e| e.document == 1 && e.event == "workflow").unwrap();
    let gauge = series(&e, "argo_workflows_exec_duration_gauge");
    assert_eq!(gauge.keys().collect::<Vec<_>>(), [&labels(&[("name", "model_a")])], "{gauge:?}");
    let value = gauge[&labels(&[("name", "model_a")])];
    assert!((value - last.seconds()).abs() < 1e-6, "{value} is not {}'s {}", last.workflow, last.duration);

    // 2 and 3. The template-level counters share `result_counter`: the failures of the first flakey
    // workflow (no status label: Prometheus reads the empty value as absent), and every step by status.
    assert_eq!(kind("argo_workflows_result_counter"), FamilyType::Counter);
    assert_eq!(help("argo_workflows_result_counter"), "Count of step execution by result status");
    let mut expected = BTreeMap::new();
    let failures = count(&ev, 2, "node", Some("Failed"));
    if failures > 0 {
        expected.insert(labels(&[("name", "flakey"), ("status", "")]), failures as f64);
    }
    for e in ev.iter().filter(|e| e.document == 3 && e.event == "node") {
        *expected.entry(labels(&[("name", "flakey"), ("status", &e.phase)])).or_insert(0.0) += 1.0;
    }
    assert_eq!(series(&e, "argo_workflows_result_counter_total"), expected);
    assert_eq!(count(&ev, 3, "node", None), RUNS, "each flakey-status run has one step");

    // 4. The histogram of the succeeded random-int steps' output, with the document's buckets.
    assert_eq!(kind("argo_workflows_random_int_step_histogram"), FamilyType::Histogram);
    let values: Vec<f64> = ev
        .iter()
        .filter(|e| e.document == 4 && e.event == "node" && e.phase == "Succeeded")
        .map(|e| e.outputs["rand-int-value"].parse().unwrap())
        .collect();
    assert!(values.iter().all(|v| (1.0..=10.0).contains(v) && v.fract() == 0.0), "{values:?}");
    let buckets = series(&e, "argo_workflows_random_int_step_histogram_bucket");
    if values.is_empty() {
        assert!(buckets.is_empty(), "no step succeeded, so nothing was observed: {buckets:?}");
    } else {
        let mut expected = BTreeMap::new();
        for le in ["2.01", "4.01", "6.01", "8.01", "10.01", "+Inf"] {
            let bound: f64 = if le == "+Inf" { f64::INFINITY } else { le.parse().unwrap() };
            expected.insert(labels(&[("le", le)]), values.iter().filter(|v| **v <= bound).count() as f64);
        }
        assert_eq!(buckets, expected);
        let sum = e.value("argo_workflows_random_int_step_histogram_sum", &[]).unwrap();
        assert_eq!(sum, values.iter().sum::<f64>());
        assert_eq!(e.value("argo_workflows_random_int_step_histogram_count", &[]), Some(values.len() as f64));
    }

    // 5. The real-time gauge, frozen once its step completed at the duration of one of its runs.
    assert_eq!(kind("argo_workflows_step_duration_realtime"), FamilyType::Gauge);
    let realtime = series(&e, "argo_workflows_step_duration_realtime");
    let value = realtime[&labels(&[("name", "long-step")])];
    assert!(
        ev.iter().any(|e| e.document == 5 && e.event == "node" && (e.seconds() - value).abs() < 1e-6),
        "{value} is no long-step's duration"
    );

    // The controller's own metrics agree with the runs: workflows by phase, all processed.
    for phase in ["Succeeded", "Failed", "Error"] {
        let n: usize = (1..=5).map(|d| count(&ev, d, "workflow", Some(phase))).sum();
        assert_eq!(e.value("argo_workflows_count", &[("status", phase)]), Some(n as f64), "{phase}");
    }
    assert_eq!(e.value("argo_workflows_count", &[("status", "Running")]), Some(0.0));
    assert_eq!(e.value("argo_workflows_count", &[("status", "Pending")]), Some(0.0));
    let processed = e.value("argo_workflows_workflows_processed_count_total", &[]).unwrap();
    assert!(processed >= (5 * RUNS) as f64, "{processed}");
    let pods_created =
        e.value("argo_workflows_k8s_request_total", &[("kind", "pods"), ("verb", "Create"), ("status_code", "201")]);
    let pod_nodes = ev.iter().filter(|e| e.event == "node" && e.template.as_deref() != Some("steps")).count();
    assert_eq!(pods_created, Some(pod_nodes as f64), "one pod per step that is not a steps template");
}

/// A workflow whose step runs for `seconds`, with a real-time gauge at the workflow level and one at the
/// step's, and a counter of the steps.
fn realtime_workflow(seconds: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{ generateName: slow- }}
spec:
  entrypoint: slow
  metrics:
    prometheus:
      - name: wf_running_seconds
        help: Seconds the slow workflow has run.
        gauge: {{ realtime: true, value: \"{{{{workflow.duration}}}}\" }}
  templates:
    - name: slow
      metadata: {{ annotations: {{ simulator/run-seconds: \"{seconds}\", simulator/failure-rate: \"0\" }} }}
      metrics:
        prometheus:
          - name: step_running_seconds
            help: Seconds the slow step has run.
            labels: [{{ key: step, value: slow }}]
            gauge: {{ realtime: true, value: \"{{{{duration}}}}\" }}
          - name: slow_steps
            help: Slow steps completed.
            counter: {{ value: \"1\" }}
      container: {{ image: alpine }}
"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_time_gauges_are_read_while_they_run_and_frozen_after() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-realtime");
    let workflows = tmp.join("slow.yml");
    std::fs::write(&workflows, realtime_workflow("4")).unwrap();
    let events_path = tmp.join("events.jsonl");
    let serving = no_cache_config(&tmp);
    let (_argo, addr) = start_serving(
        &binary,
        &ArgoArgs::new(&workflows).listen().config(&serving).runs(1).events(&events_path).args(),
    );
    let step = labels(&[("step", "slow")]);
    let first = poll("the step started", Duration::from_secs(20), || async {
        series(&scrape(addr).await, "argo_workflows_step_running_seconds").get(&step).copied()
    })
    .await;
    let wf_first = scrape(addr).await.value("argo_workflows_wf_running_seconds", &[]).unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let e = scrape(addr).await;
    assert!(events(&events_path).is_empty(), "the 4 s step is still running");
    assert_eq!(e.value("argo_workflows_slow_steps_total", &[]), None, "a counter is emitted after the step only");
    // Nothing set them in between: the callbacks read the clocks at the scrape.
    let grown = series(&e, "argo_workflows_step_running_seconds")[&step] - first;
    assert!((0.55..2.0).contains(&grown), "the step's gauge grew by {grown} s in 0.6 s");
    let wf_grown = e.value("argo_workflows_wf_running_seconds", &[]).unwrap() - wf_first;
    assert!((0.55..2.0).contains(&wf_grown), "the workflow's gauge grew by {wf_grown} s in 0.6 s");

    let ev = wait_for_workflows(&events_path, 1, Duration::from_secs(20)).await;
    assert_eq!(scrape(addr).await.value("argo_workflows_slow_steps_total", &[]), Some(1.0), "after the step");
    let node = ev.iter().find(|e| e.event == "node").unwrap();
    let workflow = ev.iter().find(|e| e.event == "workflow").unwrap();
    for _ in 0..2 {
        let e = scrape(addr).await;
        let step_value = series(&e, "argo_workflows_step_running_seconds")[&step];
        assert!((step_value - node.seconds()).abs() < 1e-6, "frozen at the step's {}: {step_value}", node.duration);
        let wf_value = e.value("argo_workflows_wf_running_seconds", &[]).unwrap();
        assert!((wf_value - workflow.seconds()).abs() < 1e-6, "frozen at {}: {wf_value}", workflow.duration);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Argo's variables in names, labels, help, `when` and values, a DAG, step arguments and gauge operations.
const VARIABLES: &str = "apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: vars-
  namespace: data-team
  labels: { team: ml }
spec:
  entrypoint: pipeline
  arguments: { parameters: [{ name: model, value: resnet }] }
  metrics:
    prometheus:
      - name: runs_by_outcome
        help: Runs of {{workflow.parameters.model}} by outcome.
        labels:
          - { key: namespace, value: '{{workflow.namespace}}' }
          - { key: team, value: '{{workflow.labels.team}}' }
          - { key: outcome, value: '{{workflow.status}}' }
        counter: { value: '1' }
      - name: run_names_seen
        help: Each run, by name.
        labels: [{ key: workflow, value: '{{workflow.name}}' }]
        gauge: { value: '1' }
  templates:
    - name: pipeline
      dag:
        tasks:
          - { name: produce, template: produce }
          - name: consume
            template: consume
            dependencies: [produce]
            arguments: { parameters: [{ name: size, value: '{{workflow.parameters.model}}-large' }] }
    - name: produce
      metadata: { annotations: { simulator/failure-rate: '0', simulator/run-seconds: '0.05-0.2' } }
      outputs: { parameters: [{ name: n, valueFrom: { path: /tmp/n } }] }
      metrics:
        prometheus:
          - name: produced_total_value
            help: Sum of the n produced when n is at least 5.
            when: '{{outputs.parameters.n}} >= 5 && {{status}} == Succeeded'
            gauge: { value: '{{outputs.parameters.n}}', operation: Add }
          - name: produce_exit_codes
            help: Produce steps by exit code.
            labels: [{ key: code, value: '{{exitCode}}' }]
            counter: { value: '1' }
    - name: consume
      inputs: { parameters: [{ name: size }] }
      metadata: { annotations: { simulator/failure-rate: '0', simulator/run-seconds: '0.05-0.2' } }
      metrics:
        prometheus:
          - name: consumed
            help: Consume steps by input.
            labels: [{ key: size, value: '{{inputs.parameters.size}}' }]
            counter: { value: '1' }
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn argo_variables_resolve_in_every_field() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-variables");
    let workflows = tmp.join("vars.yml");
    std::fs::write(&workflows, VARIABLES).unwrap();
    let events_path = tmp.join("events.jsonl");
    let (_argo, addr) =
        start_serving(&binary, &ArgoArgs::new(&workflows).listen().runs(4).interval(20).events(&events_path).args());
    let ev = wait_for_workflows(&events_path, 4, Duration::from_secs(30)).await;
    let e = poll("the last run's metrics", Duration::from_secs(5), || async {
        let e = scrape(addr).await;
        (series(&e, "argo_workflows_run_names_seen").len() == 4).then_some(e)
    })
    .await;
    let f = e.family("argo_workflows_runs_by_outcome").unwrap();
    assert_eq!(f.help.as_deref(), Some("Runs of resnet by outcome."));
    let mut outcomes = BTreeMap::new();
    for w in ev.iter().filter(|e| e.event == "workflow") {
        *outcomes.entry(labels(&[("namespace", "data-team"), ("team", "ml"), ("outcome", &w.phase)])).or_insert(0.0) +=
            1.0;
    }
    assert_eq!(series(&e, "argo_workflows_runs_by_outcome_total"), outcomes);
    let names: Vec<String> = ev.iter().filter(|e| e.event == "workflow").map(|e| e.workflow.clone()).collect();
    let seen = series(&e, "argo_workflows_run_names_seen");
    for name in &names {
        assert!(name.starts_with("vars-") && name.len() == "vars-".len() + 5, "{name}");
        assert_eq!(seen.get(&labels(&[("workflow", name)])), Some(&1.0), "{name}: {seen:?}");
    }
    let produced: Vec<f64> = ev
        .iter()
        .filter(|e| e.template.as_deref() == Some("produce") && e.phase == "Succeeded")
        .map(|e| e.outputs["n"].parse().unwrap())
        .collect();
    let big: f64 = produced.iter().filter(|n| **n >= 5.0).sum();
    assert_eq!(e.value("argo_workflows_produced_total_value", &[]).unwrap_or(0.0), big, "{produced:?}");
    let exit_zero = series(&e, "argo_workflows_produce_exit_codes_total");
    assert_eq!(exit_zero.get(&labels(&[("code", "0")])), Some(&(produced.len() as f64)));
    let consumed = ev.iter().filter(|e| e.template.as_deref() == Some("consume")).count();
    let by_size = series(&e, "argo_workflows_consumed_total");
    assert_eq!(by_size.get(&labels(&[("size", "resnet-large")])), Some(&(consumed as f64)), "{by_size:?}");
}

/// A workflow whose one template carries `metric` (a YAML flow mapping) beside a valid one.
fn with_metric(metric: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {{ generateName: checked- }}
spec:
  entrypoint: main
  templates:
    - name: main
      outputs: {{ parameters: [{{ name: n, valueFrom: {{ path: /tmp/n }} }}] }}
      metrics:
        prometheus:
          - {{ name: fine, help: A fine metric., counter: {{ value: '1' }} }}
          - {metric}
      container: {{ image: alpine }}
"
    )
}

#[test]
fn a_bad_metric_stops_the_controller_with_an_error_naming_it() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-bad");
    let cases: &[(&str, &str, &str)] = &[
        ("{ name: bad-name, help: h, counter: { value: '1' } }", "bad-name", "name is invalid"),
        ("{ name: '9lives', help: h, counter: { value: '1' } }", "9lives", "name is invalid"),
        ("{ name: no_help, counter: { value: '1' } }", "no_help", "help"),
        ("{ name: no_type, help: h }", "no_type", "no type"),
        ("{ name: two_types, help: h, counter: { value: '1' }, gauge: { value: '1' } }", "two_types", "one type"),
        ("{ name: no_buckets, help: h, histogram: { value: '1' } }", "no_buckets", "missing field `buckets`"),
        ("{ name: unsorted, help: h, histogram: { value: '1', buckets: [2, 1] } }", "unsorted", "increasing"),
        ("{ name: typo, help: h, histogram: { value: '1', bucket: [1] } }", "typo", "unknown field `bucket`"),
        ("{ name: not_number, help: h, counter: { value: one } }", "not_number", "not a number"),
        ("{ name: negative, help: h, counter: { value: '-1' } }", "negative", "only goes up"),
        (
            "{ name: unknown_var, help: h, gauge: { value: '{{outputs.parameters.nope}}' } }",
            "unknown_var",
            "{{outputs.parameters.nope}}",
        ),
        ("{ name: tag, help: h, gauge: { value: '{{=asInt(outputs.parameters.n)}}' } }", "tag", "expression tags"),
        ("{ name: rt_literal, help: h, gauge: { value: '5', realtime: true } }", "rt_literal", "one variable"),
        (
            "{ name: rt_status, help: h, gauge: { value: '{{status}}', realtime: true } }",
            "rt_status",
            "not available as a real-time metric",
        ),
        ("{ name: bad_when, help: h, when: '{{status}} ==', counter: { value: '1' } }", "bad_when", "when"),
        (
            "{ name: regex_when, help: h, when: '{{status}} =~ Fail', counter: { value: '1' } }",
            "regex_when",
            "`=~` is not simulated",
        ),
        (
            "{ name: bad_label, help: h, labels: [{ key: bad-key, value: v }], counter: { value: '1' } }",
            "bad_label",
            "label `bad-key`",
        ),
        (
            "{ name: twice, help: h, labels: [{ key: a, value: x }, { key: a, value: y }], counter: { value: '1' } }",
            "twice",
            "given twice",
        ),
        (
            "{ name: le_label, help: h, labels: [{ key: le, value: x }], histogram: { value: '1', buckets: [1] } }",
            "le_label",
            "`le` is reserved",
        ),
        ("{ name: count, help: h, gauge: { value: '1' } }", "count", "argo_workflows_count"),
        ("{ name: fine, help: A fine metric., gauge: { value: '1' } }", "fine", "one name has one type"),
        (
            "{ name: '{{workflow.name}}', help: h, gauge: { value: '1' } }",
            "{{workflow.name}}",
            "(`checked-abcde` in a run) is invalid",
        ),
    ];
    for (i, (metric, name, reason)) in cases.iter().enumerate() {
        let path = tmp.join(&format!("bad-{i}.yml"));
        std::fs::write(&path, with_metric(metric)).unwrap();
        let out = run_to_end(&binary, &["--listen", "127.0.0.1:0", "--workflows", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{metric}: {stderr}");
        assert!(out.stdout.is_empty(), "{metric}: it must not serve");
        for part in [&format!("metric `{name}`"), *reason, path.to_str().unwrap(), "template `main`"] {
            assert!(stderr.contains(part), "{metric}: expected {part:?} in {stderr}");
        }
        assert!(!stderr.contains("metric `fine`") || *name == "fine", "only the bad metric is named: {stderr}");
    }

    // Mistakes in the manifests themselves name the document.
    let manifests = [
        ("kind: Workflow\napiVersion: v1\nspec: { entrypoint: a, templates: [{ name: a }] }\n", "not an Argo Workflow"),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: { entrypoint: b, templates: [{ name: a }] }\n",
            "entrypoint `b`",
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: { entrypoint: a, templates: [{ name: a, steps: [[{ name: s, template: nope }]] }] }\n",
            "template `nope`",
        ),
    ];
    for (i, (manifest, reason)) in manifests.iter().enumerate() {
        let path = tmp.join(&format!("manifest-{i}.yml"));
        std::fs::write(&path, manifest).unwrap();
        let out = run_to_end(&binary, &["--workflows", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{manifest}: {stderr}");
        assert!(stderr.contains(reason) && stderr.contains("document 1"), "{reason}: {stderr}");
    }
    let out = run_to_end(&binary, &["--workflows", "/nonexistent/workflows.yml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/workflows.yml"));
}

/// Two workflows defining `shared` with different help texts.
const TWO_HELPS: &str = "apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { generateName: first- }
spec:
  entrypoint: main
  metrics: { prometheus: [{ name: shared, help: First help., counter: { value: '1' } }] }
  templates: [{ name: main, metadata: { annotations: { simulator/run-seconds: '0.05' } } }]
---
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: { generateName: second- }
spec:
  entrypoint: main
  metrics: { prometheus: [{ name: shared, help: Second help., counter: { value: '1' } }] }
  templates: [{ name: main, metadata: { annotations: { simulator/run-seconds: '0.05' } } }]
";

#[test]
fn a_second_help_for_one_name_is_refused() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-help");
    let path = tmp.join("helps.yml");
    std::fs::write(&path, TWO_HELPS).unwrap();
    let out = run_to_end(&binary, &["--listen", "127.0.0.1:0", "--workflows", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    for part in
        ["document 2 (workflow `second-`)", "metric `shared`", "\"Second help.\"", "\"First help.\"", "same help"]
    {
        assert!(stderr.contains(part), "expected {part:?} in {stderr}");
    }
}

/// A ConfigMap whose `metricsConfig` (under its own key) is `body`.
fn config_map(body: &str) -> String {
    let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{ name: workflow-controller-configmap }}\ndata:\n  metricsConfig: |\n{indented}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_ignore_errors_a_bad_metric_is_logged_and_skipped() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-ignore");
    let workflows = tmp.join("mixed.yml");
    let bad = "{ name: bad-name, help: h, counter: { value: '1' } }
          - { name: typo, help: h, histogram: { value: '1', bucket: [1] } }
          - { name: fine, help: Another help., counter: { value: '1' } }";
    std::fs::write(&workflows, with_metric(bad)).unwrap();
    let config = tmp.join("controller.yml");
    std::fs::write(&config, config_map("ignoreErrors: true")).unwrap();
    let (log, events_path) = (tmp.join("stderr.log"), tmp.join("events.jsonl"));
    let (_argo, addr) = start_logged(
        &binary,
        &ArgoArgs::new(&workflows).listen().controller(&config).runs(2).interval(20).events(&events_path).args(),
        &log,
    );
    let ev = wait_for_workflows(&events_path, 2, Duration::from_secs(30)).await;
    let e = scrape(addr).await;
    // The good metric is emitted after each step; the bad ones are not there at all.
    assert_eq!(e.value("argo_workflows_fine_total", &[]), Some(ev.iter().filter(|e| e.event == "node").count() as f64));
    assert_eq!(e.family("argo_workflows_fine").unwrap().help.as_deref(), Some("A fine metric."));
    for absent in ["argo_workflows_bad-name", "argo_workflows_typo", "argo_workflows_typo_bucket"] {
        assert!(e.samples().all(|s| !s.name.starts_with(absent)), "{absent}");
    }
    let stderr = std::fs::read_to_string(&log).unwrap();
    for (metric, reason) in [("bad-name", "name is invalid"), ("typo", "unknown field `bucket`"), ("fine", "same help")]
    {
        let line = stderr.lines().find(|l| l.contains(&format!("metric `{metric}`")) && l.contains(reason));
        let line = line.unwrap_or_else(|| panic!("no warning for {metric}: {stderr}"));
        assert!(line.contains("WARN"), "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secure_metrics_are_served_over_https_with_a_self_signed_certificate() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-secure");
    let serving = no_cache_config(&tmp);
    let own_key = config_map("secure: true");
    let whole = "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: workflow-controller-configmap }\ndata:\n  config: |\n    metricsConfig:\n      secure: true\n";
    for (i, map) in [own_key.as_str(), whole].iter().enumerate() {
        let path = tmp.join(&format!("secure-{i}.yml"));
        std::fs::write(&path, map).unwrap();
        let args = ArgoArgs::new(WORKFLOWS).listen().config(&serving).controller(&path).runs(1).interval(20);
        let (mut argo, lines) = spawn_reading_lines(&binary, &args.args(), std::process::Stdio::inherit());
        let first = lines.recv_timeout(Duration::from_secs(30)).expect("a first line on stdout");
        assert!(first.starts_with("argo: serving https://") && first.ends_with("/metrics"), "{first}");
        let addr: std::net::SocketAddr =
            first["argo: serving https://".len()..first.len() - "/metrics".len()].parse().unwrap();
        // Over HTTPS, as Prometheus scrapes a `secure: true` controller (insecure_skip_verify).
        let client = HttpsClient::insecure();
        let reply = client.get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await.expect("an HTTPS answer");
        assert_eq!(reply.status, 200, "{}", reply.text());
        let e = reply.exposition();
        assert_eq!(e.family("argo_workflows_count").map(|f| f.kind), Some(FamilyType::Gauge), "{i}");
        // The certificate is the generated one, its own issuer.
        let der = client.server_certificate(addr).await.unwrap();
        let cn: &[u8] = b"promstruct self-signed metrics endpoint";
        assert_eq!(der.as_ref().windows(cn.len()).filter(|w| *w == cn).count(), 2, "subject and issuer");
        // Plain HTTP gets the 400 that says to use https://, never the metrics.
        let plain = raw(addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert!(plain.starts_with("HTTP/1.1 400 ") && plain.contains("https://"), "{plain}");
        assert!(!argo.exited(), "the controller stopped");
    }
    // Mistakes in metricsConfig are refused too.
    for (body, reason) in [
        ("metricTTL: 1m", "unknown field `metricTTL`"),
        ("metricsTTL: soon", "metricsTTL `soon`"),
        ("path: metrics", "start with a `/`"),
    ] {
        let path = tmp.join("mistake.yml");
        std::fs::write(&path, config_map(body)).unwrap();
        let out = run_to_end(&binary, &["--controller-config", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{body}: {stderr}");
        assert!(stderr.contains(reason), "{body}: expected {reason:?} in {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configmap_sets_the_path_the_port_and_the_ttl_of_custom_metrics() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-configmap");
    let port = free_port();
    // The whole configuration under `config`, as Argo also reads it; keys it does not simulate are ignored.
    let config = tmp.join("controller.yml");
    std::fs::write(
        &config,
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{ name: workflow-controller-configmap }}\ndata:\n  config: |\n    \
             parallelism: 10\n    metricsConfig:\n      path: /argo-metrics\n      port: {port}\n      metricsTTL: \"2s\"\n"
        ),
    )
    .unwrap();
    let workflows = tmp.join("slow.yml");
    std::fs::write(&workflows, realtime_workflow("0.3")).unwrap();
    let events_path = tmp.join("events.jsonl");
    let serving = no_cache_config(&tmp);
    let (_argo, addr) = start_serving(
        &binary,
        &ArgoArgs::new(&workflows).config(&serving).controller(&config).runs(1).events(&events_path).args(),
    );
    assert_eq!(addr.port(), port);
    assert_eq!(get(addr, "/metrics", &[]).await.status, 404, "metrics are at the ConfigMap's path only");
    let ev = wait_for_workflows(&events_path, 1, Duration::from_secs(20)).await;
    let (e, _) = scrape_at(addr, "/argo-metrics").await;
    assert!(e.value("argo_workflows_wf_running_seconds", &[]).is_some());
    assert!(!series(&e, "argo_workflows_step_running_seconds").is_empty());
    assert_eq!(e.value("argo_workflows_slow_steps_total", &[]), Some(1.0));
    // metricsTTL after they were set, the custom series are gone; the controller's stay.
    let started = std::time::Instant::now();
    let e = poll("the custom series dropped", Duration::from_secs(10), || async {
        let (e, _) = scrape_at(addr, "/argo-metrics").await;
        let custom = [
            "argo_workflows_wf_running_seconds",
            "argo_workflows_step_running_seconds",
            "argo_workflows_slow_steps_total",
        ]
        .iter()
        .map(|name| e.samples_named(name).count())
        .sum::<usize>();
        (custom == 0).then_some(e)
    })
    .await;
    let workflow_seconds = ev.iter().find(|e| e.event == "workflow").unwrap().seconds();
    assert!(started.elapsed().as_secs_f64() + workflow_seconds >= 1.0, "dropped too soon");
    assert_eq!(e.value("argo_workflows_count", &[("status", "Succeeded")]), Some(1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_configmap_is_read() {
    let binary = build_example("argo");
    // The shipped ConfigMap's port (8080) may be taken on a test machine: --listen overrides it, the
    // rest (path, TTL, errors) applies.
    let (_argo, addr) =
        start_serving(&binary, &["--listen", "127.0.0.1:0", "--controller-config", CONTROLLER_CONFIG, "--runs", "1"]);
    let e = poll("a scrape", Duration::from_secs(10), || async {
        let e = scrape(addr).await;
        e.family("argo_workflows_count").is_some().then_some(e)
    })
    .await;
    assert!(e.family("argo_pod_missing").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_metrics_disabled_the_controller_runs_without_serving() {
    let binary = build_example("argo");
    let tmp = Scratch::new("argo-disabled");
    let config = tmp.join("controller.yml");
    std::fs::write(&config, config_map("enabled: false")).unwrap();
    let workflows = tmp.join("slow.yml");
    std::fs::write(&workflows, realtime_workflow("0.1")).unwrap();
    let events_path = tmp.join("events.jsonl");
    let out = tokio::task::spawn_blocking({
        let (binary, config, workflows, events_path) =
            (binary.clone(), config.clone(), workflows.clone(), events_path.clone());
        move || {
            run_to_end(
                &binary,
                &ArgoArgs::new(&workflows).controller(&config).runs(2).interval(20).events(&events_path).args(),
            )
        }
    });
    let out = tokio::time::timeout(Duration::from_secs(30), out).await.expect("it exits after its runs").unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("argo: metrics disabled") && !stdout.contains("http://"), "{stdout}");
    assert_eq!(events(Path::new(&events_path)).iter().filter(|e| e.event == "workflow").count(), 2);
}
