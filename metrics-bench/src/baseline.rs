//! The physical limit: what a program that needs exactly these metrics and nothing else would write by
//! hand. Arrays of atomics indexed by the label ordinals, a histogram of bare atomics, a hash map of
//! atomics for open labels, an encoder that formats straight from precomputed label text.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{BUCKETS, Format, Kind, Library, Route};

/// Bare atomics.
#[derive(Debug)]
pub struct Baseline;

/// One histogram series: bucket counts and the sum's bits.
#[derive(Debug, Default)]
pub struct BareHistogram {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum: AtomicU64,
}

impl BareHistogram {
    #[inline]
    fn observe(&self, v: f64) {
        let i = BUCKETS.iter().position(|b| v <= *b).unwrap_or(BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let _ =
            self.sum.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| Some((f64::from_bits(s) + v).to_bits()));
    }
}

/// Counters behind precomputed sample prefixes (`requests_total{id="7"} `).
#[derive(Debug)]
pub struct Exposition {
    series: Vec<(String, AtomicU64)>,
    buf: Vec<u8>,
}

impl Library for Baseline {
    const NAME: &'static str = "bare atomics";

    type Counter = [AtomicU64; 18];

    fn counter() -> Self::Counter {
        Default::default()
    }

    #[inline]
    fn inc(counter: &Self::Counter, route: Route, kind: Kind) {
        counter[route as usize * 3 + kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    type Histogram = [BareHistogram; 18];

    fn histogram() -> Self::Histogram {
        Default::default()
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram[route as usize * 3 + kind as usize].observe(value);
    }

    type Open = RwLock<HashMap<Box<str>, [AtomicU64; 3]>>;

    fn open(_: usize) -> Self::Open {
        RwLock::default()
    }

    #[inline]
    fn inc_open(open: &Self::Open, agent: &str, kind: Kind) {
        if let Some(c) = open.read().unwrap().get(agent) {
            c[kind as usize].fetch_add(1, Ordering::Relaxed);
            return;
        }
        open.write().unwrap().entry(agent.into()).or_default()[kind as usize].fetch_add(1, Ordering::Relaxed);
    }

    type Dense = Box<[AtomicU64]>;

    fn dense() -> Self::Dense {
        (0..1_000).map(|_| AtomicU64::new(0)).collect()
    }

    type Exposition = Exposition;

    fn exposition(series: usize) -> Exposition {
        let series = (0..series).map(|i| (format!("requests_total{{id=\"{i}\"}} "), AtomicU64::new(1))).collect();
        Exposition { series, buf: Vec::new() }
    }

    fn encode(exposition: &mut Exposition, format: Format) -> Option<usize> {
        if format != Format::Text {
            return None;
        }
        let buf = &mut exposition.buf;
        buf.clear();
        buf.extend_from_slice(b"# HELP requests_total Requests.\n# TYPE requests_total counter\n");
        let mut num = itoa::Buffer::new();
        for (prefix, value) in &exposition.series {
            buf.extend_from_slice(prefix.as_bytes());
            buf.extend_from_slice(num.format(value.load(Ordering::Relaxed)).as_bytes());
            buf.push(b'\n');
        }
        Some(buf.len())
    }

    fn output(exposition: &Exposition) -> &[u8] {
        &exposition.buf
    }
}
