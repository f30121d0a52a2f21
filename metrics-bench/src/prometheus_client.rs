//! `prometheus-client` 0.25: families keyed by label structs, encoded in OpenMetrics, or in the Prometheus
//! protobuf format by `encoding::prometheus_protobuf` (feature `prometheus_protobuf`, through prost).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::{BUCKETS, Digit, Format, Kind, Library, Route};

/// `prometheus-client`.
#[derive(Debug)]
pub struct PrometheusClient;

/// The labels of the counter and histogram workloads.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Request {
    route: Route,
    kind: Kind,
}

impl Request {
    /// The labels of the series `(route, kind)`.
    pub fn new(route: Route, kind: Kind) -> Self {
        Request { route, kind }
    }
}

/// The labels of the open-label workload.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Execution {
    agent: String,
    kind: Kind,
}

/// The labels of the dense-memory workload.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Digits {
    a: Digit,
    b: Digit,
    c: Digit,
}

/// The labels of the encoding workload.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Id {
    id: String,
}

/// A registry and the string a scraper reuses; the protobuf encoder returns a new `Vec` each time.
#[derive(Debug)]
pub struct Exposition {
    registry: Registry,
    out: String,
    bytes: Vec<u8>,
    last: Format,
}

impl Library for PrometheusClient {
    const NAME: &'static str = "prometheus-client";

    type Counter = Family<Request, Counter>;

    fn counter() -> Self::Counter {
        Family::default()
    }

    #[inline]
    fn inc(counter: &Self::Counter, route: Route, kind: Kind) {
        counter.get_or_create(&Request { route, kind }).inc();
    }

    type Histogram = Family<Request, Histogram, fn() -> Histogram>;

    fn histogram() -> Self::Histogram {
        Family::new_with_constructor(|| Histogram::new(BUCKETS))
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.get_or_create(&Request { route, kind }).observe(value);
    }

    type Open = Family<Execution, Counter>;

    fn open(_: usize) -> Self::Open {
        Family::default()
    }

    #[inline]
    fn inc_open(open: &Self::Open, agent: &str, kind: Kind) {
        open.get_or_create(&Execution { agent: agent.to_owned(), kind }).inc();
    }

    type Dense = Family<Digits, Counter>;

    fn dense() -> Self::Dense {
        let family = Family::<Digits, Counter>::default();
        for &a in Digit::ALL {
            for &b in Digit::ALL {
                for &c in Digit::ALL {
                    family.get_or_create(&Digits { a, b, c }).inc();
                }
            }
        }
        family
    }

    type Exposition = Exposition;

    fn exposition(series: usize) -> Exposition {
        let mut registry = Registry::default();
        let family = Family::<Id, Counter>::default();
        registry.register("requests", "Requests.", family.clone());
        for i in 0..series {
            family.get_or_create(&Id { id: i.to_string() }).inc();
        }
        Exposition { registry, out: String::new(), bytes: Vec::new(), last: Format::OpenMetrics }
    }

    fn encode(exposition: &mut Exposition, format: Format) -> Option<usize> {
        exposition.last = format;
        match format {
            Format::OpenMetrics => {
                exposition.out.clear();
                prometheus_client::encoding::text::encode(&mut exposition.out, &exposition.registry).unwrap();
                Some(exposition.out.len())
            }
            Format::Protobuf => {
                exposition.bytes =
                    prometheus_client::encoding::prometheus_protobuf::encode_to_vec(&exposition.registry).unwrap();
                Some(exposition.bytes.len())
            }
            Format::Text => None,
        }
    }

    fn output(exposition: &Exposition) -> &[u8] {
        match exposition.last {
            Format::Protobuf => &exposition.bytes,
            _ => exposition.out.as_bytes(),
        }
    }
}
