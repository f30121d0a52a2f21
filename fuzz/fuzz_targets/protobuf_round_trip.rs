//! Encode in protobuf, then decode: arbitrary label values, HELP text, counter increments, a gauge value,
//! histogram bounds and observations, set through the public API, come back exactly from
//! `promstruct-testing`'s protobuf decoder, with no violation, and equal to the text format's scrape of
//! the same registry.

#![no_main]

use std::collections::BTreeMap;
use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use promstruct::{
    Buckets, Counter, DenseFamily, Descriptor, FloatGauge, Format, Histogram, Info, MetricType, OpenFamily,
    OpenOptions, Registry,
};
use promstruct_testing::{Exposition, parse, parse_protobuf};

#[derive(Debug)]
struct Input {
    help: String,
    values: Vec<(String, u32)>,
    gauge: f64,
    bounds: Vec<f64>,
    observations: Vec<f64>,
    info: String,
}

impl<'a> Arbitrary<'a> for Input {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Input {
            help: u.arbitrary()?,
            values: u.arbitrary()?,
            gauge: u.arbitrary()?,
            bounds: u.arbitrary()?,
            observations: u.arbitrary()?,
            info: u.arbitrary()?,
        })
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Every sample by series, labels sorted.
fn samples(e: &Exposition) -> BTreeMap<(String, Vec<(String, String)>), f64> {
    e.samples()
        .map(|s| {
            let mut labels = s.labels.clone();
            labels.sort();
            ((s.name.clone(), labels), s.value)
        })
        .collect()
}

fuzz_target!(|input: Input| {
    let registry = Registry::builder().self_metrics(false).build();
    let desc = |name: &'static str, kind, labels: &[&str]| {
        Descriptor::builder(name, kind, input.help.clone()).labels(labels.iter().copied()).build().unwrap()
    };
    let counters = Arc::new(OpenFamily::<Counter>::new(
        desc("fuzz_values", MetricType::Counter, &["value"]),
        (),
        OpenOptions::new(),
    ));
    let gauges = Arc::new(OpenFamily::<FloatGauge>::new(
        desc("fuzz_level", MetricType::Gauge, &["value"]),
        (),
        OpenOptions::new(),
    ));
    registry.register(counters.clone()).unwrap();
    registry.register(gauges.clone()).unwrap();
    let mut expected: BTreeMap<&str, u64> = BTreeMap::new();
    for (value, by) in &input.values {
        counters.get(&[value]).inc_by(u64::from(*by));
        *expected.entry(value).or_default() += u64::from(*by);
    }
    let level = input.values.first().map_or("", |(v, _)| v.as_str());
    gauges.get(&[level]).set(input.gauge);
    // A histogram when the bounds make a valid layout, observed with what is not NaN.
    let histogram = Buckets::new(input.bounds.iter().copied().take(40).collect::<Vec<_>>()).ok().map(|buckets| {
        let h = Arc::new(DenseFamily::<(), Histogram>::new(desc("fuzz_sizes", MetricType::Histogram, &[]), buckets));
        registry.register(h.clone()).unwrap();
        for v in input.observations.iter().filter(|v| !v.is_nan()) {
            h.get(()).observe(*v);
        }
        h
    });
    let info = Arc::new(DenseFamily::<(), Info>::new(desc("fuzz_build", MetricType::Info, &[]), ()));
    registry.register(info.clone()).unwrap();
    info.get(()).set([("version", input.info.as_str())]).unwrap();

    let mut body = Vec::new();
    registry.encode(Format::Protobuf, &mut body).unwrap();
    let decoded = parse_protobuf(&body).unwrap_or_else(|v| panic!("our own protobuf is refused: {v}"));
    assert!(decoded.warnings().is_empty(), "{:?}", decoded.warnings());

    let family = decoded.family("fuzz_values_total");
    assert_eq!(family.is_some(), !expected.is_empty(), "a family without series has no message");
    if let Some(family) = family {
        assert_eq!(family.help.as_deref().unwrap_or_default(), input.help, "HELP, raw");
    }
    for (value, total) in &expected {
        assert_eq!(decoded.value("fuzz_values_total", &[("value", value)]), Some(*total as f64), "{value:?}");
    }
    assert_eq!(decoded.samples_named("fuzz_values_total").count(), expected.len());
    let got = decoded.value("fuzz_level", &[("value", level)]).expect("the gauge");
    assert!(same(got, input.gauge), "gauge {got} != {}", input.gauge);
    assert_eq!(decoded.value("fuzz_build_info", &[("version", &input.info)]), Some(1.0));
    if let Some(h) = &histogram {
        let count = input.observations.iter().filter(|v| !v.is_nan()).count();
        assert_eq!(decoded.value("fuzz_sizes_count", &[]), Some(count as f64));
        assert!(same(decoded.value("fuzz_sizes_sum", &[]).unwrap(), h.get(()).sum()));
    }

    // The text format's scrape of the same registry has the same samples and values.
    let mut text = Vec::new();
    registry.encode(Format::Text, &mut text).unwrap();
    let text = String::from_utf8(text).expect("UTF-8");
    let parsed = parse(&text, Format::Text).unwrap_or_else(|v| panic!("{v}\n{text}"));
    let (a, b) = (samples(&decoded), samples(&parsed));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (key, value) in &a {
        assert!(same(*value, b[key]), "{key:?}: {value} in protobuf, {} in text", b[key]);
    }
});
