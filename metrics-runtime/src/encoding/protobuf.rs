//! The Prometheus protobuf format: `MetricFamily` messages of client_model's `metrics.proto` (a copy, and
//! where it comes from, in `metrics-testing/proto/`), each prefixed by its length as a varint.
//!
//! Written by hand into the encoder's buffer like the text formats, with no allocation per sample: the
//! family's name, help, type and unit when it begins, then one `Metric` a series, its labels written by
//! the [`LabelWriter`] as `LabelPair`s (raw UTF-8, nothing escaped). A message's length prefix is fixed
//! when it ends ([`Frame`]); a histogram's body, whose size is known before it is written, is sized first.
//!
//! As client_golang writes them: a counter family is named `<name>_total`, an info one `<name>_info` of
//! type `GAUGE` with value 1; classic buckets are cumulative and leave out `+Inf` (the count is it);
//! `created_timestamp` is written on counters and histograms when the family gives one, `unit` when the
//! family exposes one (fields of client_model 0.4 and later).

use super::labels::LabelWriter;
use super::wire::{
    Frame, LEN, Short, put_f64_field, put_str_field, put_timestamp_field, put_varint, put_varint_field, str_field_len,
    tag, timestamp_len, timestamp_parts, varint_len,
};
use super::{EncodeLabels, Escaping, Exemplars, HistogramSnapshot, Number};
use crate::cell::{Deltas, Exemplar, NativeSnapshot, Spans};
use crate::{Descriptor, MetricType};

/// Field numbers of `MetricFamily`.
mod family {
    pub(super) const NAME: u8 = 1;
    pub(super) const HELP: u8 = 2;
    pub(super) const TYPE: u8 = 3;
    pub(super) const METRIC: u8 = 4;
    pub(super) const UNIT: u8 = 5;
}

/// Field numbers of `Metric`.
mod metric {
    pub(super) const LABEL: u8 = 1;
    pub(super) const GAUGE: u8 = 2;
    pub(super) const COUNTER: u8 = 3;
    pub(super) const HISTOGRAM: u8 = 7;
}

/// Field numbers of `Counter`, `Gauge` and `Histogram`, and of their `Bucket`s.
mod value {
    pub(super) const VALUE: u8 = 1;
    pub(super) const COUNTER_CREATED: u8 = 3;
    pub(super) const SAMPLE_COUNT: u8 = 1;
    pub(super) const SAMPLE_SUM: u8 = 2;
    pub(super) const BUCKET: u8 = 3;
    pub(super) const HISTOGRAM_CREATED: u8 = 15;
    pub(super) const CUMULATIVE_COUNT: u8 = 1;
    pub(super) const UPPER_BOUND: u8 = 2;
}

/// Field numbers of `Exemplar`, and of the fields that hold one.
mod exemplar {
    pub(super) const LABEL: u8 = 1;
    pub(super) const VALUE: u8 = 2;
    pub(super) const TIMESTAMP: u8 = 3;
    /// `Counter.exemplar`.
    pub(super) const OF_COUNTER: u8 = 2;
    /// `Bucket.exemplar`.
    pub(super) const OF_BUCKET: u8 = 3;
    /// `Histogram.exemplars` (of native buckets): a two-byte tag.
    pub(super) const OF_HISTOGRAM: u64 = 16;
}

/// The `Timestamp` of an exemplar: its whole milliseconds, exactly.
fn exemplar_time(e: &Exemplar) -> (i64, u32) {
    let ms = e.timestamp_ms();
    ((ms / 1000) as i64, (ms % 1000) as u32 * 1_000_000)
}

/// The size of an `Exemplar` message's body: its `LabelPair`s, value and timestamp (always written).
fn exemplar_len(e: &Exemplar) -> usize {
    let labels: usize = e
        .labels()
        .map(|(n, v)| {
            let pair = str_field_len(n.len()) + str_field_len(v.len());
            1 + varint_len(pair as u64) + pair
        })
        .sum();
    let (secs, nanos) = exemplar_time(e);
    let ts = timestamp_len(secs, nanos);
    labels + 9 + 1 + varint_len(ts as u64) + ts
}

/// The size of an exemplar as a field, its tag of `tag_len` bytes and its length prefix included.
fn exemplar_field_len(e: &Exemplar, tag_len: usize) -> usize {
    let body = exemplar_len(e);
    tag_len + varint_len(body as u64) + body
}

/// Appends an `Exemplar` message's length prefix and body (its tag written by the caller).
fn put_exemplar_body(buf: &mut Vec<u8>, e: &Exemplar) {
    put_varint(buf, exemplar_len(e) as u64);
    for (name, value) in e.labels() {
        let pair = str_field_len(name.len()) + str_field_len(value.len());
        buf.push(tag(exemplar::LABEL, LEN));
        put_varint(buf, pair as u64);
        put_str_field(buf, 1, name.as_bytes());
        put_str_field(buf, 2, value.as_bytes());
    }
    put_f64_field(buf, exemplar::VALUE, e.value());
    put_timestamp_field(buf, exemplar::TIMESTAMP, exemplar_time(e));
}

/// The native histogram's exemplars as fields 16: their size.
fn native_exemplars_len(exemplars: &[std::sync::Arc<Exemplar>]) -> usize {
    exemplars.iter().map(|e| exemplar_field_len(e, 2)).sum()
}

/// Field numbers of the native part of `Histogram`, and of `BucketSpan`.
mod native {
    pub(super) const SCHEMA: u8 = 5;
    pub(super) const ZERO_THRESHOLD: u8 = 6;
    pub(super) const ZERO_COUNT: u8 = 7;
    pub(super) const NEGATIVE_SPAN: u8 = 9;
    pub(super) const NEGATIVE_DELTA: u8 = 10;
    pub(super) const POSITIVE_SPAN: u8 = 12;
    pub(super) const POSITIVE_DELTA: u8 = 13;
    pub(super) const SPAN_OFFSET: u8 = 1;
    pub(super) const SPAN_LENGTH: u8 = 2;
}

/// The `MetricType` enum of `metrics.proto`.
const fn proto_type(kind: MetricType) -> u64 {
    match kind {
        MetricType::Counter => 0,
        MetricType::Gauge | MetricType::Info => 1,
        MetricType::Histogram => 4,
    }
}

/// The value of a sample as the protobuf format holds it: a double.
#[inline]
fn as_f64(value: Number) -> f64 {
    match value {
        Number::U64(v) => v as f64,
        Number::I64(v) => v as f64,
        Number::F64(v) => v,
    }
}

/// Begins the `MetricFamily` of `desc`: its length prefix (`guess` bytes reserved), name, help, type and
/// unit. Its `Metric`s follow; [`Frame::end`] closes it.
pub(super) fn begin_family(buf: &mut Vec<u8>, desc: &Descriptor, escaping: Escaping, guess: u8) -> Frame {
    let frame = Frame::begin(buf, guess);
    let (name, suffix) = (desc.exposed_name(escaping).as_bytes(), desc.kind().text_suffix().as_bytes());
    buf.push(tag(family::NAME, LEN));
    put_varint(buf, (name.len() + suffix.len()) as u64);
    buf.extend_from_slice(name);
    buf.extend_from_slice(suffix);
    if !desc.help().is_empty() {
        put_str_field(buf, family::HELP, desc.help().as_bytes());
    }
    put_varint_field(buf, family::TYPE, proto_type(desc.kind()));
    if let Some(unit) = desc.exposed_unit() {
        put_str_field(buf, family::UNIT, unit.as_bytes());
    }
    frame
}

/// Appends one `LabelPair` to a `Metric`: `name` and `value` are UTF-8.
#[inline]
pub(super) fn put_label(buf: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    let len = str_field_len(name.len()) + str_field_len(value.len());
    buf.reserve(len + 4);
    buf.push(tag(metric::LABEL, LEN));
    put_varint(buf, len as u64);
    put_str_field(buf, 1, name);
    put_str_field(buf, 2, value);
}

/// Begins a `Metric` (field 4 of the family) and writes its labels; `guess` is the width its length
/// prefix is expected to need.
#[inline]
fn begin_metric(buf: &mut Vec<u8>, labels: &dyn EncodeLabels, guess: u8) -> Frame {
    buf.push(tag(family::METRIC, LEN));
    let frame = Frame::begin(buf, guess);
    labels.encode_labels(&mut LabelWriter::protobuf(buf));
    frame
}

/// A counter series: `Counter { value, created_timestamp }`. Returns the width of the `Metric`'s prefix.
pub(super) fn counter(
    buf: &mut Vec<u8>,
    labels: &dyn EncodeLabels,
    value: Number,
    created: Option<f64>,
    exemplar: Option<&Exemplar>,
    guess: u8,
) -> u8 {
    let frame = begin_metric(buf, labels, guess);
    let created = created.and_then(timestamp_parts);
    let created_len = created.map_or(0, |(s, n)| 2 + timestamp_len(s, n));
    if let Some(e) = exemplar {
        // `Counter { value, exemplar, created_timestamp }`, in field order.
        let len = 9 + exemplar_field_len(e, 1) + created_len;
        buf.push(tag(metric::COUNTER, LEN));
        put_varint(buf, len as u64);
        put_f64_field(buf, value::VALUE, as_f64(value));
        buf.push(tag(exemplar::OF_COUNTER, LEN));
        put_exemplar_body(buf, e);
        if let Some(ts) = created {
            put_timestamp_field(buf, value::COUNTER_CREATED, ts);
        }
        return frame.end(buf);
    }
    let mut short = Short::new();
    short.byte(tag(metric::COUNTER, LEN));
    short.byte((9 + created_len) as u8);
    short.f64_field(value::VALUE, as_f64(value));
    if let Some(ts) = created {
        short.timestamp_field(value::COUNTER_CREATED, ts);
    }
    short.append_to(buf);
    frame.end(buf)
}

/// A gauge series (and an info's, with value 1): `Gauge { value }`. Returns the width of the prefix.
pub(super) fn gauge(buf: &mut Vec<u8>, labels: &dyn EncodeLabels, value: Number, guess: u8) -> u8 {
    let frame = begin_metric(buf, labels, guess);
    let mut short = Short::new();
    short.byte(tag(metric::GAUGE, LEN));
    short.byte(9);
    short.f64_field(value::VALUE, as_f64(value));
    short.append_to(buf);
    frame.end(buf)
}

/// The size of one classic `Bucket` message's body.
#[inline]
const fn bucket_len(cumulative: u64) -> usize {
    1 + varint_len(cumulative) + 9
}

/// The size of the classic `Bucket` fields: one a finite bound, and one for `+Inf` only when it has an
/// exemplar (as client_golang writes it; protobuf's `+Inf` bucket is otherwise the count).
fn buckets_field_len(finite: &[u64], count: u64, exemplars: &Exemplars<'_>) -> usize {
    let field = |c: u64, e: Option<&Exemplar>| {
        let body = bucket_len(c) + e.map_or(0, |e| exemplar_field_len(e, 1));
        1 + varint_len(body as u64) + body
    };
    let bounded: usize = finite.iter().enumerate().map(|(i, &c)| field(c, exemplars.bucket(i))).sum();
    bounded + exemplars.bucket(finite.len()).map_or(0, |e| field(count, Some(e)))
}

/// Writes the classic `Bucket` fields [`buckets_field_len`] counts.
fn put_classic_buckets(buf: &mut Vec<u8>, bounds: &[f64], finite: &[u64], count: u64, exemplars: &Exemplars<'_>) {
    for (i, (&bound, &c)) in bounds.iter().zip(finite).enumerate() {
        put_bucket(buf, bound, c, exemplars.bucket(i));
    }
    if let Some(e) = exemplars.bucket(finite.len()) {
        put_bucket(buf, f64::INFINITY, count, Some(e));
    }
}

/// Writes one `Bucket { cumulative_count, upper_bound, exemplar }`.
#[inline]
fn put_bucket(buf: &mut Vec<u8>, bound: f64, cumulative: u64, e: Option<&Exemplar>) {
    buf.push(tag(value::BUCKET, LEN));
    put_varint(buf, (bucket_len(cumulative) + e.map_or(0, |e| exemplar_field_len(e, 1))) as u64);
    put_varint_field(buf, value::CUMULATIVE_COUNT, cumulative);
    put_f64_field(buf, value::UPPER_BOUND, bound);
    if let Some(e) = e {
        buf.push(tag(exemplar::OF_BUCKET, LEN));
        put_exemplar_body(buf, e);
    }
}

/// A classic histogram series: `Histogram { sample_count, sample_sum, bucket..., created_timestamp }`,
/// the buckets cumulative and without `+Inf`. Returns the width of the prefix.
pub(super) fn histogram(
    buf: &mut Vec<u8>,
    labels: &dyn EncodeLabels,
    snapshot: HistogramSnapshot<'_>,
    created: Option<f64>,
    exemplars: Exemplars<'_>,
    guess: u8,
) -> u8 {
    let HistogramSnapshot { buckets, cumulative, sum } = snapshot;
    let count = cumulative.last().copied().unwrap_or(0);
    let finite = &cumulative[..buckets.len()];
    let created = created.and_then(timestamp_parts);
    let frame = begin_metric(buf, labels, guess);
    let mut len = 1 + varint_len(count) + 9;
    len += buckets_field_len(finite, count, &exemplars);
    if let Some((s, n)) = created {
        len += 2 + timestamp_len(s, n);
    }
    buf.reserve(len + 4);
    buf.push(tag(metric::HISTOGRAM, LEN));
    put_varint(buf, len as u64);
    put_varint_field(buf, value::SAMPLE_COUNT, count);
    put_f64_field(buf, value::SAMPLE_SUM, sum);
    put_classic_buckets(buf, buckets.bounds(), finite, count, &exemplars);
    if let Some(ts) = created {
        // Field 15 still has a one-byte tag.
        put_timestamp_field(buf, value::HISTOGRAM_CREATED, ts);
    }
    frame.end(buf)
}

/// Protobuf's zigzag encoding of a signed integer (`sint32`, `sint64`).
const fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// The size of one `BucketSpan` message's body.
fn span_len((offset, length): (i32, u32)) -> usize {
    2 + varint_len(zigzag(i64::from(offset))) + varint_len(u64::from(length))
}

/// The size of the `BucketSpan` fields and the packed deltas of one sign's buckets.
fn buckets_len(spans: Spans<'_>, deltas: Deltas<'_>) -> usize {
    let mut len = 0;
    for span in spans {
        let body = span_len(span);
        len += 1 + varint_len(body as u64) + body;
    }
    let packed: usize = deltas.map(|d| varint_len(zigzag(d))).sum();
    if packed > 0 {
        len += 1 + varint_len(packed as u64) + packed;
    }
    len
}

/// Writes the `BucketSpan`s (field `span_field`) and packed deltas (field `delta_field`) of one sign.
fn put_buckets(buf: &mut Vec<u8>, spans: Spans<'_>, deltas: Deltas<'_>, span_field: u8, delta_field: u8) {
    for span in spans {
        buf.push(tag(span_field, LEN));
        put_varint(buf, span_len(span) as u64);
        put_varint_field(buf, native::SPAN_OFFSET, zigzag(i64::from(span.0)));
        put_varint_field(buf, native::SPAN_LENGTH, u64::from(span.1));
    }
    let packed: usize = deltas.clone().map(|d| varint_len(zigzag(d))).sum();
    if packed > 0 {
        buf.push(tag(delta_field, LEN));
        put_varint(buf, packed as u64);
        for d in deltas {
            put_varint(buf, zigzag(d));
        }
    }
}

/// A histogram with native buckets: `Histogram { sample_count, sample_sum, bucket..., schema,
/// zero_threshold, zero_count, negative_span..., negative_delta, positive_span..., positive_delta,
/// created_timestamp }`, its classic buckets (if any) beside the native ones as client_golang writes
/// both. Returns the width of the prefix.
pub(super) fn native_histogram(
    buf: &mut Vec<u8>,
    labels: &dyn EncodeLabels,
    classic: HistogramSnapshot<'_>,
    native: &NativeSnapshot,
    created: Option<f64>,
    exemplars: Exemplars<'_>,
    guess: u8,
) -> u8 {
    let HistogramSnapshot { buckets, cumulative, .. } = classic;
    let count = native.count();
    let finite = &cumulative[..buckets.len()];
    let created = created.and_then(timestamp_parts);
    let frame = begin_metric(buf, labels, guess);
    let mut len = 1 + varint_len(count) + 9;
    // A histogram with native buckets only has no classic bucket to hold an exemplar.
    let classic_exemplars = if buckets.is_empty() { Exemplars::NONE } else { exemplars };
    len += buckets_field_len(finite, count, &classic_exemplars);
    len += 1 + varint_len(zigzag(i64::from(native.schema()))) + 9 + 1 + varint_len(native.zero_count());
    len += buckets_len(native.negative_spans(), native.negative_deltas());
    len += buckets_len(native.positive_spans(), native.positive_deltas());
    if let Some((s, n)) = created {
        len += 2 + timestamp_len(s, n);
    }
    len += native_exemplars_len(exemplars.native);
    buf.reserve(len + 4);
    buf.push(tag(metric::HISTOGRAM, LEN));
    put_varint(buf, len as u64);
    put_varint_field(buf, value::SAMPLE_COUNT, count);
    put_f64_field(buf, value::SAMPLE_SUM, native.sum());
    put_classic_buckets(buf, buckets.bounds(), finite, count, &classic_exemplars);
    put_varint_field(buf, native::SCHEMA, zigzag(i64::from(native.schema())));
    put_f64_field(buf, native::ZERO_THRESHOLD, native.zero_threshold());
    put_varint_field(buf, native::ZERO_COUNT, native.zero_count());
    put_buckets(buf, native.negative_spans(), native.negative_deltas(), native::NEGATIVE_SPAN, native::NEGATIVE_DELTA);
    put_buckets(buf, native.positive_spans(), native.positive_deltas(), native::POSITIVE_SPAN, native::POSITIVE_DELTA);
    if let Some(ts) = created {
        put_timestamp_field(buf, value::HISTOGRAM_CREATED, ts);
    }
    for e in exemplars.native {
        // Field 16, after `created_timestamp` (15): the fields in order.
        put_varint(buf, exemplar::OF_HISTOGRAM << 3 | u64::from(LEN));
        put_exemplar_body(buf, e);
    }
    frame.end(buf)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{Counter, DenseFamily, Descriptor, Format, Gauge, MetricType, OpenFamily, OpenOptions, Registry};

    fn encode(registry: &Registry) -> Vec<u8> {
        let mut buf = Vec::new();
        registry.encode(Format::Protobuf, &mut buf).unwrap();
        buf
    }

    /// The messages of a delimited body.
    fn messages(body: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            let (mut len, mut shift, mut at) = (0usize, 0, 0);
            loop {
                let byte = rest[at];
                at += 1;
                len |= usize::from(byte & 0x7f) << shift;
                shift += 7;
                if byte & 0x80 == 0 {
                    break;
                }
            }
            out.push(&rest[at..at + len]);
            rest = &rest[at + len..];
        }
        out
    }

    #[test]
    fn a_gauge_family_byte_for_byte() {
        let registry = Registry::builder().self_metrics(false).build();
        let up = Arc::new(DenseFamily::<(), Gauge>::new(Descriptor::new("up", MetricType::Gauge, "Up.").unwrap(), ()));
        registry.register(up.clone()).unwrap();
        up.get(()).set(1);
        let mut want = vec![24, 0x0a, 2, b'u', b'p', 0x12, 3, b'U', b'p', b'.', 0x18, 1, 0x22, 11, 0x12, 9, 0x09];
        want.extend(1.0f64.to_le_bytes());
        assert_eq!(encode(&registry), want);
    }

    #[test]
    fn families_without_series_write_no_message() {
        let registry = Registry::builder().self_metrics(false).build();
        let desc = Descriptor::builder("jobs", MetricType::Counter, "Jobs.").labels(["queue"]).build().unwrap();
        let jobs = Arc::new(OpenFamily::<Counter>::new(desc, (), OpenOptions::new()));
        registry.register(jobs.clone()).unwrap();
        assert!(encode(&registry).is_empty());
        jobs.get(&["mail"]).inc();
        let body = encode(&registry);
        assert_eq!(messages(&body).len(), 1);
        // A counter family carries `_total`, as client_golang names it.
        assert_eq!(&messages(&body)[0][..12], b"\x0a\x0ajobs_total");
    }

    #[test]
    fn length_prefixes_fit_whatever_the_size() {
        let registry = Registry::builder().self_metrics(false).total_series_limit(10_000).build();
        let desc = Descriptor::builder("jobs", MetricType::Counter, "Jobs.").labels(["queue"]).build().unwrap();
        let jobs = Arc::new(OpenFamily::<Counter>::new(desc, (), OpenOptions::new().max_series(5_000)));
        registry.register(jobs.clone()).unwrap();
        // From one series to 5,000 with long labels: the family's prefix grows from one byte to three, a
        // series' from one to two; each scrape's guess is the previous one's width.
        let mut last = Vec::new();
        for n in [1usize, 40, 400, 5_000] {
            for i in last.len()..n {
                jobs.get(&[&format!("queue-{i:05}-{}", "x".repeat(i % 150))]).inc();
                last.push(i);
            }
            let first = encode(&registry);
            let again = encode(&registry);
            assert_eq!(messages(&first).len(), 1, "{n} series: one message, read to its end");
            assert_eq!(first, again, "{n} series: the second scrape, guessing right, writes the same bytes");
        }
    }
}
