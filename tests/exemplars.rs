//! Exemplars in every exposition that carries them, read by independent parsers: OpenMetrics by
//! `promstruct-testing`'s strict parser and Python's `prometheus_client` (strict OpenMetrics), protobuf by
//! the strict decoder and by `protoc --decode`; never in the text format 0.0.4. The 128-code-point limit
//! at 127, 128 and 129 code points of two-, three- and four-byte characters.

use std::sync::Arc;

use promstruct::{
    Buckets, Counter, CounterOps, DenseFamily, Descriptor, ExemplarError, FloatCounter, Format, Histogram,
    HistogramConfig, HistogramOps, MetricType, NativeConfig, OpenFamily, OpenOptions, Registry,
};
use promstruct_testing::Exposition;
use suite::exposition::{parse_body_strictly, parse_strictly};
use suite::protoc::{Node, decode_message, split_delimited};
use suite::validators::{PyExemplar, find_sample, python_parse};

/// A label value that needs escaping in the text and stays raw in protobuf. Without a double quote:
/// Python's parser (prometheus_client 0.26) toggles its in-quotes state on an escaped `\"` inside an
/// exemplar and refuses the line; `a_double_quote_in_an_exemplar_is_escaped` checks that one with the
/// strict parser.
const AWKWARD: &str = "back\\slash new\nline naïve 日本 🚀";

fn encode(registry: &Registry, format: Format) -> Vec<u8> {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    buf
}

fn desc(name: &'static str, kind: MetricType, labels: &[&'static str]) -> Descriptor {
    Descriptor::builder(name, kind, "Help.").labels(labels.iter().copied()).build().unwrap()
}

/// Label pairs, owned.
type Labels = Vec<(String, String)>;

/// An exemplar as the tests compare it: labels and value.
type Seen = Option<(Labels, f64)>;

/// A sample by name and labels, and the exemplar it should carry.
type Expected<'a> = (&'a str, &'a [(&'a str, &'a str)], Seen);

/// An exemplar as protoc shows it: where it is, its labels, value and timestamp in seconds.
type ProtocExemplar = (String, Labels, f64, f64);

fn owned(labels: &[(&str, &str)]) -> Vec<(String, String)> {
    labels.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

/// A registry with every cell that takes exemplars, each given some.
fn registry_with_exemplars() -> Registry {
    let registry = Registry::new();
    let dense = Arc::new(DenseFamily::<(), Counter>::new(desc("app_requests", MetricType::Counter, &[]), ()));
    let open =
        Arc::new(OpenFamily::<Counter>::new(desc("app_jobs", MetricType::Counter, &["queue"]), (), OpenOptions::new()));
    let spend = Arc::new(DenseFamily::<(), FloatCounter>::new(desc("app_spend", MetricType::Counter, &[]), ()));
    let classic = Arc::new(OpenFamily::<Histogram>::new(
        desc("app_latency_seconds", MetricType::Histogram, &["route"]),
        HistogramConfig::classic(Buckets::new([0.1, 1.0, 10.0]).unwrap()),
        OpenOptions::new(),
    ));
    let both = Arc::new(DenseFamily::<(), Histogram>::new(
        desc("app_both_seconds", MetricType::Histogram, &[]),
        HistogramConfig::classic(Buckets::new([0.5, 5.0]).unwrap()).with_native(NativeConfig::new()),
    ));
    let native = Arc::new(DenseFamily::<(), Histogram>::new(
        desc("app_native_seconds", MetricType::Histogram, &[]),
        HistogramConfig::native(NativeConfig::new()),
    ));
    registry.register(dense.clone()).unwrap();
    registry.register(open.clone()).unwrap();
    registry.register(spend.clone()).unwrap();
    registry.register(classic.clone()).unwrap();
    registry.register(both.clone()).unwrap();
    registry.register(native.clone()).unwrap();

    dense.get(()).inc_with_exemplar(&[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")]).unwrap();
    open.get(&["mail"]).inc_by_with_exemplar(3, &[("trace_id", AWKWARD), ("span_id", "00f067aa0ba902b7")]).unwrap();
    open.get(&["sms"]).inc();
    spend.get(()).inc_by_with_exemplar(0.25, &[]).unwrap();
    let route = classic.get(&["/v1"]);
    route.observe_with_exemplar(0.05, &[("trace_id", "t-low")]).unwrap();
    route.observe_with_exemplar(0.5, &[("trace_id", "t-mid")]).unwrap();
    route.observe_with_exemplar(50.0, &[("trace_id", "t-inf")]).unwrap();
    route.observe(3.0);
    both.get(()).observe_with_exemplar(2.0, &[("trace_id", "t-both")]).unwrap();
    for (i, v) in [0.001, 0.3, 7.5].into_iter().enumerate() {
        native.get(()).observe_with_exemplar(v, &[("trace_id", &format!("t-native-{i}"))]).unwrap();
    }
    registry
}

/// The exemplar of sample `name{labels}` in an exposition, as labels and value.
fn exemplar_of(exposition: &Exposition, name: &str, labels: &[(&str, &str)]) -> Seen {
    let sample = exposition.sample(name, labels).unwrap_or_else(|| panic!("no sample {name}{labels:?}"));
    sample.exemplar.as_ref().map(|e| (e.labels.clone(), e.value))
}

#[test]
fn openmetrics_with_exemplars_passes_the_strict_parser_and_python_and_text_has_none() {
    let registry = registry_with_exemplars();
    let body = encode(&registry, Format::OpenMetrics);
    let text = String::from_utf8(body.clone()).unwrap();
    let parsed = parse_strictly(&text, Format::OpenMetrics);
    let expected: [Expected<'_>; 9] = [
        ("app_requests_total", &[], Some((owned(&[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")]), 1.0))),
        (
            "app_jobs_total",
            &[("queue", "mail")],
            Some((owned(&[("trace_id", AWKWARD), ("span_id", "00f067aa0ba902b7")]), 3.0)),
        ),
        ("app_jobs_total", &[("queue", "sms")], None),
        ("app_spend_total", &[], Some((vec![], 0.25))),
        (
            "app_latency_seconds_bucket",
            &[("route", "/v1"), ("le", "0.1")],
            Some((owned(&[("trace_id", "t-low")]), 0.05)),
        ),
        (
            "app_latency_seconds_bucket",
            &[("route", "/v1"), ("le", "1.0")],
            Some((owned(&[("trace_id", "t-mid")]), 0.5)),
        ),
        ("app_latency_seconds_bucket", &[("route", "/v1"), ("le", "10.0")], None),
        (
            "app_latency_seconds_bucket",
            &[("route", "/v1"), ("le", "+Inf")],
            Some((owned(&[("trace_id", "t-inf")]), 50.0)),
        ),
        ("app_both_seconds_bucket", &[("le", "5.0")], Some((owned(&[("trace_id", "t-both")]), 2.0))),
    ];
    for (name, labels, want) in &expected {
        assert_eq!(&exemplar_of(&parsed, name, labels), want, "{name}{labels:?}\n{text}");
    }
    // A histogram with native buckets only shows its latest exemplar on `+Inf` in the text formats.
    assert_eq!(
        exemplar_of(&parsed, "app_native_seconds_bucket", &[("le", "+Inf")]),
        Some((owned(&[("trace_id", "t-native-2")]), 7.5))
    );
    // Only `_total` and `_bucket` lines carry one, each with a timestamp.
    for sample in parsed.samples().filter(|s| s.exemplar.is_some()) {
        assert!(sample.name.ends_with("_total") || sample.name.ends_with("_bucket"), "{}", sample.name);
        assert!(sample.exemplar.as_ref().unwrap().timestamp.is_some(), "{}", sample.series());
    }
    assert_eq!(parsed.samples().filter(|s| s.exemplar.is_some()).count(), 8);

    // Python's strict parser reads the same exemplars.
    let families = python_parse(&body, true).unwrap_or_else(|e| panic!("Python refused it: {e}\n{text}"));
    for (name, labels, want) in &expected {
        let sample = find_sample(&families, name, labels).unwrap_or_else(|| panic!("Python has no {name}"));
        let got = sample.exemplar.as_ref().map(|PyExemplar { labels, value, .. }| (labels.clone(), *value));
        let want = want.clone().map(|(mut labels, value)| {
            labels.sort();
            (labels, value)
        });
        assert_eq!(got, want, "{name}{labels:?}");
    }
    let mid = find_sample(&families, "app_latency_seconds_bucket", &[("route", "/v1"), ("le", "1.0")]).unwrap();
    let om_ts = parsed.sample("app_latency_seconds_bucket", &[("route", "/v1"), ("le", "1.0")]).unwrap();
    assert_eq!(mid.exemplar.as_ref().unwrap().timestamp, om_ts.exemplar.as_ref().unwrap().timestamp);

    // The text format 0.0.4 has no exemplars, and stays valid.
    let plain = String::from_utf8(encode(&registry, Format::Text)).unwrap();
    assert!(!plain.contains(" # {"), "{plain}");
    parse_strictly(&plain, Format::Text);
}

/// Every `exemplar` and `exemplars` message protoc shows, as (field path, labels, value, timestamp).
fn protoc_exemplars(body: &[u8]) -> Vec<ProtocExemplar> {
    fn exemplar(path: String, e: &Node) -> ProtocExemplar {
        let labels = e
            .all("label")
            .map(|l| (l.text("name").unwrap_or("").to_owned(), l.text("value").unwrap_or("").to_owned()))
            .collect();
        let ts = e.get("timestamp").expect("a timestamp, always");
        let seconds = ts.number("seconds").unwrap_or(0.0) + ts.number("nanos").unwrap_or(0.0) / 1e9;
        (path, labels, e.number("value").unwrap_or(0.0), seconds)
    }
    let mut out = Vec::new();
    for message in split_delimited(body) {
        let family = decode_message(message);
        let name = family.text("name").unwrap().to_owned();
        for metric in family.all("metric") {
            if let Some(e) = metric.get("counter").and_then(|c| c.get("exemplar")) {
                out.push(exemplar(format!("{name} counter"), e));
            }
            if let Some(h) = metric.get("histogram") {
                for b in h.all("bucket") {
                    if let Some(e) = b.get("exemplar") {
                        out.push(exemplar(format!("{name} bucket {}", b.text("upper_bound").unwrap()), e));
                    }
                }
                for e in h.all("exemplars") {
                    out.push(exemplar(format!("{name} native"), e));
                }
            }
        }
    }
    out
}

#[test]
fn protobuf_with_exemplars_is_read_by_protoc_and_the_strict_decoder_alike() {
    let registry = registry_with_exemplars();
    let body = encode(&registry, Format::Protobuf);
    let parsed = parse_body_strictly(&body, Format::Protobuf);
    let from_protoc = protoc_exemplars(&body);
    let paths: Vec<&str> = from_protoc.iter().map(|(p, ..)| p.as_str()).collect();
    assert_eq!(
        paths,
        [
            "app_requests_total counter",
            "app_jobs_total counter",
            "app_spend_total counter",
            "app_latency_seconds bucket 0.1",
            "app_latency_seconds bucket 1",
            "app_latency_seconds bucket inf",
            "app_both_seconds bucket 5",
            "app_both_seconds native",
            "app_native_seconds native",
            "app_native_seconds native",
            "app_native_seconds native",
        ],
        "{from_protoc:?}"
    );
    let (_, labels, value, _) = &from_protoc[1];
    assert_eq!((labels, *value), (&owned(&[("trace_id", AWKWARD), ("span_id", "00f067aa0ba902b7")]), 3.0));
    let natives: Vec<f64> = from_protoc[8..].iter().map(|(_, _, v, _)| *v).collect();
    assert_eq!(natives, [0.001, 0.3, 7.5], "oldest first");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(from_protoc.iter().all(|(_, _, _, ts)| (now - ts).abs() < 600.0), "{from_protoc:?}");

    // The strict decoder reads the same exemplars, with the same timestamps.
    let counter = parsed.sample("app_jobs_total", &[("queue", "mail")]).unwrap().exemplar.as_ref().unwrap();
    assert_eq!(
        (&counter.labels, counter.value),
        (&owned(&[("trace_id", AWKWARD), ("span_id", "00f067aa0ba902b7")]), 3.0)
    );
    assert_eq!(counter.timestamp, Some(from_protoc[1].3));
    let inf = parsed.sample("app_latency_seconds_bucket", &[("route", "/v1"), ("le", "+Inf")]).unwrap();
    assert_eq!(inf.exemplar.as_ref().map(|e| e.value), Some(50.0), "the +Inf bucket written for its exemplar");
    assert_eq!(inf.value, 4.0);
    let native = parsed.family("app_native_seconds").unwrap().native_histogram(&[]).unwrap();
    let values: Vec<f64> = native.exemplars.iter().map(|e| e.value).collect();
    assert_eq!(values, [0.001, 0.3, 7.5]);
    assert_eq!(native.exemplars[2].labels, owned(&[("trace_id", "t-native-2")]));
    let both = parsed.family("app_both_seconds").unwrap().native_histogram(&[]).unwrap();
    assert_eq!(both.exemplars.len(), 1);
    assert_eq!(parsed.samples().filter(|s| s.exemplar.is_some()).count(), 7);
}

#[test]
fn the_limit_is_128_code_points_of_names_and_values_tested_at_127_128_and_129() {
    for ch in ['é', '€', '🚀'] {
        let registry = Registry::new();
        let counter = Arc::new(DenseFamily::<(), Counter>::new(desc("app_requests", MetricType::Counter, &[]), ()));
        let latency = Arc::new(DenseFamily::<(), Histogram>::new(
            desc("app_latency_seconds", MetricType::Histogram, &[]),
            HistogramConfig::classic(Buckets::new([1.0]).unwrap()),
        ));
        registry.register(counter.clone()).unwrap();
        registry.register(latency.clone()).unwrap();
        // The name `t` and n - 1 characters of ch (2, 3 or 4 bytes each).
        let value_of = |n: usize| ch.to_string().repeat(n - 1);
        for n in [127, 128] {
            let value = value_of(n);
            counter.get(()).inc_with_exemplar(&[("t", &value)]).unwrap();
            latency.get(()).observe_with_exemplar(0.5, &[("t", &value)]).unwrap();
            let body = encode(&registry, Format::OpenMetrics);
            let text = String::from_utf8(body.clone()).unwrap();
            let parsed = parse_strictly(&text, Format::OpenMetrics);
            let want = Some((owned(&[("t", &value)]), 1.0));
            assert_eq!(exemplar_of(&parsed, "app_requests_total", &[]), want, "{n} code points of {ch}");
            let families = python_parse(&body, true).unwrap_or_else(|e| panic!("{n} of {ch}: Python refused: {e}"));
            let bucket = find_sample(&families, "app_latency_seconds_bucket", &[("le", "1.0")]).unwrap();
            assert_eq!(bucket.exemplar.as_ref().unwrap().labels, owned(&[("t", &value)]));
            parse_body_strictly(&encode(&registry, Format::Protobuf), Format::Protobuf);
        }
        let over = value_of(129);
        assert_eq!(
            counter.get(()).inc_with_exemplar(&[("t", &over)]),
            Err(ExemplarError::TooLong { code_points: 129 })
        );
        assert_eq!(
            CounterOps::inc_with_exemplar(&counter.get(()), &[("t", &over)]),
            Err(ExemplarError::TooLong { code_points: 129 })
        );
        assert!(HistogramOps::observe_with_exemplar(&latency.get(()), 0.5, &[("t", &over)]).is_err());
        assert_eq!(registry.rejected_exemplars(), 3, "{ch}");
        let text = String::from_utf8(encode(&registry, Format::OpenMetrics)).unwrap();
        let parsed = parse_strictly(&text, Format::OpenMetrics);
        assert_eq!(parsed.value("promstruct_exemplars_rejected_total", &[]), Some(3.0));
        assert_eq!(parsed.value("app_requests_total", &[]), Some(4.0), "refused exemplars, applied increments");
        // Never truncated: the exemplar is still the 128-point one.
        let kept = Some((owned(&[("t", &value_of(128))]), 1.0));
        assert_eq!(exemplar_of(&parsed, "app_requests_total", &[]), kept);

        // The validators do check the limit: the 129-point exemplar written by hand is refused by both.
        let forged = text.replace(&value_of(128), &over);
        assert!(python_parse(forged.as_bytes(), true).is_err(), "Python takes 129 code points of {ch}");
        assert!(promstruct_testing::parse(&forged, Format::OpenMetrics).is_err(), "the strict parser takes 129");
    }
}

#[test]
fn a_double_quote_in_an_exemplar_is_escaped() {
    let registry = Registry::builder().self_metrics(false).build();
    let jobs = Arc::new(DenseFamily::<(), Counter>::new(desc("app_requests", MetricType::Counter, &[]), ()));
    registry.register(jobs.clone()).unwrap();
    let value = "say \"hi\" \\ bye";
    jobs.get(()).inc_with_exemplar(&[("note", value)]).unwrap();
    let text = String::from_utf8(encode(&registry, Format::OpenMetrics)).unwrap();
    assert!(text.contains(r#"# {note="say \"hi\" \\ bye"} 1.0 "#), "{text}");
    let parsed = parse_strictly(&text, Format::OpenMetrics);
    assert_eq!(exemplar_of(&parsed, "app_requests_total", &[]), Some((owned(&[("note", value)]), 1.0)));
    let protobuf = parse_body_strictly(&encode(&registry, Format::Protobuf), Format::Protobuf);
    assert_eq!(exemplar_of(&protobuf, "app_requests_total", &[]), Some((owned(&[("note", value)]), 1.0)));
}
