//! Metrics defined at run time: valid definitions of every kind in both formats, conflicts with other
//! run-time and compile-time families, the macro's naming rules, TTL expiry and real-time gauges.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use promstruct::dynamic::{DefineError, DynamicFamily, DynamicMetrics, MetricSpec, SpecKind};
use promstruct::prelude::*;
use promstruct_testing::{Exposition, parse};

/// A family declared at compile time, to clash with.
#[metrics(namespace = "ctl")]
pub struct Controller {
    /// Workflows waiting to start.
    #[gauge]
    queue_depth: Gauge,
}

fn new_registry() -> Registry {
    Registry::builder().self_metrics(false).build()
}

fn scrape(registry: &Registry, format: Format) -> Exposition {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    parse(&text, format).unwrap_or_else(|e| panic!("invalid {format:?} exposition: {e}\n{text}"))
}

fn histogram(name: &str, buckets: &[f64]) -> MetricSpec {
    MetricSpec::new(name, "Durations.", SpecKind::histogram(buckets.to_vec()))
}

#[test]
fn every_kind_is_exposed_validly_in_both_formats() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let runs = set.counter(&MetricSpec::new("runs", "Runs.", SpecKind::Counter).labels(["template", "phase"])).unwrap();
    let depth = set.gauge(&MetricSpec::new("depth", "Depth.", SpecKind::Gauge).unit("bytes")).unwrap();
    let took = set.histogram(&histogram("took", &[1.0, 5.0, 30.0]).unit("seconds").labels(["template"])).unwrap();
    let age = set.realtime_gauge(&MetricSpec::new("age", "Age.", SpecKind::RealtimeGauge).labels(["wf"])).unwrap();
    runs.get(&["nightly", "Succeeded"]).inc_by(2.0);
    runs.get(&["nightly", "Failed"]).inc();
    depth.get(&[]).set(512.0);
    for seconds in [0.5, 3.0, 45.0] {
        took.get(&["nightly"]).observe(seconds);
    }
    age.set(&["wf-1"], || 12.5);

    for format in [Format::OpenMetrics, Format::Text] {
        let e = scrape(&registry, format);
        e.assert_value("runs_total", &[("template", "nightly"), ("phase", "Succeeded")], 2.0);
        e.assert_value("runs_total", &[("template", "nightly"), ("phase", "Failed")], 1.0);
        e.assert_value("depth_bytes", &[], 512.0);
        e.assert_value("took_seconds_bucket", &[("template", "nightly"), ("le", "1.0")], 1.0);
        e.assert_value("took_seconds_bucket", &[("template", "nightly"), ("le", "30.0")], 2.0);
        e.assert_value("took_seconds_bucket", &[("template", "nightly"), ("le", "+Inf")], 3.0);
        e.assert_value("took_seconds_count", &[("template", "nightly")], 3.0);
        e.assert_value("took_seconds_sum", &[("template", "nightly")], 48.5);
        e.assert_value("age", &[("wf", "wf-1")], 12.5);
    }
    let e = scrape(&registry, Format::OpenMetrics);
    assert_eq!(e.family("took_seconds").unwrap().unit.as_deref(), Some("seconds"));
    assert_eq!(e.family("runs").unwrap().help.as_deref(), Some("Runs."));
    assert_eq!(set.names(), ["runs", "depth_bytes", "took_seconds", "age"]);
}

#[test]
fn define_returns_the_family_of_the_spec_kind() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    assert!(matches!(set.define(&MetricSpec::new("a", "A.", SpecKind::Counter)), Ok(DynamicFamily::Counter(_))));
    assert!(matches!(set.define(&MetricSpec::new("b", "B.", SpecKind::Gauge)), Ok(DynamicFamily::Gauge(_))));
    assert!(matches!(set.define(&histogram("c", &[1.0])), Ok(DynamicFamily::Histogram(_))));
    let rt = MetricSpec::new("d", "D.", SpecKind::RealtimeGauge);
    assert!(matches!(set.define(&rt), Ok(DynamicFamily::Realtime(_))));
    // Asking for another kind than the spec's is an error, not a panic.
    let err = set.gauge(&MetricSpec::new("a", "A.", SpecKind::Counter)).unwrap_err();
    assert!(err.to_string().contains("gauge"), "{err}");
    let err = set.histogram(&MetricSpec::new("a", "A.", SpecKind::Counter)).unwrap_err();
    assert!(err.to_string().contains("histogram"), "{err}");
}

#[test]
fn the_same_definition_again_is_the_same_family_even_from_many_threads() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let spec = MetricSpec::new("jobs", "Jobs.", SpecKind::Counter).labels(["queue"]);
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (set, spec, barrier) = (set.clone(), spec.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let jobs = set.counter(&spec).unwrap();
                for _ in 0..1000 {
                    jobs.get(&["default"]).inc();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(set.names(), ["jobs"]);
    scrape(&registry, Format::Text).assert_value("jobs_total", &[("queue", "default")], 8000.0);
}

#[test]
fn conflicting_definitions_are_refused_saying_what_differs() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    set.histogram(&histogram("took", &[1.0, 2.0]).unit("seconds").labels(["wf"]).ttl(Duration::from_secs(60))).unwrap();
    let base = || histogram("took", &[1.0, 2.0]).unit("seconds").labels(["wf"]).ttl(Duration::from_secs(60));
    let conflicts = [
        (histogram("took", &[1.0, 5.0]).unit("seconds").labels(["wf"]).ttl(Duration::from_secs(60)), "buckets"),
        (base().labels(["wf", "phase"]), "labels"),
        (base().max_series(5), "max_series"),
        (histogram("took", &[1.0, 2.0]).unit("seconds").labels(["wf"]), "ttl"),
        (MetricSpec::new("took_seconds", "Other.", SpecKind::histogram(vec![1.0, 2.0])), "help"),
        (MetricSpec::new("took_seconds", "Durations.", SpecKind::Gauge), "histogram"),
    ];
    for (spec, what) in conflicts {
        let err = set.define(&spec).unwrap_err();
        assert!(matches!(err, DefineError::Conflict { .. }), "{spec:?}: {err}");
        assert!(err.to_string().contains("`took_seconds`"), "{err}");
        assert!(err.to_string().contains(what), "{spec:?}: expected {what:?} in {err}");
    }
    // Counter `runs` and gauge `runs_total` would expose the same samples.
    set.counter(&MetricSpec::new("runs", "Runs.", SpecKind::Counter)).unwrap();
    let err = set.gauge(&MetricSpec::new("runs_total", "Runs.", SpecKind::Gauge)).unwrap_err();
    assert!(err.to_string().contains("runs_total"), "{err}");
    assert_eq!(set.names(), ["took_seconds", "runs"]);
}

#[test]
fn families_declared_with_the_macro_and_at_run_time_cannot_share_a_name() {
    let registry = new_registry();
    registry.register(Controller::new()).unwrap();
    let set = DynamicMetrics::new(&registry).unwrap();
    let err = set.gauge(&MetricSpec::new("ctl_queue_depth", "Clash.", SpecKind::Gauge)).unwrap_err();
    assert!(matches!(err, DefineError::Registry(_)), "{err}");
    assert!(err.to_string().contains("`ctl_queue_depth`"), "{err}");
    assert!(set.names().is_empty(), "a refused definition leaves nothing behind");

    // And the other way round: a name defined at run time keeps a later static family out.
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    set.gauge(&MetricSpec::new("ctl_queue_depth", "First.", SpecKind::Gauge)).unwrap();
    let err = registry.register(Controller::new()).unwrap_err();
    assert!(err.to_string().contains("ctl_queue_depth"), "{err}");
    // Two sets of one registry share its names.
    let other = DynamicMetrics::new(&registry).unwrap();
    let err = other.gauge(&MetricSpec::new("ctl_queue_depth", "First.", SpecKind::Gauge)).unwrap_err();
    assert!(matches!(err, DefineError::Registry(_)), "{err}");
}

#[test]
fn names_the_macro_refuses_are_refused_naming_the_metric() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let bad = [
        MetricSpec::new("9lives", "h", SpecKind::Counter),
        MetricSpec::new("has space", "h", SpecKind::Counter),
        MetricSpec::new("colon:name", "h", SpecKind::Counter),
        MetricSpec::new("", "h", SpecKind::Counter),
        MetricSpec::new("__internal", "h", SpecKind::Gauge),
        MetricSpec::new("runs_total", "h", SpecKind::Counter),
        MetricSpec::new("took_bucket", "h", SpecKind::Gauge),
        MetricSpec::new("took_count", "h", SpecKind::Gauge),
        MetricSpec::new("built_info", "h", SpecKind::Gauge),
        MetricSpec::new("queue_gauge", "h", SpecKind::Gauge),
        MetricSpec::new("request_latency_ms", "h", SpecKind::Gauge),
        MetricSpec::new("latency", "h", SpecKind::Gauge).unit("milliseconds"),
        MetricSpec::new("size", "h", SpecKind::Gauge).unit("kb"),
        MetricSpec::new("latency_seconds_seconds", "h", SpecKind::Gauge).unit("seconds"),
        MetricSpec::new("runs", "h", SpecKind::Counter).labels(["bad-label"]),
        MetricSpec::new("runs", "h", SpecKind::Counter).labels(["__reserved"]),
        MetricSpec::new("runs", "h", SpecKind::Counter).labels(["wf", "wf"]),
        histogram("took", &[1.0]).labels(["le"]),
        histogram("took", &[]),
        histogram("took", &[1.0, 1.0]),
        histogram("took", &[1.0, f64::INFINITY]),
    ];
    for spec in &bad {
        let err = set.define(spec).unwrap_err();
        let DefineError::Invalid { name, .. } = &err else { panic!("{spec:?}: {err}") };
        assert_eq!(name, &spec.name);
        assert!(err.to_string().starts_with(&format!("metric `{}`: ", spec.name)), "{err}");
    }
    assert!(set.names().is_empty());
    // What the macro accepts is accepted.
    for spec in [
        MetricSpec::new("ns_requests", "h", SpecKind::Counter),
        MetricSpec::new("latency", "h", SpecKind::Gauge).unit("seconds"),
        histogram("took", &[0.001, 0.01, 0.1]).labels(["template", "phase"]),
    ] {
        set.define(&spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
    }
}

#[test]
fn idle_series_expire_after_the_ttl_of_each_kind_and_start_again_from_zero() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let ttl = Duration::from_millis(150);
    let runs = set.counter(&MetricSpec::new("runs", "Runs.", SpecKind::Counter).labels(["wf"]).ttl(ttl)).unwrap();
    let progress = set.gauge(&MetricSpec::new("progress", "P.", SpecKind::Gauge).labels(["wf"]).ttl(ttl)).unwrap();
    let took = set.histogram(&histogram("took", &[1.0]).labels(["wf"]).ttl(ttl)).unwrap();
    let kept = set.counter(&MetricSpec::new("kept", "Kept.", SpecKind::Counter).labels(["wf"])).unwrap();
    for wf in ["a", "b"] {
        runs.get(&[wf]).inc_by(3.0);
        progress.get(&[wf]).set(0.5);
        took.get(&[wf]).observe(0.2);
        kept.get(&[wf]).inc();
    }
    let e = scrape(&registry, Format::Text);
    assert_eq!(e.samples_named("runs_total").count(), 2);

    // `b` stays active through the wait, `a` goes idle.
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(50));
        runs.get(&["b"]).inc();
        progress.get(&["b"]).set(0.75);
        took.get(&["b"]).observe(0.3);
    }
    let e = scrape(&registry, Format::Text);
    assert_eq!(e.value("runs_total", &[("wf", "a")]), None, "idle counter series dropped");
    assert_eq!(e.value("progress", &[("wf", "a")]), None, "idle gauge series dropped");
    assert_eq!(e.value("took_count", &[("wf", "a")]), None, "idle histogram series dropped");
    e.assert_value("runs_total", &[("wf", "b")], 9.0);
    e.assert_value("progress", &[("wf", "b")], 0.75);
    e.assert_value("took_count", &[("wf", "b")], 7.0);
    e.assert_value("kept_total", &[("wf", "a")], 1.0);
    assert_eq!(runs.len(), 1, "the series is gone from the family, not only from the output");

    runs.get(&["a"]).inc();
    scrape(&registry, Format::Text).assert_value("runs_total", &[("wf", "a")], 1.0);
}

#[test]
fn realtime_gauges_are_read_at_each_scrape_and_follow_set_and_remove() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let age = set.realtime_gauge(&MetricSpec::new("age", "Age.", SpecKind::RealtimeGauge).labels(["wf"])).unwrap();
    let reads = Arc::new(AtomicU64::new(0));
    let value = Arc::new(AtomicU64::new(10));
    let (r, v) = (reads.clone(), value.clone());
    age.set(&["wf-1"], move || {
        r.fetch_add(1, Ordering::Relaxed);
        v.load(Ordering::Relaxed) as f64
    });
    age.set(&["wf-2"], || 2.0);
    assert_eq!(reads.load(Ordering::Relaxed), 0, "nothing is read before a scrape");
    scrape(&registry, Format::Text).assert_value("age", &[("wf", "wf-1")], 10.0);
    value.store(11, Ordering::Relaxed);
    scrape(&registry, Format::OpenMetrics).assert_value("age", &[("wf", "wf-1")], 11.0);
    assert_eq!(reads.load(Ordering::Relaxed), 2, "one read per scrape");

    age.set(&["wf-1"], || 99.0);
    let e = scrape(&registry, Format::Text);
    e.assert_value("age", &[("wf", "wf-1")], 99.0);
    assert_eq!(age.len(), 2, "set replaces the series with the same labels");
    assert!(age.remove(&["wf-2"]));
    assert!(!age.remove(&["wf-2"]));
    let e = scrape(&registry, Format::Text);
    assert_eq!(e.value("age", &[("wf", "wf-2")]), None);
    assert_eq!(age.len(), 1);
    // A real-time gauge is a gauge to Prometheus.
    assert_eq!(e.family("age").unwrap().kind.as_str(), "gauge");
}

#[test]
#[should_panic(expected = "wrong number of label values")]
fn a_realtime_gauge_refuses_the_wrong_number_of_labels() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let age = set.realtime_gauge(&MetricSpec::new("age", "Age.", SpecKind::RealtimeGauge).labels(["wf"])).unwrap();
    age.set(&["wf-1", "extra"], || 1.0);
}

#[test]
fn open_families_are_bounded_and_definitions_need_their_registry() {
    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let runs = set.counter(&MetricSpec::new("runs", "Runs.", SpecKind::Counter).labels(["wf"]).max_series(3)).unwrap();
    for i in 0..10 {
        runs.get(&[&format!("wf-{i}")]).inc();
    }
    let e = scrape(&registry, Format::Text);
    let total: f64 = e.samples_named("runs_total").map(|s| s.value).sum();
    assert_eq!(total, 10.0, "updates past the bound go to the overflow series");
    assert!(e.value("runs_total", &[("wf", "__overflow__")]).is_some_and(|v| v >= 7.0));

    drop(registry);
    let err = set.counter(&MetricSpec::new("late", "Late.", SpecKind::Counter)).unwrap_err();
    assert_eq!(err, DefineError::RegistryDropped);
}

#[test]
fn the_caller_chooses_the_naming_policy() {
    use promstruct::{Convention, Policy};

    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let gauge = |name: &str| MetricSpec::new(name, "Argo-style.", SpecKind::Gauge);
    // By default the macro's conventions hold.
    for name in ["workflows_count", "storage_bytes_total", "exec_duration_gauge", "modelScore", "job:runs:rate5m"] {
        let err = set.gauge(&gauge(name)).unwrap_err();
        assert!(matches!(&err, DefineError::Invalid { error, .. } if error.convention().is_some()), "{name}: {err}");
    }
    // Argo allows Prometheus' data model: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    for name in ["workflows_count", "storage_bytes_total", "exec_duration_gauge", "modelScore", "job:runs:rate5m"] {
        set.gauge(&gauge(name).policy(Policy::PERMISSIVE)).unwrap_or_else(|e| panic!("{name}: {e}")).get(&[]).set(1.0);
    }
    let labelled = gauge("by_model").labels(["modelName"]).policy(Policy::PERMISSIVE);
    set.gauge(&labelled).unwrap().get(&["a \"quoted\" model"]).set(2.0);
    // Invalid names stay invalid whatever the policy.
    for name in ["__internal", "9lives", "a-b", "naïve"] {
        let err = set.gauge(&gauge(name).policy(Policy::PERMISSIVE)).unwrap_err();
        assert!(matches!(&err, DefineError::Invalid { error, .. } if error.is_invalid()), "{name}: {err}");
    }
    let err = set.gauge(&gauge("ok_name").labels(["le:x"]).policy(Policy::PERMISSIVE)).unwrap_err();
    assert!(matches!(err, DefineError::Invalid { .. }), "{err}");
    // One convention allowed covers that convention only.
    let one = Policy::STRICT.allow(Convention::ReservedSuffix);
    assert!(set.gauge(&gauge("pods_count").policy(one)).is_ok());
    assert!(set.gauge(&gauge("pods_gauge").policy(one)).is_err());
    // A counter written with its `_total` is that family, exposed once with the suffix.
    let runs =
        set.counter(&MetricSpec::new("runs_total", "Runs.", SpecKind::Counter).policy(Policy::PERMISSIVE)).unwrap();
    runs.get(&[]).inc();

    for format in [Format::Text, Format::OpenMetrics] {
        let exposition = scrape(&registry, format);
        assert_eq!(exposition.value("workflows_count", &[]), Some(1.0), "{format:?}");
        assert_eq!(exposition.value("job:runs:rate5m", &[]), Some(1.0), "{format:?}");
        assert_eq!(exposition.value("modelScore", &[]), Some(1.0), "{format:?}");
        assert_eq!(exposition.value("by_model", &[("modelName", "a \"quoted\" model")]), Some(2.0), "{format:?}");
        assert_eq!(exposition.value("runs_total", &[]), Some(1.0), "{format:?}");
        assert_eq!(exposition.value("runs_total_total", &[]), None, "{format:?}");
    }
}

#[test]
fn limits_are_the_macros() {
    use promstruct::RuleError;
    use std::time::Duration;

    let registry = new_registry();
    let set = DynamicMetrics::new(&registry).unwrap();
    let spec = |name: &str| MetricSpec::new(name, "Limits.", SpecKind::Gauge).labels(["id"]);
    // The same limits, refused with the same errors as `#[gauge(max_series = 0)]` and `ttl = "0s"`.
    let err = set.gauge(&spec("no_room").max_series(0)).unwrap_err();
    assert!(matches!(err, DefineError::Invalid { error: RuleError::ZeroLimit { what: "max_series" }, .. }), "{err}");
    let err = set.gauge(&spec("no_time").ttl(Duration::ZERO)).unwrap_err();
    assert!(matches!(err, DefineError::Invalid { error: RuleError::ZeroTtl, .. }), "{err}");
    let nine = (0..9).map(|i| format!("l{i}")).collect::<Vec<_>>();
    let err = set.gauge(&MetricSpec::new("wide", "Nine labels.", SpecKind::Gauge).labels(nine)).unwrap_err();
    assert!(matches!(err, DefineError::Invalid { error: RuleError::TooManyLabels { count: 9, max: 8 }, .. }), "{err}");
    let err = set.gauge(&MetricSpec::new("twice", "h", SpecKind::Gauge).labels(["a", "a"])).unwrap_err();
    assert!(matches!(err, DefineError::Invalid { error: RuleError::DuplicateLabel { .. }, .. }), "{err}");
    let mut text = Vec::new();
    registry.encode(promstruct::Format::Text, &mut text).unwrap();
    assert!(!String::from_utf8(text).unwrap().contains("no_room"), "a refused family exposes nothing");
}
