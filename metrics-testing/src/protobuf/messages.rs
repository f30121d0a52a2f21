//! The messages of client_model's `metrics.proto` (the copy in `proto/` beside this crate), decoded from
//! the wire with proto2's rules: unknown fields are skipped, a scalar given twice keeps the last value, a
//! message given twice is merged, and repeated numbers may come packed or not.

use super::reader::{Fields, Value, WireError, varint};

/// A `google.protobuf.Timestamp`: seconds and nanoseconds.
pub(crate) type Timestamp = (i64, i32);

/// An `Exemplar`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ExemplarMsg<'a> {
    pub(crate) labels: Vec<(&'a str, &'a str)>,
    pub(crate) value: f64,
    pub(crate) timestamp: Option<Timestamp>,
}

/// A classic `Bucket`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct BucketMsg<'a> {
    pub(crate) cumulative_count: u64,
    pub(crate) cumulative_count_float: f64,
    pub(crate) upper_bound: f64,
    pub(crate) exemplar: Option<ExemplarMsg<'a>>,
}

/// A `Histogram`, classic and native parts.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct HistogramMsg<'a> {
    pub(crate) sample_count: u64,
    pub(crate) sample_count_float: f64,
    pub(crate) sample_sum: f64,
    pub(crate) buckets: Vec<BucketMsg<'a>>,
    pub(crate) created: Option<Timestamp>,
    pub(crate) schema: Option<i32>,
    pub(crate) zero_threshold: f64,
    pub(crate) zero_count: u64,
    pub(crate) zero_count_float: f64,
    pub(crate) negative_spans: Vec<(i32, u32)>,
    pub(crate) negative_deltas: Vec<i64>,
    pub(crate) negative_counts: Vec<f64>,
    pub(crate) positive_spans: Vec<(i32, u32)>,
    pub(crate) positive_deltas: Vec<i64>,
    pub(crate) positive_counts: Vec<f64>,
    pub(crate) exemplars: Vec<ExemplarMsg<'a>>,
}

/// A `Summary`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct SummaryMsg {
    pub(crate) sample_count: u64,
    pub(crate) sample_sum: f64,
    pub(crate) quantiles: Vec<(f64, f64)>,
    pub(crate) created: Option<Timestamp>,
}

/// A `Counter`.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct CounterMsg<'a> {
    pub(crate) value: f64,
    pub(crate) exemplar: Option<ExemplarMsg<'a>>,
    pub(crate) created: Option<Timestamp>,
}

/// A `Metric`: labels, one value message, a timestamp; `at` is where it starts in the body.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct MetricMsg<'a> {
    pub(crate) labels: Vec<(&'a str, &'a str)>,
    pub(crate) gauge: Option<f64>,
    pub(crate) counter: Option<CounterMsg<'a>>,
    pub(crate) summary: Option<SummaryMsg>,
    pub(crate) untyped: Option<f64>,
    pub(crate) histogram: Option<HistogramMsg<'a>>,
    pub(crate) timestamp_ms: Option<i64>,
    pub(crate) at: usize,
}

/// A `MetricFamily`; `kind` is the raw `MetricType` number (`COUNTER`, 0, when absent).
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct FamilyMsg<'a> {
    pub(crate) name: &'a str,
    pub(crate) help: Option<&'a str>,
    pub(crate) kind: u64,
    pub(crate) unit: Option<&'a str>,
    pub(crate) metrics: Vec<MetricMsg<'a>>,
}

/// What the schema says a field holds, for the message when the wire says otherwise.
fn expected(what: &str, number: u32, message: &str, value: &Value<'_>, at: usize) -> WireError {
    WireError {
        at,
        message: format!("field {number} of {message} should be {what}, the body has {}", value.wire_name()),
    }
}

fn as_f64(value: Value<'_>, number: u32, message: &str, at: usize) -> Result<f64, WireError> {
    match value {
        Value::Fixed64(bits) => Ok(f64::from_bits(bits)),
        other => Err(expected("a double", number, message, &other, at)),
    }
}

fn as_u64(value: Value<'_>, number: u32, message: &str, at: usize) -> Result<u64, WireError> {
    match value {
        Value::Varint(v) => Ok(v),
        other => Err(expected("a varint", number, message, &other, at)),
    }
}

fn as_bytes<'a>(value: Value<'a>, number: u32, message: &str, at: usize) -> Result<(&'a [u8], usize), WireError> {
    match value {
        Value::Len(bytes, offset) => Ok((bytes, offset)),
        other => Err(expected("length-delimited", number, message, &other, at)),
    }
}

fn as_str<'a>(value: Value<'a>, number: u32, message: &str, at: usize) -> Result<&'a str, WireError> {
    let (bytes, offset) = as_bytes(value, number, message, at)?;
    std::str::from_utf8(bytes).map_err(|e| WireError {
        at: offset + e.valid_up_to(),
        message: format!("field {number} of {message} is a string that is not UTF-8"),
    })
}

/// Zigzag decoding (`sint32`, `sint64`).
fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// A repeated `sint64`, packed or not, appended to `out`.
fn sint64s(value: Value<'_>, number: u32, message: &str, at: usize, out: &mut Vec<i64>) -> Result<(), WireError> {
    match value {
        Value::Varint(v) => out.push(unzigzag(v)),
        Value::Len(bytes, offset) => {
            let mut pos = 0;
            while pos < bytes.len() {
                out.push(unzigzag(varint(bytes, &mut pos, offset)?));
            }
        }
        other => return Err(expected("a varint", number, message, &other, at)),
    }
    Ok(())
}

/// A repeated `double`, packed or not, appended to `out`.
fn doubles(value: Value<'_>, number: u32, message: &str, at: usize, out: &mut Vec<f64>) -> Result<(), WireError> {
    match value {
        Value::Fixed64(bits) => out.push(f64::from_bits(bits)),
        Value::Len(bytes, offset) => {
            if bytes.len() % 8 != 0 {
                return Err(WireError {
                    at: offset,
                    message: format!("packed doubles of field {number} of {message} are not whole"),
                });
            }
            out.extend(bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("eight bytes"))));
        }
        other => return Err(expected("a double", number, message, &other, at)),
    }
    Ok(())
}

fn timestamp(
    value: Value<'_>,
    number: u32,
    message: &str,
    at: usize,
    into: &mut Option<Timestamp>,
) -> Result<(), WireError> {
    let (bytes, offset) = as_bytes(value, number, message, at)?;
    let ts = into.get_or_insert((0, 0));
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => ts.0 = as_u64(v, n, "Timestamp", at)? as i64,
            2 => ts.1 = as_u64(v, n, "Timestamp", at)? as i32,
            _ => {}
        }
    }
    Ok(())
}

fn label_pair<'a>(value: Value<'a>, number: u32, message: &str, at: usize) -> Result<(&'a str, &'a str), WireError> {
    let (bytes, offset) = as_bytes(value, number, message, at)?;
    let mut pair = ("", "");
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => pair.0 = as_str(v, n, "LabelPair", at)?,
            2 => pair.1 = as_str(v, n, "LabelPair", at)?,
            _ => {}
        }
    }
    Ok(pair)
}

fn exemplar<'a>(
    value: Value<'a>,
    number: u32,
    message: &str,
    at: usize,
    into: &mut ExemplarMsg<'a>,
) -> Result<(), WireError> {
    let (bytes, offset) = as_bytes(value, number, message, at)?;
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => into.labels.push(label_pair(v, n, "Exemplar", at)?),
            2 => into.value = as_f64(v, n, "Exemplar", at)?,
            3 => timestamp(v, n, "Exemplar", at, &mut into.timestamp)?,
            _ => {}
        }
    }
    Ok(())
}

fn bucket<'a>(bytes: &'a [u8], offset: usize) -> Result<BucketMsg<'a>, WireError> {
    let mut b = BucketMsg::default();
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => b.cumulative_count = as_u64(v, n, "Bucket", at)?,
            2 => b.upper_bound = as_f64(v, n, "Bucket", at)?,
            3 => exemplar(v, n, "Bucket", at, b.exemplar.get_or_insert_with(Default::default))?,
            4 => b.cumulative_count_float = as_f64(v, n, "Bucket", at)?,
            _ => {}
        }
    }
    Ok(b)
}

fn span(value: Value<'_>, number: u32, at: usize) -> Result<(i32, u32), WireError> {
    let (bytes, offset) = as_bytes(value, number, "Histogram", at)?;
    let mut span = (0, 0);
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => span.0 = unzigzag(as_u64(v, n, "BucketSpan", at)?) as i32,
            2 => span.1 = as_u64(v, n, "BucketSpan", at)? as u32,
            _ => {}
        }
    }
    Ok(span)
}

fn histogram<'a>(bytes: &'a [u8], offset: usize, h: &mut HistogramMsg<'a>) -> Result<(), WireError> {
    const M: &str = "Histogram";
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => h.sample_count = as_u64(v, n, M, at)?,
            2 => h.sample_sum = as_f64(v, n, M, at)?,
            3 => {
                let (bytes, offset) = as_bytes(v, n, M, at)?;
                h.buckets.push(bucket(bytes, offset)?);
            }
            4 => h.sample_count_float = as_f64(v, n, M, at)?,
            5 => h.schema = Some(unzigzag(as_u64(v, n, M, at)?) as i32),
            6 => h.zero_threshold = as_f64(v, n, M, at)?,
            7 => h.zero_count = as_u64(v, n, M, at)?,
            8 => h.zero_count_float = as_f64(v, n, M, at)?,
            9 => h.negative_spans.push(span(v, n, at)?),
            10 => sint64s(v, n, M, at, &mut h.negative_deltas)?,
            11 => doubles(v, n, M, at, &mut h.negative_counts)?,
            12 => h.positive_spans.push(span(v, n, at)?),
            13 => sint64s(v, n, M, at, &mut h.positive_deltas)?,
            14 => doubles(v, n, M, at, &mut h.positive_counts)?,
            15 => timestamp(v, n, M, at, &mut h.created)?,
            16 => {
                let mut e = ExemplarMsg::default();
                exemplar(v, n, M, at, &mut e)?;
                h.exemplars.push(e);
            }
            _ => {}
        }
    }
    Ok(())
}

fn summary(bytes: &[u8], offset: usize, s: &mut SummaryMsg) -> Result<(), WireError> {
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => s.sample_count = as_u64(v, n, "Summary", at)?,
            2 => s.sample_sum = as_f64(v, n, "Summary", at)?,
            3 => {
                let (bytes, offset) = as_bytes(v, n, "Summary", at)?;
                let mut q = (0.0, 0.0);
                for field in Fields::new(bytes, offset) {
                    let (n, v, at) = field?;
                    match n {
                        1 => q.0 = as_f64(v, n, "Quantile", at)?,
                        2 => q.1 = as_f64(v, n, "Quantile", at)?,
                        _ => {}
                    }
                }
                s.quantiles.push(q);
            }
            4 => timestamp(v, n, "Summary", at, &mut s.created)?,
            _ => {}
        }
    }
    Ok(())
}

/// The single `value` (field 1) of a `Gauge` or an `Untyped`, merged into `into`.
fn single_value(bytes: &[u8], offset: usize, message: &str, into: &mut f64) -> Result<(), WireError> {
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        if n == 1 {
            *into = as_f64(v, n, message, at)?;
        }
    }
    Ok(())
}

fn counter<'a>(bytes: &'a [u8], offset: usize, c: &mut CounterMsg<'a>) -> Result<(), WireError> {
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => c.value = as_f64(v, n, "Counter", at)?,
            2 => exemplar(v, n, "Counter", at, c.exemplar.get_or_insert_with(Default::default))?,
            3 => timestamp(v, n, "Counter", at, &mut c.created)?,
            _ => {}
        }
    }
    Ok(())
}

fn metric<'a>(bytes: &'a [u8], offset: usize) -> Result<MetricMsg<'a>, WireError> {
    const M: &str = "Metric";
    let mut m = MetricMsg { at: offset, ..MetricMsg::default() };
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => m.labels.push(label_pair(v, n, M, at)?),
            2 => {
                let (bytes, offset) = as_bytes(v, n, M, at)?;
                single_value(bytes, offset, "Gauge", m.gauge.get_or_insert(0.0))?;
            }
            3 => {
                let (bytes, offset) = as_bytes(v, n, M, at)?;
                counter(bytes, offset, m.counter.get_or_insert_with(Default::default))?;
            }
            4 => {
                let (bytes, offset) = as_bytes(v, n, M, at)?;
                summary(bytes, offset, m.summary.get_or_insert_with(Default::default))?;
            }
            5 => {
                let (bytes, offset) = as_bytes(v, n, M, at)?;
                single_value(bytes, offset, "Untyped", m.untyped.get_or_insert(0.0))?;
            }
            6 => m.timestamp_ms = Some(as_u64(v, n, M, at)? as i64),
            7 => {
                let (bytes, offset) = as_bytes(v, n, M, at)?;
                histogram(bytes, offset, m.histogram.get_or_insert_with(Default::default))?;
            }
            _ => {}
        }
    }
    Ok(m)
}

/// Decodes one `MetricFamily` message, `bytes`, which starts at offset `offset` of the body.
pub(crate) fn family(bytes: &[u8], offset: usize) -> Result<FamilyMsg<'_>, WireError> {
    const M: &str = "MetricFamily";
    let mut f = FamilyMsg::default();
    for field in Fields::new(bytes, offset) {
        let (n, v, at) = field?;
        match n {
            1 => f.name = as_str(v, n, M, at)?,
            2 => f.help = Some(as_str(v, n, M, at)?),
            3 => f.kind = as_u64(v, n, M, at)?,
            4 => {
                let (bytes, offset) = as_bytes(v, n, M, at)?;
                f.metrics.push(metric(bytes, offset)?);
            }
            5 => f.unit = Some(as_str(v, n, M, at)?),
            _ => {}
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag() {
        for (wire, v) in [(0, 0), (1, -1), (2, 1), (3, -2), (4294967294, 2147483647), (4294967295, -2147483648)] {
            assert_eq!(unzigzag(wire), v, "{wire}");
        }
    }

    #[test]
    fn a_family_with_a_gauge_and_unknown_fields() {
        // name "g", type GAUGE, a field 9 (unknown, skipped), metric { label {a=b}, gauge {value 2.5} }.
        let mut bytes = vec![0x0a, 1, b'g', 0x18, 1, 0x48, 7, 0x22, 21];
        bytes.extend([0x0a, 6, 0x0a, 1, b'a', 0x12, 1, b'b']);
        bytes.extend([0x12, 9, 0x09]);
        bytes.extend(2.5f64.to_le_bytes());
        bytes.extend([0x30, 5]);
        let f = family(&bytes, 0).unwrap();
        assert_eq!((f.name, f.kind, f.help), ("g", 1, None));
        assert_eq!(f.metrics.len(), 1);
        assert_eq!(f.metrics[0].labels, [("a", "b")]);
        assert_eq!(f.metrics[0].gauge, Some(2.5));
        assert_eq!(f.metrics[0].timestamp_ms, Some(5));
        assert_eq!(f.metrics[0].at, 9);
    }

    #[test]
    fn wrong_wire_types_and_bad_strings_are_named() {
        // name as a varint.
        let err = family(&[0x08, 1], 0).unwrap_err();
        assert!(err.message.contains("field 1 of MetricFamily should be length-delimited"), "{err}");
        let err = family(&[0x0a, 2, 0xff, 0xfe], 3).unwrap_err();
        assert_eq!(err.at, 5);
        assert!(err.message.contains("not UTF-8"), "{err}");
    }

    #[test]
    fn packed_and_unpacked_deltas() {
        let mut h = HistogramMsg::default();
        // positive_delta packed [1, -1], then one unpacked 2.
        histogram(&[0x6a, 2, 2, 1, 0x68, 4], 0, &mut h).unwrap();
        assert_eq!(h.positive_deltas, [1, -1, 2]);
    }
}
