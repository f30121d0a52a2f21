//! The protobuf reading: our encoder's output read back, and bodies that break each rule.

use promstruct::{Counter, DenseFamily, Descriptor, Format, Histogram, MetricType, OpenFamily, OpenOptions, Registry};
use std::sync::Arc;

use crate::{FamilyType, Rule, parse, parse_protobuf};

/// A varint-delimited body of the given messages.
fn delimited(messages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages {
        let mut len = m.len();
        while len >= 0x80 {
            out.push(len as u8 | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        out.extend_from_slice(m);
    }
    out
}

/// A string field.
fn s(field: u8, text: &str) -> Vec<u8> {
    let mut out = vec![field << 3 | 2, text.len() as u8];
    out.extend_from_slice(text.as_bytes());
    out
}

/// A nested message field.
fn msg(field: u8, parts: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = parts.concat();
    let mut out = vec![field << 3 | 2, body.len() as u8];
    out.extend(body);
    out
}

fn double(field: u8, v: f64) -> Vec<u8> {
    let mut out = vec![field << 3 | 1];
    out.extend(v.to_le_bytes());
    out
}

fn varint(field: u8, v: u8) -> Vec<u8> {
    vec![field << 3, v]
}

fn gauge_family(name: &str, value: f64, labels: &[(&str, &str)]) -> Vec<u8> {
    let mut metric: Vec<Vec<u8>> = labels.iter().map(|(n, v)| msg(1, &[s(1, n), s(2, v)])).collect();
    metric.push(msg(2, &[double(1, value)]));
    [s(1, name), varint(3, 1), msg(4, &metric)].concat()
}

#[test]
fn our_encoding_reads_back_with_the_text_formats_values() {
    let registry = Registry::builder().self_metrics(false).build();
    let desc =
        Descriptor::builder("jobs", MetricType::Counter, "Jobs\nrun \\ here.").labels(["queue"]).build().unwrap();
    let jobs = Arc::new(OpenFamily::<Counter>::new(desc, (), OpenOptions::new()));
    registry.register(jobs.clone()).unwrap();
    jobs.get(&["mail"]).inc_by(3);
    jobs.get(&["a\"b\\c\nd"]).inc();
    let desc =
        Descriptor::builder("latency_seconds", MetricType::Histogram, "Latency.").unit("seconds").build().unwrap();
    let latency = Arc::new(DenseFamily::<(), Histogram>::new(desc, promstruct::Buckets::new(vec![0.1, 1.0]).unwrap()));
    registry.register(latency.clone()).unwrap();
    latency.get(()).observe(0.5);
    latency.get(()).observe(5.0);

    let mut body = Vec::new();
    registry.encode(Format::Protobuf, &mut body).unwrap();
    let got = parse_protobuf(&body).unwrap_or_else(|v| panic!("{v}"));
    assert!(got.warnings().is_empty(), "{:?}", got.warnings());
    let mut text = Vec::new();
    registry.encode(Format::Text, &mut text).unwrap();
    let want = parse(std::str::from_utf8(&text).unwrap(), Format::Text).unwrap();
    let values = |e: &crate::Exposition| -> Vec<(String, String)> {
        let mut v: Vec<_> = e.samples().map(|s| (s.series(), crate::parser::show(s.value))).collect();
        v.sort();
        v
    };
    assert_eq!(values(&got), values(&want));
    let jobs = got.family("jobs_total").unwrap();
    assert_eq!((jobs.kind, jobs.help.as_deref()), (FamilyType::Counter, Some("Jobs\nrun \\ here.")));
    assert_eq!(got.value("jobs_total", &[("queue", "a\"b\\c\nd")]), Some(1.0));
    let created = got.sample("jobs_total", &[("queue", "mail")]).unwrap().created.unwrap();
    assert!((created - promstruct_now()).abs() < 60.0, "{created}");
    let latency = got.family("latency_seconds").unwrap();
    assert_eq!(latency.unit.as_deref(), Some("seconds"));
    assert_eq!(got.value("latency_seconds_bucket", &[("le", "+Inf")]), Some(2.0));
    assert!(latency.samples.iter().all(|s| s.created.is_some() && s.line == 2));
    assert!(latency.native_histograms.is_empty());
}

fn promstruct_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

#[test]
fn help_is_raw_whatever_its_blanks() {
    let family = [s(1, "g"), s(2, "  two leading blanks\r, a CR"), varint(3, 1), msg(4, &[msg(2, &[double(1, 1.0)])])];
    let got = parse_protobuf(&delimited(&[family.concat()])).unwrap();
    assert!(got.warnings().is_empty(), "{:?}", got.warnings());
    assert_eq!(got.family("g").unwrap().help.as_deref(), Some("  two leading blanks\r, a CR"));
}

#[test]
fn an_empty_body_is_an_empty_exposition() {
    let got = parse_protobuf(&[]).unwrap();
    assert_eq!(got.families().len(), 0);
    assert_eq!(got.format(), Format::Protobuf);
}

#[test]
fn framing_errors_are_at_their_message() {
    let good = gauge_family("up", 1.0, &[]);
    // A second message claiming more bytes than are left.
    let mut body = delimited(std::slice::from_ref(&good));
    body.extend([50, 1, 2]);
    let err = parse_protobuf(&body).unwrap_err();
    assert_eq!((err[0].line, err[0].column, err[0].rule), (2, good.len() + 2, Rule::Protobuf));
    assert!(err[0].message.contains("claims 50 bytes, 2 are left"), "{}", err[0]);
    // A cut length prefix.
    let err = parse_protobuf(&[0x80]).unwrap_err();
    assert!(err.has(Rule::Protobuf) && err[0].message.contains("cut off"), "{err}");
    // A field of the wrong wire type inside the message: the message is skipped, the next read.
    let body = delimited(&[vec![0x08, 1], good]);
    let err = parse_protobuf(&body).unwrap_err();
    assert_eq!(err.len(), 1, "{err}");
    assert!(err[0].message.contains("message 1: field 1 of MetricFamily"), "{err}");
}

#[test]
fn the_text_rules_apply_once_decoded() {
    // The same series twice, a bad metric name, a bad label name, an unknown type.
    let dup =
        [s(1, "g"), varint(3, 1), msg(4, &[msg(2, &[double(1, 1.0)])]), msg(4, &[msg(2, &[double(1, 2.0)])])].concat();
    let err = parse_protobuf(&delimited(&[dup])).unwrap_err();
    assert!(err.has(Rule::DuplicateSeries), "{err}");
    assert_eq!(err[0].line, 1);
    let err = parse_protobuf(&delimited(&[gauge_family("a-b", 1.0, &[])])).unwrap_err();
    assert!(err.has(Rule::MetricName), "{err}");
    let err = parse_protobuf(&delimited(&[gauge_family("g", 1.0, &[("bad-name", "x")])])).unwrap_err();
    assert!(err.has(Rule::LabelName), "{err}");
    let err = parse_protobuf(&delimited(&[[s(1, "g"), varint(3, 9)].concat()])).unwrap_err();
    assert!(err.has(Rule::InvalidType), "{err}");
    // A counter family whose series has a gauge.
    let wrong = [s(1, "c_total"), varint(3, 0), msg(4, &[msg(2, &[double(1, 1.0)])])].concat();
    let err = parse_protobuf(&delimited(&[wrong])).unwrap_err();
    assert!(err.has(Rule::Protobuf) && err[0].message.contains("has no Counter"), "{err}");
    // A negative counter (flagged as in 0.0.4, a warning), a family twice.
    let negative = [s(1, "c_total"), varint(3, 0), msg(4, &[msg(3, &[double(1, -1.0)])])].concat();
    let warned = parse_protobuf(&delimited(&[negative])).unwrap();
    assert!(warned.warnings().iter().any(|w| w.rule == Rule::CounterValue), "{:?}", warned.warnings());
    let twice = delimited(&[
        gauge_family("g", 1.0, &[("a", "1")]),
        gauge_family("h", 1.0, &[]),
        gauge_family("g", 1.0, &[("a", "2")]),
    ]);
    assert!(!parse_protobuf(&twice).unwrap_err().is_empty());
}

#[test]
fn histograms_buckets_and_their_order() {
    let bucket = |count: u8, bound: f64| msg(3, &[varint(1, count), double(2, bound)]);
    let histogram = |buckets: Vec<Vec<u8>>, count: u8| {
        let mut h = vec![varint(1, count), double(2, 1.5)];
        h.extend(buckets);
        delimited(&[[s(1, "h"), varint(3, 4), msg(4, &[msg(7, &h)])].concat()])
    };
    let got = parse_protobuf(&histogram(vec![bucket(1, 0.5), bucket(2, 1.0)], 3)).unwrap();
    assert_eq!(got.value("h_bucket", &[("le", "0.5")]), Some(1.0));
    assert_eq!(got.value("h_bucket", &[("le", "1.0")]), Some(2.0));
    assert_eq!(got.value("h_bucket", &[("le", "+Inf")]), Some(3.0));
    assert_eq!(got.value("h_sum", &[]), Some(1.5));
    assert_eq!(got.value("h_count", &[]), Some(3.0));
    // An explicit +Inf bucket is kept, not doubled.
    let got = parse_protobuf(&histogram(vec![bucket(1, 0.5), bucket(3, f64::INFINITY)], 3)).unwrap();
    assert_eq!(got.samples_named("h_bucket").count(), 2);
    // Not cumulative; +Inf unlike the count.
    assert!(parse_protobuf(&histogram(vec![bucket(2, 0.5), bucket(1, 1.0)], 3)).unwrap_err().has(Rule::BucketOrder));
    let err = parse_protobuf(&histogram(vec![bucket(1, 0.5), bucket(2, f64::INFINITY)], 3)).unwrap_err();
    assert!(err.has(Rule::InfCountMismatch), "{err}");
}

#[test]
fn native_histograms_are_read_and_checked() {
    let zz = |v: i64| ((v << 1) ^ (v >> 63)) as u8;
    let native = |deltas: &[i64], count: u8, schema: i64| {
        let mut h = vec![varint(1, count), double(2, 4.0), varint(5, zz(schema)), double(6, 0.001), varint(7, 1)];
        h.push(msg(12, &[varint(1, zz(-1)), varint(2, deltas.len() as u8)]));
        h.extend(deltas.iter().map(|d| varint(13, zz(*d))));
        delimited(&[[s(1, "n"), varint(3, 4), msg(4, &[msg(1, &[s(1, "a"), s(2, "x")]), msg(7, &h)])].concat()])
    };
    let got = parse_protobuf(&native(&[2, -1], 4, 3)).unwrap();
    let h = got.native_histogram("n", &[("a", "x")]).expect("a native histogram");
    assert_eq!((h.schema, h.zero_count, h.count, h.sum), (3, 1.0, 4.0, 4.0));
    assert_eq!(h.positive, [(-1, 2.0), (0, 1.0)]);
    // Native only: the text formats' +Inf, _sum and _count.
    assert_eq!(got.value("n_bucket", &[("a", "x"), ("le", "+Inf")]), Some(4.0));
    assert_eq!(got.value("n_count", &[("a", "x")]), Some(4.0));
    for (body, why) in [
        (native(&[2, -1], 2, 3), "more than its count"),
        (native(&[2, -3], 9, 3), "negative count"),
        (native(&[1], 9, 9), "outside -4..=8"),
    ] {
        let err = parse_protobuf(&body).unwrap_err();
        assert!(err.has(Rule::NativeHistogram) && err[0].message.contains(why), "{why}: {err}");
    }
}
