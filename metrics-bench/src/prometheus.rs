//! `prometheus` 0.14: label vecs looked up by `with_label_values`, gathered and text-encoded, or encoded in
//! protobuf by its `ProtobufEncoder`.

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, ProtobufEncoder, Registry, TextEncoder};

use crate::{BUCKETS, Digit, Format, Kind, Library, Route};

/// `prometheus`.
#[derive(Debug)]
pub struct Prometheus;

/// A registry and the buffers a scraper reuses: a string for the text, bytes for protobuf.
#[derive(Debug)]
pub struct Exposition {
    registry: Registry,
    out: String,
    bytes: Vec<u8>,
    last: Format,
}

fn counter_vec(name: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, "Requests."), labels).unwrap()
}

impl Library for Prometheus {
    const NAME: &'static str = "prometheus";

    type Counter = IntCounterVec;

    fn counter() -> Self::Counter {
        counter_vec("requests_total", &["route", "kind"])
    }

    #[inline]
    fn inc(counter: &Self::Counter, route: Route, kind: Kind) {
        counter.with_label_values(&[route.as_str(), kind.as_str()]).inc();
    }

    type Histogram = HistogramVec;

    fn histogram() -> Self::Histogram {
        let opts = HistogramOpts::new("latency_seconds", "Latency.").buckets(BUCKETS.to_vec());
        HistogramVec::new(opts, &["route", "kind"]).unwrap()
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.with_label_values(&[route.as_str(), kind.as_str()]).observe(value);
    }

    type Open = IntCounterVec;

    fn open(_: usize) -> Self::Open {
        counter_vec("executions_total", &["agent", "kind"])
    }

    #[inline]
    fn inc_open(open: &Self::Open, agent: &str, kind: Kind) {
        open.with_label_values(&[agent, kind.as_str()]).inc();
    }

    type Dense = IntCounterVec;

    fn dense() -> Self::Dense {
        let vec = counter_vec("requests_total", &["a", "b", "c"]);
        for a in Digit::ALL {
            for b in Digit::ALL {
                for c in Digit::ALL {
                    vec.with_label_values(&[a.as_str(), b.as_str(), c.as_str()]).inc();
                }
            }
        }
        vec
    }

    type Exposition = Exposition;

    fn exposition(series: usize) -> Exposition {
        let registry = Registry::new();
        let vec = counter_vec("requests_total", &["id"]);
        registry.register(Box::new(vec.clone())).unwrap();
        let mut id = itoa::Buffer::new();
        for i in 0..series {
            vec.with_label_values(&[id.format(i)]).inc();
        }
        Exposition { registry, out: String::new(), bytes: Vec::new(), last: Format::Text }
    }

    fn encode(exposition: &mut Exposition, format: Format) -> Option<usize> {
        exposition.last = format;
        match format {
            Format::Text => {
                exposition.out.clear();
                TextEncoder::new().encode_utf8(&exposition.registry.gather(), &mut exposition.out).unwrap();
                Some(exposition.out.len())
            }
            Format::Protobuf => {
                exposition.bytes.clear();
                ProtobufEncoder::new().encode(&exposition.registry.gather(), &mut exposition.bytes).unwrap();
                Some(exposition.bytes.len())
            }
            Format::OpenMetrics => None,
        }
    }

    fn output(exposition: &Exposition) -> &[u8] {
        match exposition.last {
            Format::Protobuf => &exposition.bytes,
            _ => exposition.out.as_bytes(),
        }
    }
}
