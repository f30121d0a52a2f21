//! Writers update counters, gauges and histograms while a scraper encodes in a loop: every snapshot is
//! consistent and the final totals are exact.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use metrics_runtime::{
    Buckets, Counter, DenseFamily, Descriptor, Format, Gauge, Histogram, LabelEnum, MetricType, OpenFamily,
    OpenOptions, Registry,
};

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
        requests: DenseFamily::new(d("requests", MetricType::Counter).with_labels(["model"]).unwrap(), ()),
        inflight: DenseFamily::new(d("inflight", MetricType::Gauge), ()),
        latency: DenseFamily::new(
            d("latency_seconds", MetricType::Histogram).with_labels(["model"]).unwrap(),
            Buckets::new([0.5, 1.5, 2.5]).unwrap(),
        ),
        agents: OpenFamily::new(
            d("agents", MetricType::Counter).with_labels(["agent"]).unwrap(),
            (),
            OpenOptions::new(),
        ),
    })
}

/// `series -> value` for every sample line of a text-format scrape.
fn samples(body: &str) -> HashMap<&str, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let (series, value) = l.rsplit_once(' ').expect("sample line");
            (series, value.parse::<f64>().expect("value"))
        })
        .collect()
}

/// Checks one snapshot on its own and against the previous one; returns its samples by series.
fn check_snapshot(body: &str, previous: &HashMap<String, f64>) -> HashMap<String, f64> {
    let now = samples(body);
    assert_eq!(now.len(), body.lines().filter(|l| !l.starts_with('#')).count(), "no duplicate series");
    for model in Model::VALUES {
        let bucket = |le: &str| now[format!("latency_seconds_bucket{{model=\"{model}\",le=\"{le}\"}}").as_str()];
        let count = now[format!("latency_seconds_count{{model=\"{model}\"}}").as_str()];
        let sum = now[format!("latency_seconds_sum{{model=\"{model}\"}}").as_str()];
        assert_eq!(bucket("+Inf"), count, "+Inf equals _count");
        assert!(bucket("0.5") <= bucket("1.5") && bucket("1.5") <= bucket("2.5") && bucket("2.5") <= count);
        assert_eq!(bucket("0.5"), 0.0);
        assert_eq!(bucket("1.5"), count, "every observation is 1.0");
        assert!((sum - count).abs() <= WRITERS as f64, "_sum {sum} lags _count {count} by more than in flight");
    }
    let inflight = now["inflight"];
    assert!((0.0..=WRITERS as f64).contains(&inflight), "inflight {inflight}");
    for (series, value) in &now {
        if series.contains("_total") || series.contains("_bucket") || series.contains("_count") {
            if let Some(before) = previous.get(*series) {
                assert!(value >= before, "{series} went down from {before} to {value}");
            }
        }
    }
    now.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
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
                buf.clear();
                registry.encode(Format::Text, &mut buf).unwrap();
                previous = check_snapshot(std::str::from_utf8(&buf).unwrap(), &previous);
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

    let mut buf = Vec::new();
    registry.encode(Format::Text, &mut buf).unwrap();
    let body = String::from_utf8(buf).unwrap();
    let last = samples(&body);
    let total = (WRITERS * UPDATES) as f64;
    let requests: f64 = Model::VALUES.iter().map(|m| last[format!("requests_total{{model=\"{m}\"}}").as_str()]).sum();
    assert_eq!(requests, total);
    let count: f64 =
        Model::VALUES.iter().map(|m| last[format!("latency_seconds_count{{model=\"{m}\"}}").as_str()]).sum();
    let sum: f64 = Model::VALUES.iter().map(|m| last[format!("latency_seconds_sum{{model=\"{m}\"}}").as_str()]).sum();
    assert_eq!(count, total);
    assert_eq!(sum, total);
    assert_eq!(last["inflight"], 0.0);
    for w in 0..WRITERS {
        assert_eq!(last[format!("agents_total{{agent=\"agent-{w}\"}}").as_str()], UPDATES as f64);
    }
    assert_eq!(last["agents_total{agent=\"shared\"}"], 2.0 * total);
    eprintln!("{scrapes} consistent scrapes during {} updates", WRITERS * UPDATES * 5);
}

impl metrics_runtime::Collect for Metrics {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        self.requests.describe(out);
        self.inflight.describe(out);
        self.latency.describe(out);
        self.agents.describe(out);
    }

    fn collect(&self, enc: &mut metrics_runtime::Encoder<'_>) {
        self.requests.collect(enc);
        self.inflight.collect(enc);
        self.latency.collect(enc);
        self.agents.collect(enc);
    }

    fn bind(&self, budget: &metrics_runtime::SeriesBudget) {
        self.requests.bind(budget);
        self.inflight.bind(budget);
        self.latency.bind(budget);
        self.agents.bind(budget);
    }
}
