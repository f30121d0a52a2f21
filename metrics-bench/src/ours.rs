//! This project, through the path its users write: `#[metrics]` structs, their generated accessors, a
//! [`Registry`] that encodes them.

// The generated label sets and accessors are public items of undocumented structs.
#![allow(missing_docs)]

use promstruct::prelude::*;
use promstruct::{Format, Registry};

use crate::{Digit, Kind, Library, Route};

/// This project.
#[derive(Debug)]
pub struct Ours;

/// The counter workloads' family, as a service declares it.
#[metrics]
pub struct Requests {
    /// Requests.
    #[counter(labels(route: Route, kind: Kind))]
    requests: Counter,
}

/// The histogram workloads' family.
#[metrics]
pub struct Latency {
    /// Latency.
    #[histogram(labels(route: Route, kind: Kind), unit = "seconds",
        buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])]
    latency: Histogram,
}

/// The open-label workloads' family: an open label `agent` and an enum label `kind`, bounded for the
/// footprint bench's 100,000 inserts a round.
#[metrics]
pub struct Executions {
    /// Executions.
    #[counter(labels(agent: String, kind: Kind), max_series = 200_000)]
    executions: Counter,
}

/// The dense-memory workload's family: three digit labels, 1,000 series.
#[metrics]
pub struct Digits {
    /// Requests.
    #[counter(labels(a: Digit, b: Digit, c: Digit))]
    requests: Counter,
}

/// The family a scrape encodes: one open label `id`, bounded high enough for the largest scrape.
#[metrics]
pub struct Scraped {
    /// Requests.
    #[counter(labels(id: String), max_series = 1_000_000)]
    requests: Counter,
}

/// A registry, the struct it encodes and the buffer a scraper reuses.
#[derive(Debug)]
pub struct Exposition {
    registry: Registry,
    buf: Vec<u8>,
}

impl Library for Ours {
    const NAME: &'static str = "promstruct";

    type Counter = Requests;

    fn counter() -> Self::Counter {
        Requests::default()
    }

    #[inline]
    fn inc(counter: &Self::Counter, route: Route, kind: Kind) {
        counter.requests(route, kind).inc();
    }

    type Histogram = Latency;

    fn histogram() -> Self::Histogram {
        Latency::default()
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.latency(route, kind).observe(value);
    }

    type Open = Executions;

    fn open(_: usize) -> Self::Open {
        Executions::default()
    }

    #[inline]
    fn inc_open(open: &Self::Open, agent: &str, kind: Kind) {
        open.executions_with(agent, kind, |c| c.inc());
    }

    type Dense = Digits;

    fn dense() -> Self::Dense {
        let digits = Digits::default();
        for &a in Digit::ALL {
            for &b in Digit::ALL {
                for &c in Digit::ALL {
                    digits.requests(a, b, c).inc();
                }
            }
        }
        digits
    }

    type Exposition = Exposition;

    fn exposition(series: usize) -> Exposition {
        let registry = Registry::builder().total_series_limit(series + 1).self_metrics(false).build();
        let scraped = Scraped::default();
        let mut id = itoa::Buffer::new();
        for i in 0..series {
            scraped.requests(id.format(i)).inc();
        }
        registry.register(scraped).unwrap();
        Exposition { registry, buf: Vec::new() }
    }

    fn encode(exposition: &mut Exposition, format: Format) -> Option<usize> {
        exposition.buf.clear();
        exposition.registry.encode(format, &mut exposition.buf).unwrap();
        Some(exposition.buf.len())
    }

    fn output(exposition: &Exposition) -> &[u8] {
        &exposition.buf
    }
}
