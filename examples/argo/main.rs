//! A workflow controller in the style of Argo Workflows: metrics declared in a YAML spec file at run time
//! (counters, gauges, histograms with buckets, real-time gauges, idle series dropped after a TTL), served
//! beside the controller's own `#[metrics]` families, with simulated workflows.
//!
//! Run with `cargo run --example argo -- --listen 127.0.0.1:9100` (flags: `--listen ADDR`, `--config FILE`,
//! `--spec FILE`, default `examples/argo/metrics.yml`, whose comments describe the spec).
//!
//! An invalid spec stops the controller before it serves, with an error naming the metric at fault. The
//! first line on stdout is `argo: serving http://ADDR/metrics`.

#[path = "../common/mod.rs"]
mod common;

use std::error::Error;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use metrics_runtime::collectors::{ProcessCollector, RuntimeCollector};
use metrics_runtime::dynamic::{DynamicFamily, DynamicMetrics, MetricSpec, SpecKind};
use metrics_runtime::http::Server;
use metrics_runtime::prelude::*;
use serde::Deserialize;

/// The controller's own metrics, declared at compile time.
#[metrics(namespace = "argo")]
#[labels(Phase { Succeeded = "Succeeded", Failed = "Failed" })]
pub(crate) struct ControllerMetrics {
    /// Workflows the controller has finished, by phase.
    #[counter(labels(phase: Phase))]
    workflows_finished: Counter,

    /// Workflows running now.
    #[gauge]
    workflows_running: Gauge,

    /// Workflows waiting for a free slot to start.
    #[gauge]
    queue_depth: Gauge,

    /// Time of one reconciliation of a workflow (one step).
    #[histogram(unit = "seconds", buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5])]
    operation_duration: Histogram,
}

static METRICS: LazyLock<ControllerMetrics> = LazyLock::new(ControllerMetrics::default);

/// The spec bundled with the example.
const DEFAULT_SPEC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/argo/metrics.yml");
/// Workflows running at once; the others wait in the queue.
const PARALLELISM: usize = 6;
const TEMPLATES: [&str; 4] = ["ci-build", "nightly-etl", "ml-train", "report"];
const NAMESPACES: [&str; 2] = ["argo", "data-team"];

/// The spec file: `metrics:`, a list of metric definitions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecFile {
    metrics: Vec<SpecEntry>,
}

/// One metric of the spec file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpecEntry {
    name: String,
    help: String,
    #[serde(rename = "type")]
    kind: String,
    value: String,
    #[serde(default)]
    labels: Vec<String>,
    unit: Option<String>,
    buckets: Option<Vec<f64>>,
    ttl: Option<String>,
    max_series: Option<usize>,
}

/// A workflow attribute a spec metric can be labelled with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Attribute {
    Workflow,
    Template,
    Namespace,
    Phase,
}

const ATTRIBUTES: [(&str, Attribute); 4] = [
    ("workflow", Attribute::Workflow),
    ("template", Attribute::Template),
    ("namespace", Attribute::Namespace),
    ("phase", Attribute::Phase),
];

/// What a spec metric records.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    Completed,
    Steps,
    Duration,
    Progress,
    StepsDone,
    Age,
}

/// A spec metric, defined.
struct Defined {
    family: DynamicFamily,
    source: Source,
    labels: Vec<Attribute>,
}

/// Parses `500ms`, `5s`, `2m`, `1h`.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let number: f64 = text[..split].parse().ok()?;
    let seconds = match &text[split..] {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    (seconds.is_finite() && seconds > 0.0).then(|| Duration::from_secs_f64(seconds))
}

/// Reads the spec at `path` and defines every metric in `set`; an error names the file and the metric.
fn load_spec(path: &Path, set: &DynamicMetrics) -> Result<Vec<Defined>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: SpecFile = serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    file.metrics
        .iter()
        .map(|entry| define(entry, set).map_err(|e| format!("{}: metric `{}`: {e}", path.display(), entry.name)))
        .collect()
}

fn define(entry: &SpecEntry, set: &DynamicMetrics) -> Result<Defined, String> {
    let (kind, sources): (SpecKind, &[(&str, Source)]) = match entry.kind.as_str() {
        "counter" => (SpecKind::Counter, &[("completed", Source::Completed), ("steps", Source::Steps)]),
        "gauge" => (SpecKind::Gauge, &[("progress", Source::Progress), ("steps_done", Source::StepsDone)]),
        "realtime_gauge" => (SpecKind::RealtimeGauge, &[("age", Source::Age), ("progress", Source::Progress)]),
        "histogram" => {
            let buckets = entry.buckets.clone().ok_or("a histogram needs `buckets`")?;
            (SpecKind::Histogram { buckets }, &[("duration", Source::Duration), ("steps", Source::Steps)])
        }
        other => return Err(format!("unknown type `{other}` (counter, gauge, histogram or realtime_gauge)")),
    };
    if entry.buckets.is_some() && !matches!(kind, SpecKind::Histogram { .. }) {
        return Err(format!("`buckets` is for histograms, not a {}", entry.kind));
    }
    let Some(source) = sources.iter().find(|(name, _)| *name == entry.value).map(|(_, s)| *s) else {
        let known: Vec<_> = sources.iter().map(|(name, _)| *name).collect();
        return Err(format!("a {} records one of {known:?}, not `{}`", entry.kind, entry.value));
    };
    let labels = entry
        .labels
        .iter()
        .map(|label| {
            ATTRIBUTES.iter().find(|(name, _)| name == label).map(|(_, a)| *a).ok_or_else(|| {
                let known: Vec<_> = ATTRIBUTES.iter().map(|(name, _)| *name).collect();
                format!("label `{label}` is not a workflow attribute ({known:?})")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if kind == SpecKind::RealtimeGauge && !labels.contains(&Attribute::Workflow) {
        return Err("a realtime_gauge is read per running workflow: it needs the `workflow` label".into());
    }
    let mut spec = MetricSpec::new(entry.name.clone(), entry.help.clone(), kind).labels(entry.labels.clone());
    if let Some(unit) = &entry.unit {
        spec = spec.unit(unit.clone());
    }
    if let Some(max) = entry.max_series {
        spec = spec.max_series(max);
    }
    if let Some(ttl) = &entry.ttl {
        let ttl = parse_duration(ttl).ok_or_else(|| format!("ttl `{ttl}` is not a duration such as 30s or 5m"))?;
        spec = spec.ttl(ttl);
    }
    // The naming rules of `#[metrics]`: DefineError says which rule, and names the metric itself.
    let family = set.define(&spec).map_err(|e| match e {
        metrics_runtime::dynamic::DefineError::Invalid { error, .. } => error.to_string(),
        other => other.to_string(),
    })?;
    Ok(Defined { family, source, labels })
}

/// One simulated workflow.
struct Workflow {
    name: String,
    template: &'static str,
    namespace: &'static str,
    steps: u32,
    done: AtomicU32,
    started: Mutex<Option<Instant>>,
}

impl Workflow {
    fn label_values(&self, labels: &[Attribute], phase: &str) -> Vec<String> {
        labels
            .iter()
            .map(|a| match a {
                Attribute::Workflow => self.name.clone(),
                Attribute::Template => self.template.to_owned(),
                Attribute::Namespace => self.namespace.to_owned(),
                Attribute::Phase => phase.to_owned(),
            })
            .collect()
    }

    fn progress(&self) -> f64 {
        f64::from(self.done.load(Ordering::Relaxed)) / f64::from(self.steps)
    }

    fn age(&self) -> f64 {
        self.started.lock().unwrap_or_else(PoisonError::into_inner).map_or(0.0, |t| t.elapsed().as_secs_f64())
    }
}

fn refs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

/// Runs one workflow through the controller, recording the spec metrics as it goes.
async fn run_workflow(wf: Arc<Workflow>, spec: Arc<Vec<Defined>>, slots: Arc<tokio::sync::Semaphore>, fail: bool) {
    METRICS.queue_depth().inc();
    let slot = slots.acquire_owned().await;
    METRICS.queue_depth().dec();
    let _running = METRICS.workflows_running().track_inflight();
    *wf.started.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    for d in spec.iter() {
        if let DynamicFamily::Realtime(gauges) = &d.family {
            let values = wf.label_values(&d.labels, "Running");
            let wf = wf.clone();
            let source = d.source;
            gauges.set(&refs(&values), move || if source == Source::Age { wf.age() } else { wf.progress() });
        }
    }
    let mut rng = common::Rng::new(wf.name.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    for _ in 0..wf.steps {
        let timer = METRICS.operation_duration().start_timer();
        tokio::time::sleep(Duration::from_millis(100 + rng.below(400) as u64)).await;
        drop(timer);
        wf.done.fetch_add(1, Ordering::Relaxed);
        for d in spec.iter() {
            if let DynamicFamily::Gauge(gauges) = &d.family {
                let value = if d.source == Source::Progress {
                    wf.progress()
                } else {
                    f64::from(wf.done.load(Ordering::Relaxed))
                };
                gauges.get(&refs(&wf.label_values(&d.labels, "Running"))).set(value);
            }
        }
    }
    let phase = if fail { Phase::Failed } else { Phase::Succeeded };
    let phase_name = LabelEnum::as_str(phase);
    let duration = wf.age();
    for d in spec.iter() {
        let values = wf.label_values(&d.labels, phase_name);
        let amount = if d.source == Source::Steps { f64::from(wf.steps) } else { duration };
        match &d.family {
            DynamicFamily::Counter(counters) => {
                counters.get(&refs(&values)).inc_by(if d.source == Source::Completed { 1.0 } else { amount });
            }
            DynamicFamily::Histogram(histograms) => histograms.get(&refs(&values)).observe(amount),
            DynamicFamily::Realtime(gauges) => {
                gauges.remove(&refs(&wf.label_values(&d.labels, "Running")));
            }
            // Gauges keep their last value until the TTL drops the idle series.
            DynamicFamily::Gauge(_) => {}
        }
    }
    METRICS.workflows_finished(phase).inc();
    drop(slot);
}

/// Submits a workflow every 250 ms.
async fn submit_workflows(spec: Arc<Vec<Defined>>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(PARALLELISM));
    let mut rng = common::Rng::new(0xa460);
    let mut every = tokio::time::interval(Duration::from_millis(250));
    for n in 1.. {
        every.tick().await;
        let template = rng.pick(&TEMPLATES);
        let wf = Arc::new(Workflow {
            name: format!("{template}-{n:05}"),
            template,
            namespace: rng.pick(&NAMESPACES),
            steps: 2 + rng.below(6) as u32,
            done: AtomicU32::new(0),
            started: Mutex::new(None),
        });
        tokio::spawn(run_workflow(wf, spec.clone(), slots.clone(), rng.chance(0.1)));
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = common::parse_args("argo", &["spec"]);
    let spec_path = args.extra.iter().rev().find(|(n, _)| n == "spec").map_or(DEFAULT_SPEC, |(_, v)| v.as_str());
    let config = args.config;
    let registry = config.registry();
    registry.register(&*METRICS)?;
    if config.collectors.process {
        registry.register(ProcessCollector::new())?;
    }
    if config.collectors.runtime {
        registry.register(RuntimeCollector::current())?;
    }
    let set = DynamicMetrics::new(&registry)?;
    let spec = match load_spec(Path::new(spec_path), &set) {
        Ok(spec) => Arc::new(spec),
        Err(e) => {
            eprintln!("argo: {e}");
            std::process::exit(2);
        }
    };
    tokio::spawn(submit_workflows(spec));

    let server = Server::bind(registry, &config).await?;
    println!("argo: serving http://{}{}", server.local_addr(), config.endpoint.path);
    server.run().await?;
    Ok(())
}
