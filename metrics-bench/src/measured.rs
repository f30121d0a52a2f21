//! `measured` 0.0.25: label groups derived on structs, metric vecs indexed by them, a metric group
//! encoded by its `BufferedTextEncoder`.

// The derives generate undocumented public label sets.
#![allow(missing_docs, missing_debug_implementations)]

use measured::label::StaticLabelSet;
use measured::metric::histogram::Thresholds;
use measured::text::BufferedTextEncoder;
use measured::{CounterVec, HistogramVec, LabelGroup, MetricGroup};
use paracord::ParaCord;

use crate::{BUCKETS, Digit, Format, Kind, Library, Route};

/// `measured`.
#[derive(Debug)]
pub struct Measured;

/// The labels of the counter and histogram workloads.
#[derive(Debug, Clone, Copy, LabelGroup)]
#[label(set = RequestSet)]
pub struct Request {
    route: Route,
    kind: Kind,
}

/// The labels of the open-label workload: `agent` is interned on first use.
#[derive(Debug, Clone, Copy, LabelGroup)]
#[label(set = ExecutionSet)]
pub struct Execution<'a> {
    #[label(dynamic_with = ParaCord)]
    agent: &'a str,
    kind: Kind,
}

/// The labels of the dense-memory workload.
#[derive(Debug, Clone, Copy, LabelGroup)]
#[label(set = DigitsSet)]
pub struct Digits {
    a: Digit,
    b: Digit,
    c: Digit,
}

/// The labels of the encoding workload.
#[derive(Debug, Clone, Copy, LabelGroup)]
#[label(set = IdSet)]
pub struct Id<'a> {
    #[label(dynamic_with = ParaCord)]
    id: &'a str,
}

/// The metric group a scrape encodes.
#[derive(MetricGroup)]
pub struct Scraped {
    /// Requests.
    requests_total: CounterVec<IdSet>,
}

/// The group and the encoder a scraper keeps between scrapes.
pub struct Exposition {
    group: Scraped,
    encoder: BufferedTextEncoder,
    out: bytes::Bytes,
}

impl std::fmt::Debug for Exposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exposition").finish_non_exhaustive()
    }
}

fn request_set() -> RequestSet {
    RequestSet { route: StaticLabelSet::new(), kind: StaticLabelSet::new() }
}

impl Library for Measured {
    const NAME: &'static str = "measured";

    type Counter = CounterVec<RequestSet>;

    fn counter() -> Self::Counter {
        CounterVec::with_label_set(request_set())
    }

    #[inline]
    fn inc(counter: &Self::Counter, route: Route, kind: Kind) {
        counter.inc(Request { route, kind });
    }

    type Histogram = HistogramVec<RequestSet, { BUCKETS.len() }>;

    fn histogram() -> Self::Histogram {
        HistogramVec::with_label_set_and_metadata(request_set(), Thresholds::with_buckets(BUCKETS))
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.observe(Request { route, kind }, value);
    }

    type Open = CounterVec<ExecutionSet>;

    fn open(_: usize) -> Self::Open {
        CounterVec::with_label_set(ExecutionSet { agent: ParaCord::default(), kind: StaticLabelSet::new() })
    }

    #[inline]
    fn inc_open(open: &Self::Open, agent: &str, kind: Kind) {
        open.inc(Execution { agent, kind });
    }

    type Dense = CounterVec<DigitsSet>;

    fn dense() -> Self::Dense {
        let mut vec = CounterVec::with_label_set(DigitsSet {
            a: StaticLabelSet::new(),
            b: StaticLabelSet::new(),
            c: StaticLabelSet::new(),
        });
        vec.init_all_dense();
        vec
    }

    type Exposition = Exposition;

    fn exposition(series: usize) -> Exposition {
        let group = Scraped { requests_total: CounterVec::with_label_set(IdSet { id: ParaCord::default() }) };
        let mut id = itoa::Buffer::new();
        for i in 0..series {
            group.requests_total.inc(Id { id: id.format(i) });
        }
        Exposition { group, encoder: BufferedTextEncoder::new(), out: bytes::Bytes::new() }
    }

    fn encode(exposition: &mut Exposition, format: Format) -> Option<usize> {
        if format != Format::Text {
            return None;
        }
        // Dropping the previous output first lets the encoder reuse its allocation.
        exposition.out = bytes::Bytes::new();
        exposition.group.collect_group_into(&mut exposition.encoder).unwrap();
        exposition.out = exposition.encoder.finish();
        Some(exposition.out.len())
    }

    fn output(exposition: &Exposition) -> &[u8] {
        &exposition.out
    }
}
