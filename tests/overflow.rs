//! Too many series go to an overflow series and are counted, never dropped.

use std::sync::Arc;

use promstruct::family::OVERFLOW_VALUE;
use promstruct::{Counter, Descriptor, Format, MetricType, OpenFamily, OpenOptions, Registry};
use suite::validators::python_parse;

const MAX: usize = 100;

fn family(options: OpenOptions, labels: &[&'static str]) -> Arc<OpenFamily<Counter>> {
    let desc = Descriptor::builder("agent_executions", MetricType::Counter, "Agent executions.")
        .labels(labels.iter().copied())
        .build()
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
        .find(|s| s.name == "promstruct_overflow_updates_total")
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
        Descriptor::builder("tool_calls", MetricType::Counter, "Tool calls.").labels(["tool"]).build().unwrap();
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

/// A `tracing` writer that keeps what it is given, to read the warnings back.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn a_family_at_its_limit_warns_once_per_interval_naming_itself() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt().with_writer(captured.clone()).with_ansi(false).finish();
    tracing::subscriber::with_default(subscriber, || {
        let agents = family(OpenOptions::new().max_series(3), &["agent"]);
        for i in 0..3 {
            agents.get(&[&format!("agent-{i}")]).inc();
        }
        assert!(captured.0.lock().unwrap().is_empty(), "no warning while the family has room");
        for i in 3..1000 {
            agents.get(&[&format!("agent-{i}")]).inc();
        }
        assert_eq!(agents.overflowed(), 997);
    });
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 1, "one warning per family per interval, not one per update:\n{log}");
    assert!(warnings[0].contains("family=agent_executions"), "{log}");
    assert!(warnings[0].contains("max_series=3"), "{log}");
    assert!(warnings[0].contains("series limit"), "{log}");
}

#[test]
fn the_configured_bound_reaches_open_families_without_their_own() {
    use promstruct::config::Config;
    use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};

    let config =
        Config::from_yaml_str("prometheus_metrics:\n  cardinality: { max_per_metric: 5, total_limit: 1000 }\n")
            .unwrap();
    let registry = config.registry();
    let inherits = family(OpenOptions::new(), &["agent"]);
    let own = family(OpenOptions::new().max_series(8), &["agent"]);
    assert_eq!(inherits.max_series(), promstruct_naming_default(), "unregistered: the default bound");
    registry.register(inherits.clone()).unwrap();
    let other = Registry::new();
    other.register(own.clone()).unwrap();
    assert_eq!(inherits.max_series(), 5, "registered: the registry's bound per family");
    assert_eq!(own.max_series(), 8, "a family's own bound wins");
    for i in 0..20 {
        inherits.get(&[&format!("a{i}")]).inc();
    }
    assert_eq!((inherits.len(), inherits.overflowed()), (5, 15));

    // Families defined at run time without a bound of their own take it too.
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let runs = dynamic.counter(&MetricSpec::new("runs", "Runs.", SpecKind::Counter).labels(["wf"])).unwrap();
    for i in 0..9 {
        runs.get(&[&format!("wf{i}")]).inc();
    }
    assert_eq!((runs.len(), runs.overflowed()), (5, 4));
    let capped = dynamic.counter(&MetricSpec::new("steps", "Steps.", SpecKind::Counter).labels(["wf"]).max_series(2));
    assert_eq!(capped.unwrap().max_series(), 2);
}

fn promstruct_naming_default() -> usize {
    1000
}

mod declared {
    use promstruct::prelude::*;

    #[metrics]
    pub struct Agents {
        /// Agent runs, by agent: no `max_series`, so the registry's bound applies.
        #[counter(labels(agent: String))]
        pub runs: Counter,

        /// Agent steps, by agent, bounded by the declaration.
        #[counter(labels(agent: String), max_series = 7)]
        pub steps: Counter,
    }
}

#[test]
fn the_configured_bound_reaches_families_declared_with_the_macro() {
    use promstruct::config::Config;

    let config =
        Config::from_yaml_str("prometheus_metrics:\n  cardinality: { max_per_metric: 4, total_limit: 1000 }\n")
            .unwrap();
    let registry = config.registry();
    let agents = Arc::new(declared::Agents::new());
    registry.register(agents.clone()).unwrap();
    for i in 0..10 {
        agents.runs(&format!("agent-{i}")).inc();
        agents.steps(&format!("agent-{i}")).inc();
    }
    let mut body = Vec::new();
    registry.encode(Format::OpenMetrics, &mut body).unwrap();
    let families = python_parse(&body, true).unwrap_or_else(|e| panic!("{e}"));
    let series = |name: &str| {
        families
            .iter()
            .filter(|f| f.name == name)
            .flat_map(|f| &f.samples)
            .filter(|s| s.name.ends_with("_total"))
            .count()
    };
    assert_eq!(series("runs"), 4 + 1, "max_per_metric series plus the overflow series");
    assert_eq!(series("steps"), 7 + 1, "the declared max_series wins over the configuration");
}
