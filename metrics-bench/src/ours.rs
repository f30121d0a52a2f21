//! This project, through the types `#[metrics]` expands to: a [`DenseFamily`] indexed by the label enums,
//! an [`OpenFamily`] for a family with an open label, a [`Registry`] that encodes them.

use std::sync::Arc;

use promstruct::{
    Buckets, Counter, DenseFamily, Descriptor, FamilySchema, Format, Histogram, LabelSchema, MetricType, OpenFamily,
    OpenOptions, Registry,
};

use crate::{BUCKETS, Digit, Kind, Library, Route};

/// This project.
#[derive(Debug)]
pub struct Ours;

fn counter_desc(name: &'static str, labels: &[&str]) -> Descriptor {
    Descriptor::builder(name, MetricType::Counter, "Requests.").labels(labels.iter().copied()).build().unwrap()
}

/// A registry, the family it encodes and the buffer a scraper reuses.
#[derive(Debug)]
pub struct Exposition {
    registry: Registry,
    buf: Vec<u8>,
}

impl Library for Ours {
    const NAME: &'static str = "promstruct";

    type Counter = DenseFamily<(Route, Kind), Counter>;

    fn counter() -> Self::Counter {
        DenseFamily::new(counter_desc("requests", &["route", "kind"]), ())
    }

    #[inline]
    fn inc(counter: &Self::Counter, route: Route, kind: Kind) {
        counter.get((route, kind)).inc();
    }

    type Histogram = DenseFamily<(Route, Kind), Histogram>;

    fn histogram() -> Self::Histogram {
        let desc = Descriptor::builder("latency_seconds", MetricType::Histogram, "Latency.")
            .unit("seconds")
            .labels(["route", "kind"])
            .build()
            .unwrap();
        DenseFamily::new(desc, Buckets::new(BUCKETS).unwrap())
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.get((route, kind)).observe(value);
    }

    type Open = OpenFamily<Counter>;

    fn open(max_series: usize) -> Self::Open {
        let options = OpenOptions::new().max_series(max_series).enum_label(1);
        OpenFamily::new(counter_desc("executions", &["agent", "kind"]), (), options)
    }

    #[inline]
    fn inc_open(open: &Self::Open, agent: &str, kind: Kind) {
        open.get(&[agent, kind.as_str()]).inc();
    }

    type Dense = DenseFamily<(Digit, Digit, Digit), Counter>;

    fn dense() -> Self::Dense {
        // A static schema, as the `#[metrics]` expansion declares it: the family's only heap block is its
        // series.
        static SCHEMA: FamilySchema = FamilySchema::new("requests", MetricType::Counter, "Requests.").with_labels(&[
            LabelSchema::of::<Digit>("a"),
            LabelSchema::of::<Digit>("b"),
            LabelSchema::of::<Digit>("c"),
        ]);
        DenseFamily::from_schema(&SCHEMA)
    }

    type Exposition = Exposition;

    fn exposition(series: usize) -> Exposition {
        let registry = Registry::builder().total_series_limit(series + 1).self_metrics(false).build();
        let family = Arc::new(OpenFamily::<Counter>::new(
            counter_desc("requests", &["id"]),
            (),
            OpenOptions::new().max_series(series),
        ));
        registry.register(family.clone()).unwrap();
        let mut id = itoa::Buffer::new();
        for i in 0..series {
            family.get(&[id.format(i)]).inc();
        }
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
