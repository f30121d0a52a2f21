//! Writers update counters, gauges and histograms while a scraper encodes in a loop, in both formats by
//! turns: every snapshot is strictly valid (the parser of `promstruct-testing`, warnings included)
//! and consistent, counters never go back between snapshots, and the final totals are exact.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use promstruct::{
    Buckets, Counter, DenseFamily, Descriptor, Format, Gauge, Histogram, LabelEnum, MetricType, OpenFamily,
    OpenOptions, Registry,
};
use promstruct_testing::{Exposition, assert_valid, scrape};

#[derive(Debug, Clone, Copy)]
enum Model {
    A,
    B,
    C,
}

impl LabelEnum for Model {
    const CARDINALITY: usize = 3;
    const ALL: &'static [Self] = &[Model::A, Model::B, Model::C];
    const VALUES: &'static [&'static str] = &["a", "b", "c"];
    fn ordinal(self) -> usize {
        self as usize
    }
}

const WRITERS: usize = 4;
const UPDATES: usize = 200_000;

struct Metrics {
    requests: DenseFamily<(Model,), Counter>,
    inflight: DenseFamily<(), Gauge>,
    latency: DenseFamily<(Model,), Histogram>,
    agents: OpenFamily<Counter>,
}

fn metrics() -> Arc<Metrics> {
    let d = |name: &'static str, kind| Descriptor::new(name, kind, "Help.").unwrap();
    Arc::new(Metrics {
        requests: DenseFamily::new(
            Descriptor::builder("requests", MetricType::Counter, "Help.").labels(["model"]).build().unwrap(),
            (),
        ),
        inflight: DenseFamily::new(d("inflight", MetricType::Gauge), ()),
        latency: DenseFamily::new(
            Descriptor::builder("latency_seconds", MetricType::Histogram, "Help.").labels(["model"]).build().unwrap(),
            Buckets::new([0.5, 1.5, 2.5]).unwrap(),
        ),
        agents: OpenFamily::new(
            Descriptor::builder("agents", MetricType::Counter, "Help.").labels(["agent"]).build().unwrap(),
            (),
            OpenOptions::new(),
        ),
    })
}

/// The value of `name{labels}`, which the snapshot must have.
fn get(snapshot: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    snapshot.value(name, labels).unwrap_or_else(|| panic!("no sample {name}{labels:?}"))
}

/// Validates one snapshot strictly, checks it on its own and against the previous one; returns its
/// counter-like values (totals, buckets, counts) by series.
fn check_snapshot(body: &str, format: Format, previous: &HashMap<String, f64>) -> HashMap<String, f64> {
    // Duplicate series, split families, bucket order, `+Inf` against `_count`: any violation panics here.
    let now = assert_valid(body, format);
    for model in Model::VALUES {
        let bucket = |le: &str| get(&now, "latency_seconds_bucket", &[("model", model), ("le", le)]);
        let count = get(&now, "latency_seconds_count", &[("model", model)]);
        let sum = get(&now, "latency_seconds_sum", &[("model", model)]);
        assert_eq!(bucket("0.5"), 0.0);
        assert_eq!(bucket("1.5"), count, "every observation is 1.0");
        // The sum is read after the buckets: it lags them by at most the observations in flight, and may
        // be ahead by any number of observations made in between (the scraper may be preempted).
        assert!(sum >= count - WRITERS as f64, "_sum {sum} lags _count {count} by more than in flight");
    }
    let inflight = get(&now, "inflight", &[]);
    assert!((0.0..=WRITERS as f64).contains(&inflight), "inflight {inflight}");
    let mut counters = HashMap::new();
    for sample in now.samples() {
        if ["_total", "_bucket", "_count"].iter().any(|suffix| sample.name.ends_with(suffix)) {
            let series = sample.series();
            if let Some(&before) = previous.get(&series) {
                assert!(sample.value >= before, "{series} went down from {before} to {}", sample.value);
            }
            counters.insert(series, sample.value);
        }
    }
    counters
}

#[test]
fn snapshots_stay_consistent_and_totals_exact_under_concurrent_updates() {
    let m = metrics();
    let registry = Registry::builder().self_metrics(false).build();
    registry.register(m.clone()).unwrap();
    let done = Arc::new(AtomicBool::new(false));

    let scraper = {
        let registry = registry.clone();
        let done = done.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let mut previous = HashMap::new();
            let mut scrapes = 0;
            while !done.load(Ordering::Acquire) || scrapes < 2 {
                let format = if scrapes % 2 == 0 { Format::Text } else { Format::OpenMetrics };
                buf.clear();
                registry.encode(format, &mut buf).unwrap();
                previous = check_snapshot(std::str::from_utf8(&buf).unwrap(), format, &previous);
                scrapes += 1;
            }
            scrapes
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let m = m.clone();
            thread::spawn(move || {
                let agent = format!("agent-{w}");
                for i in 0..UPDATES {
                    let model = Model::ALL[(i + w) % 3];
                    let _g = m.inflight.get(()).track_inflight();
                    m.requests.get((model,)).inc();
                    m.latency.get((model,)).observe(1.0);
                    m.agents.get(&[&agent]).inc();
                    m.agents.get(&["shared"]).inc_by(2);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Release);
    let scrapes = scraper.join().unwrap();
    assert!(scrapes >= 2);

    let total = (WRITERS * UPDATES) as f64;
    for format in [Format::Text, Format::OpenMetrics] {
        let last = scrape(&registry, format);
        let per_model = |name: &str| Model::VALUES.iter().map(|m| get(&last, name, &[("model", m)])).sum::<f64>();
        assert_eq!(per_model("requests_total"), total);
        assert_eq!(per_model("latency_seconds_count"), total);
        assert_eq!(per_model("latency_seconds_sum"), total);
        assert_eq!(get(&last, "inflight", &[]), 0.0);
        for w in 0..WRITERS {
            assert_eq!(get(&last, "agents_total", &[("agent", &format!("agent-{w}"))]), UPDATES as f64);
        }
        assert_eq!(get(&last, "agents_total", &[("agent", "shared")]), 2.0 * total);
    }
    eprintln!("{scrapes} consistent scrapes during {} updates", WRITERS * UPDATES * 5);
}

impl promstruct::Collect for Metrics {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        self.requests.describe(out);
        self.inflight.describe(out);
        self.latency.describe(out);
        self.agents.describe(out);
    }

    fn collect(&self, enc: &mut promstruct::Encoder<'_>) {
        self.requests.collect(enc);
        self.inflight.collect(enc);
        self.latency.collect(enc);
        self.agents.collect(enc);
    }

    fn bind(&self, budget: &promstruct::SeriesBudget) {
        self.requests.bind(budget);
        self.inflight.bind(budget);
        self.latency.bind(budget);
        self.agents.bind(budget);
    }
}
