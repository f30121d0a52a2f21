//! Exactness under load: two writer threads make 10,000,000 updates each (a counter, two gauges and a
//! histogram, through the public API) while a third thread scrapes without pause, in both formats by
//! turns.
//!
//! Every scrape must be strictly valid (the parser of `promstruct-testing`, warnings included: no
//! duplicate series, buckets cumulative, `+Inf` equal to `_count`, ...), no counter, bucket, count or sum
//! may go back from one scrape to the next, and once the writers are done every total must be exact: not
//! one update lost.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use promstruct::{
    Buckets, Collect, Counter, DenseFamily, Descriptor, Encoder, Format, Gauge, Histogram, MetricType, Registry,
    SeriesBudget,
};
use promstruct_testing::{Exposition, assert_valid, scrape};

const WRITERS: usize = 2;
const UPDATES: usize = 10_000_000;

/// The observations, one per bucket, taken in turn: each is a multiple of 1/4, so every partial `_sum`
/// is exact in an `f64`.
const OBSERVATIONS: [f64; 4] = [0.25, 0.75, 1.25, 1.75];
const BOUNDS: [f64; 4] = [0.5, 1.0, 1.5, 2.0];
const LE: [&str; 5] = ["0.5", "1.0", "1.5", "2.0", "+Inf"];

struct Metrics {
    /// Incremented once per update, by both writers.
    updates: DenseFamily<(), Counter>,
    /// Writer 0 adds 2 per update, writer 1 takes 1 away.
    level: DenseFamily<(), Gauge>,
    /// Up while an update is in progress: between 0 and the number of writers.
    inflight: DenseFamily<(), Gauge>,
    /// One observation per update.
    latency: DenseFamily<(), Histogram>,
}

impl Collect for Metrics {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        self.updates.describe(out);
        self.level.describe(out);
        self.inflight.describe(out);
        self.latency.describe(out);
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        self.updates.collect(enc);
        self.level.collect(enc);
        self.inflight.collect(enc);
        self.latency.collect(enc);
    }

    fn bind(&self, budget: &SeriesBudget) {
        self.updates.bind(budget);
        self.level.bind(budget);
        self.inflight.bind(budget);
        self.latency.bind(budget);
    }
}

fn metrics() -> Arc<Metrics> {
    let d = |name: &'static str, kind| Descriptor::new(name, kind, "Help.").unwrap();
    Arc::new(Metrics {
        updates: DenseFamily::new(d("updates", MetricType::Counter), ()),
        level: DenseFamily::new(d("level", MetricType::Gauge), ()),
        inflight: DenseFamily::new(d("inflight", MetricType::Gauge), ()),
        latency: DenseFamily::new(
            Descriptor::builder("latency_seconds", MetricType::Histogram, "Help.").unit("seconds").build().unwrap(),
            Buckets::new(BOUNDS).unwrap(),
        ),
    })
}

fn get(snapshot: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    snapshot.value(name, labels).unwrap_or_else(|| panic!("no sample {name}{labels:?}"))
}

/// Checks one strictly valid snapshot on its own and against the previous one; returns its values by series.
fn check_snapshot(now: &Exposition, previous: &HashMap<String, f64>) -> HashMap<String, f64> {
    let inflight = get(now, "inflight", &[]);
    assert!((0.0..=WRITERS as f64).contains(&inflight), "inflight {inflight}");
    let level = get(now, "level", &[]);
    assert!(level >= -(UPDATES as f64) && level <= 2.0 * UPDATES as f64, "level {level}");

    // The sum is read after the buckets, so it holds at least what they counted, less the observations
    // still in flight (their bucket counted, their sum not yet added).
    let cumulative: Vec<f64> = LE.iter().map(|le| get(now, "latency_seconds_bucket", &[("le", le)])).collect();
    let mut below = 0.0;
    let mut counted = 0.0;
    for (v, up_to) in OBSERVATIONS.iter().zip(&cumulative) {
        counted += v * (up_to - below);
        below = *up_to;
    }
    let sum = get(now, "latency_seconds_sum", &[]);
    let in_flight = WRITERS as f64 * OBSERVATIONS[3];
    assert!(sum >= counted - in_flight, "_sum {sum} is behind the buckets ({counted}) by more than in flight");
    assert_eq!(cumulative[4] - cumulative[3], 0.0, "no observation is above 2.0");

    let mut values = HashMap::new();
    for sample in now.samples() {
        let monotonic = ["_total", "_bucket", "_count", "_sum"].iter().any(|s| sample.name.ends_with(s));
        if !monotonic {
            continue;
        }
        let series = sample.series();
        if let Some(&before) = previous.get(&series) {
            assert!(sample.value >= before, "{series} went down from {before} to {}", sample.value);
        }
        values.insert(series, sample.value);
    }
    values
}

#[test]
fn twenty_million_updates_under_continuous_scrapes_stay_valid_monotonic_and_exact() {
    let m = metrics();
    let registry = Registry::new();
    registry.register(m.clone()).unwrap();
    let done = Arc::new(AtomicBool::new(false));

    let scraper = {
        let registry = registry.clone();
        let done = done.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            let mut previous = HashMap::new();
            let mut scrapes = 0usize;
            while !done.load(Ordering::Acquire) || scrapes < 2 {
                let format = if scrapes % 2 == 0 { Format::Text } else { Format::OpenMetrics };
                buf.clear();
                registry.encode(format, &mut buf).unwrap();
                let text = std::str::from_utf8(&buf).expect("expositions are UTF-8");
                previous = check_snapshot(&assert_valid(text, format), &previous);
                scrapes += 1;
            }
            scrapes
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let m = m.clone();
            thread::spawn(move || {
                let step = if w == 0 { 2 } else { -1 };
                for i in 0..UPDATES {
                    let _inflight = m.inflight.get(()).track_inflight();
                    m.updates.get(()).inc();
                    m.level.get(()).add(step);
                    m.latency.get(()).observe(OBSERVATIONS[i % OBSERVATIONS.len()]);
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::Release);
    let scrapes = scraper.join().unwrap();
    assert!(scrapes >= 2);

    let total = (WRITERS * UPDATES) as f64;
    let per_bucket = total / OBSERVATIONS.len() as f64;
    for format in [Format::Text, Format::OpenMetrics] {
        let last = scrape(&registry, format);
        assert_eq!(get(&last, "updates_total", &[]), total, "{format:?}");
        assert_eq!(get(&last, "level", &[]), (UPDATES * 2) as f64 - UPDATES as f64, "{format:?}");
        assert_eq!(get(&last, "inflight", &[]), 0.0, "{format:?}");
        for (i, le) in LE.iter().enumerate() {
            let expected = per_bucket * (i + 1).min(OBSERVATIONS.len()) as f64;
            assert_eq!(get(&last, "latency_seconds_bucket", &[("le", le)]), expected, "{format:?} le={le}");
        }
        assert_eq!(get(&last, "latency_seconds_count", &[]), total, "{format:?}");
        let sum: f64 = OBSERVATIONS.iter().map(|v| v * per_bucket).sum();
        assert_eq!(get(&last, "latency_seconds_sum", &[]), sum, "{format:?}");
    }
    eprintln!("{scrapes} valid scrapes during {} updates", WRITERS * UPDATES * 4);
}
