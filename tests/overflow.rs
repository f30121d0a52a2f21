//! Too many series go to an overflow series and are counted, never dropped.

use std::sync::Arc;

use metrics_runtime::family::OVERFLOW_VALUE;
use metrics_runtime::{Counter, Descriptor, Format, MetricType, OpenFamily, OpenOptions, Registry};
use suite::python_parse;

const MAX: usize = 100;

fn family(options: OpenOptions, labels: &[&'static str]) -> Arc<OpenFamily<Counter>> {
    let desc = Descriptor::new("agent_executions", MetricType::Counter, "Agent executions.")
        .unwrap()
        .with_labels(labels.iter().copied())
        .unwrap();
    Arc::new(OpenFamily::new(desc, (), options))
}

#[test]
fn ten_times_max_series_leaves_max_plus_one_overflow_series_and_exact_totals() {
    let registry = Registry::new();
    let agents = family(OpenOptions::new().max_series(MAX), &["agent"]);
    registry.register(agents.clone()).unwrap();
    let mut updates = 0u64;
    for i in 0..10 * MAX {
        let n = (i % 7 + 1) as u64;
        agents.get(&[&format!("agent-{i}")]).inc_by(n);
        updates += n;
    }
    assert_eq!(agents.len(), MAX);
    assert_eq!(agents.overflowed(), (9 * MAX) as u64);

    let mut body = Vec::new();
    registry.encode(Format::OpenMetrics, &mut body).unwrap();
    let families = python_parse(&body, true).unwrap_or_else(|e| panic!("{e}"));
    let samples: Vec<_> = families
        .iter()
        .filter(|f| f.name == "agent_executions")
        .flat_map(|f| &f.samples)
        .filter(|s| s.name == "agent_executions_total")
        .collect();
    assert_eq!(samples.len(), MAX + 1, "max_series series plus the overflow series");
    let overflow: Vec<_> = samples.iter().filter(|s| s.labels[0].1 == OVERFLOW_VALUE).collect();
    assert_eq!(overflow.len(), 1);
    let total: f64 = samples.iter().map(|s| s.value).sum();
    assert_eq!(total, updates as f64, "the sum over all series equals the updates made");
    let self_overflow = families
        .iter()
        .flat_map(|f| &f.samples)
        .find(|s| s.name == "metrics_runtime_overflow_updates_total")
        .expect("self metric");
    assert_eq!(self_overflow.value, (9 * MAX) as f64, "the registry counts every overflowed update");
}

#[test]
fn the_overflow_series_keeps_enum_labels_and_existing_series_keep_updating() {
    let family = family(OpenOptions::new().max_series(MAX).enum_label(1), &["agent", "status"]);
    for i in 0..3 * MAX {
        family.get(&[&format!("agent-{i}"), if i % 2 == 0 { "ok" } else { "error" }]).inc();
    }
    let ok = family.get(&["new", "ok"]);
    assert!(ok.is_overflow());
    assert_eq!(ok.label_values().collect::<Vec<_>>(), [OVERFLOW_VALUE, "ok"]);
    assert_eq!(ok.get(), MAX as u64, "200 overflowed updates, half of them ok");
    family.get(&["agent-0", "ok"]).inc();
    assert_eq!(family.get(&["agent-0", "ok"]).get(), 2);
}

#[test]
fn the_registry_total_limit_bounds_all_families_together() {
    let registry = Registry::builder().total_series_limit(150).build();
    let a = family(OpenOptions::new().max_series(MAX), &["agent"]);
    registry.register(a.clone()).unwrap();
    let b_desc =
        Descriptor::new("tool_calls", MetricType::Counter, "Tool calls.").unwrap().with_labels(["tool"]).unwrap();
    let b = Arc::new(OpenFamily::<Counter>::new(b_desc, (), OpenOptions::new().max_series(MAX)));
    registry.register(b.clone()).unwrap();
    for i in 0..MAX {
        a.get(&[&i.to_string()]).inc();
        b.get(&[&i.to_string()]).inc();
    }
    assert_eq!(a.len() + b.len(), 150);
    assert_eq!(registry.budget().used(), 150);
    assert_eq!(a.overflowed() + b.overflowed(), 50);
    assert_eq!(registry.budget().overflowed(), 50);
}
