//! The exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0.
//!
//! An [`Encoder`] writes into a caller's `Vec<u8>`. Families describe themselves with
//! [`Encoder::family`], which writes the metadata lines, then write one call per series on the returned
//! [`FamilyEncoder`]. Numbers are formatted with `itoa`/`ryu` straight into the buffer and label values are
//! escaped by copying unescaped runs whole, so encoding allocates nothing per sample; the label text of a
//! series is rendered once and copied into each of its sample lines.

mod escape;
mod openmetrics;
mod text;

use std::ops::Range;

use crate::Descriptor;
use crate::MetricType;
use crate::cell::Buckets;

pub(crate) use escape::write_escaped_label_value;

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Text,
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
}

impl Format {
    /// The exact `Content-Type` of a response in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// A sample value: exact integers stay integers, floats are written in Go float syntax.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// An unsigned integer (counters).
    U64(u64),
    /// A signed integer (gauges).
    I64(i64),
    /// A float; `+Inf`, `-Inf` and `NaN` are written as such.
    F64(f64),
}

impl From<u64> for Number {
    fn from(v: u64) -> Self {
        Number::U64(v)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::I64(v)
    }
}

impl From<f64> for Number {
    fn from(v: f64) -> Self {
        Number::F64(v)
    }
}

/// Writes the labels of one series.
///
/// Families implement it for their series; a custom collector can pass a slice of name/value pairs. Label
/// names must be valid (families check theirs when they are built); values may hold anything and are
/// escaped.
pub trait EncodeLabels {
    /// Writes every label through `out`, in order.
    fn encode_labels(&self, out: &mut LabelWriter<'_>);
}

impl EncodeLabels for () {
    fn encode_labels(&self, _: &mut LabelWriter<'_>) {}
}

impl<N: AsRef<str>, V: AsRef<str>> EncodeLabels for [(N, V)] {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        for (name, value) in self {
            out.label(name.as_ref(), value.as_ref());
        }
    }
}

impl<N: AsRef<str>, V: AsRef<str>, const K: usize> EncodeLabels for [(N, V); K] {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        self.as_slice().encode_labels(out)
    }
}

impl<T: EncodeLabels + ?Sized> EncodeLabels for &T {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        (**self).encode_labels(out)
    }
}

/// Appends `name="value"` pairs to a series' label text, escaping values.
#[derive(Debug)]
pub struct LabelWriter<'b> {
    buf: &'b mut Vec<u8>,
    /// Where the labels start in `buf`: a label written past it follows another and takes a comma.
    start: usize,
}

impl LabelWriter<'_> {
    fn separate(&mut self) {
        if self.buf.len() > self.start {
            self.buf.push(b',');
        }
    }

    /// Appends one label whose value is escaped already (or the text of several labels, the first name
    /// and the last `"` left out).
    pub(crate) fn escaped_label(&mut self, name: &str, escaped: &[u8]) {
        self.separate();
        self.buf.reserve(name.len() + escaped.len() + 3);
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"=\"");
        self.buf.extend_from_slice(escaped);
        self.buf.push(b'"');
    }

    /// Appends one label.
    pub fn label(&mut self, name: &str, value: &str) {
        debug_assert!(promstruct_naming::check_label_name(name, MetricType::Gauge).is_ok(), "bad label name {name:?}");
        self.separate();
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"=\"");
        write_escaped_label_value(self.buf, value);
        self.buf.push(b'"');
    }
}

/// Buffers an [`Encoder`] reuses between series; keep one per scraper to encode with no allocation.
#[derive(Debug, Default)]
pub struct Scratch {
    counts: Vec<u64>,
}

impl Scratch {
    /// Empty buffers; they grow to the largest series once and stay.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Writes metric families in one format into a caller's buffer.
#[derive(Debug)]
pub struct Encoder<'a> {
    buf: &'a mut Vec<u8>,
    format: Format,
    scratch: &'a mut Scratch,
    series: usize,
}

impl<'a> Encoder<'a> {
    /// An encoder appending to `buf`, reusing `scratch`.
    pub fn new(format: Format, buf: &'a mut Vec<u8>, scratch: &'a mut Scratch) -> Self {
        Encoder { buf, format, scratch, series: 0 }
    }

    /// The format being written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The number of series written so far.
    pub fn series(&self) -> usize {
        self.series
    }

    /// Writes the metadata of `desc` and returns the encoder for its series.
    ///
    /// Each family must be written once, all its series through the returned value, before the next.
    pub fn family<'e>(&'e mut self, desc: &'e Descriptor) -> FamilyEncoder<'e, 'a> {
        match self.format {
            Format::Text => text::write_metadata(self.buf, desc),
            Format::OpenMetrics => openmetrics::write_metadata(self.buf, desc),
        }
        FamilyEncoder { enc: self, desc }
    }

    /// Ends the exposition: OpenMetrics writes `# EOF`. Returns the number of series written.
    pub fn finish(self) -> usize {
        if self.format == Format::OpenMetrics {
            self.buf.extend_from_slice(b"# EOF\n");
        }
        self.series
    }
}

/// The histogram state a scrape reads: cumulative bucket counts and the sum.
#[derive(Debug, Clone, Copy)]
pub struct HistogramSnapshot<'s> {
    /// The bucket bounds.
    pub buckets: &'s Buckets,
    /// Cumulative counts, one per bound and a last one for `+Inf`, which is the count.
    pub cumulative: &'s [u64],
    /// The sum of all observations.
    pub sum: f64,
}

/// Writes the series of one family; see [`Encoder::family`].
#[derive(Debug)]
pub struct FamilyEncoder<'e, 'a> {
    enc: &'e mut Encoder<'a>,
    desc: &'e Descriptor,
}

impl FamilyEncoder<'_, '_> {
    /// The family's descriptor.
    pub fn descriptor(&self) -> &Descriptor {
        self.desc
    }

    /// The format being written.
    pub fn format(&self) -> Format {
        self.enc.format
    }

    /// A counter series: `_total`, and in OpenMetrics `_created` (seconds since the epoch) when given.
    pub fn counter(&mut self, labels: &dyn EncodeLabels, value: Number, created: Option<f64>) {
        let Encoder { buf, format, series, .. } = &mut *self.enc;
        *series += 1;
        let name = self.desc.name();
        let labels = first_sample(buf, name, "_total", labels, value);
        if let (Format::OpenMetrics, Some(ts)) = (*format, created) {
            sample_head(buf, name, "_created", labels.clone(), None);
            end_timestamp(buf, ts);
        }
    }

    /// A gauge series.
    pub fn gauge(&mut self, labels: &dyn EncodeLabels, value: Number) {
        let Encoder { buf, series, .. } = &mut *self.enc;
        *series += 1;
        first_sample(buf, self.desc.name(), "", labels, value);
    }

    /// An info series: `<name>_info{labels} 1` (a gauge in the text format).
    pub fn info(&mut self, labels: &dyn EncodeLabels) {
        let Encoder { buf, series, .. } = &mut *self.enc;
        *series += 1;
        first_sample(buf, self.desc.name(), "_info", labels, Number::U64(1));
    }

    /// A histogram series from a snapshot: every bucket, `_sum`, `_count`, and in OpenMetrics `_created`.
    ///
    /// OpenMetrics forbids `_sum` (and so `_count`) when a bound is negative; they are left out there.
    pub fn histogram(&mut self, labels: &dyn EncodeLabels, snapshot: HistogramSnapshot<'_>, created: Option<f64>) {
        let HistogramSnapshot { buckets, cumulative, sum } = snapshot;
        debug_assert_eq!(cumulative.len(), buckets.len() + 1);
        let Encoder { buf, format, series, .. } = &mut *self.enc;
        *series += 1;
        let name = self.desc.name();
        // The labels are rendered into the first bucket's line and copied from there into the others.
        let mut les = buckets.le_texts().iter().map(|s| &**s).chain(["+Inf"]).zip(cumulative);
        let count = cumulative.last().copied().unwrap_or(0);
        let with_sum = *format == Format::Text || !buckets.has_negative();
        let (le, first) = les.next().expect("a histogram has the +Inf bucket");
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"_bucket");
        let labels = labels_in_braces(buf, labels, Some(("le", le)));
        end_sample(buf, Number::U64(*first));
        for (le, count) in les {
            sample_head(buf, name, "_bucket", labels.clone(), Some(("le", le)));
            end_sample(buf, Number::U64(*count));
        }
        if with_sum {
            sample_head(buf, name, "_sum", labels.clone(), None);
            end_sample(buf, Number::F64(sum));
            sample_head(buf, name, "_count", labels.clone(), None);
            end_sample(buf, Number::U64(count));
        }
        if let (Format::OpenMetrics, Some(ts)) = (*format, created) {
            sample_head(buf, name, "_created", labels, None);
            end_timestamp(buf, ts);
        }
    }

    /// A buffer for cumulative bucket counts that the encoder keeps between series.
    pub(crate) fn counts_scratch(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.enc.scratch.counts)
    }

    /// Gives back the buffer taken with [`FamilyEncoder::counts_scratch`].
    pub(crate) fn return_counts_scratch(&mut self, counts: Vec<u64>) {
        self.enc.scratch.counts = counts;
    }
}

/// Writes the first sample line of a series, `name<suffix>{labels} value`, rendering `labels` into it;
/// returns where the labels' text is in `buf`, for the series' other lines to copy.
#[inline]
fn first_sample(buf: &mut Vec<u8>, name: &str, suffix: &str, labels: &dyn EncodeLabels, value: Number) -> Range<usize> {
    buf.reserve(name.len() + suffix.len() + 48);
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(suffix.as_bytes());
    let labels = labels_in_braces(buf, labels, None);
    end_sample(buf, value);
    labels
}

/// Writes `{labels[,extra]}` (nothing when both are empty); returns where `labels`' text landed.
#[inline]
fn labels_in_braces(buf: &mut Vec<u8>, labels: &dyn EncodeLabels, extra: Option<(&str, &str)>) -> Range<usize> {
    let brace = buf.len();
    buf.push(b'{');
    labels.encode_labels(&mut LabelWriter { buf, start: brace + 1 });
    let rendered = brace + 1..buf.len();
    if let Some((name, value)) = extra {
        LabelWriter { buf, start: brace + 1 }.escaped_label(name, value.as_bytes());
    }
    if buf.len() == brace + 1 {
        buf.truncate(brace);
    } else {
        buf.push(b'}');
    }
    rendered
}

/// Writes `name<suffix>{labels[,extra]}` for a series' later lines, copying the labels' text from
/// `labels`, a range of `buf` written by its first line.
#[inline]
fn sample_head(buf: &mut Vec<u8>, name: &str, suffix: &str, labels: Range<usize>, extra: Option<(&str, &str)>) {
    buf.reserve(name.len() + suffix.len() + labels.len() + 48);
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(suffix.as_bytes());
    if !labels.is_empty() || extra.is_some() {
        buf.push(b'{');
        let has_labels = !labels.is_empty();
        buf.extend_from_within(labels);
        if let Some((name, value)) = extra {
            if has_labels {
                buf.push(b',');
            }
            buf.extend_from_slice(name.as_bytes());
            buf.extend_from_slice(b"=\"");
            buf.extend_from_slice(value.as_bytes());
            buf.push(b'"');
        }
        buf.push(b'}');
    }
}

/// Ends a sample line: ` value` and the newline.
#[inline]
fn end_sample(buf: &mut Vec<u8>, value: Number) {
    buf.push(b' ');
    write_number(buf, value);
    buf.push(b'\n');
}

/// Ends a `_created` line: ` seconds` and the newline (see [`write_timestamp`]).
#[inline]
fn end_timestamp(buf: &mut Vec<u8>, seconds: f64) {
    buf.push(b' ');
    write_timestamp(buf, seconds);
    buf.push(b'\n');
}

/// Writes seconds since the epoch. A time of whole milliseconds, as [`now_epoch_seconds`] reads them, is
/// written as seconds and three decimals (`1763781234.567`) with integer formatting; any other as a float.
fn write_timestamp(buf: &mut Vec<u8>, seconds: f64) {
    // Below 2^53 milliseconds every count is exact in a float. The decimal text written is the exact value
    // `ms / 1000`, and the division gives the float nearest to it, so a parser reads back `seconds` itself.
    // The cast saturates (and reads NaN as 0): the check below sends whatever it mangled to the float path.
    // Through `i64`, a single instruction each way where `u64` takes several.
    let ms = (seconds * 1000.0 + 0.5) as i64;
    if (0..9_000_000_000_000_000).contains(&ms) && ms as f64 / 1000.0 == seconds {
        let ms = ms as u64;
        buf.extend_from_slice(itoa::Buffer::new().format(ms / 1000).as_bytes());
        let frac = (ms % 1000) as u16;
        buf.extend_from_slice(&[
            b'.',
            b'0' + (frac / 100) as u8,
            b'0' + (frac / 10 % 10) as u8,
            b'0' + (frac % 10) as u8,
        ]);
    } else {
        write_f64(buf, seconds);
    }
}

/// Writes a value in Go float syntax (integers as integers).
pub(crate) fn write_number(buf: &mut Vec<u8>, value: Number) {
    match value {
        Number::U64(v) => buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Number::I64(v) => buf.extend_from_slice(itoa::Buffer::new().format(v).as_bytes()),
        Number::F64(v) => write_f64(buf, v),
    }
}

fn write_f64(buf: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        buf.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        buf.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else {
        buf.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    }
}

/// The canonical text of a bucket bound: the form OpenMetrics requires for `le` (`0.0`, `0.25`, `1.0`,
/// `1e-05`, `1e+06`, `+Inf`), which Prometheus' text parser reads too.
///
/// It is Python's `repr` of the float, switched to an exponent from `1e+06` up as Go does: the form of the
/// reference parser's `floatToGoString`.
pub fn canonical_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf".into() } else { "-Inf".into() };
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    // Shortest round-trip digits and the decimal exponent, from Rust's `{:e}` (`1.25e-3`).
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always writes an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes an integer exponent");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if v < 0.0 { "-" } else { "" };
    let positional = (-4..16).contains(&exp) && !(v > 0.0 && exp >= 6);
    if positional {
        let mut out = String::from(sign);
        if exp < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        } else {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        }
        out
    } else {
        let mut out = String::from(sign);
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
        out
    }
}

pub(crate) use crate::clock::{coarse_epoch_millis, epoch_millis_to_seconds, now_epoch_seconds};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_floats_match_the_reference_parser() {
        let cases = [
            (0.0, "0.0"),
            (0.25, "0.25"),
            (1.0, "1.0"),
            (10.0, "10.0"),
            (2.5, "2.5"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123456.0, "123456.0"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (1e10, "1e+10"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (-1.0, "-1.0"),
            (-1e6, "-1000000.0"),
            (-1e-7, "-1e-07"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in cases {
            assert_eq!(canonical_float(v), want, "{v}");
        }
    }

    #[test]
    fn timestamps_of_whole_milliseconds_round_trip_with_three_decimals() {
        let text = |seconds: f64| {
            let mut buf = Vec::new();
            write_timestamp(&mut buf, seconds);
            String::from_utf8(buf).unwrap()
        };
        let mut ms: u64 = 1_763_781_234_567;
        for _ in 0..100_000 {
            let seconds = ms as f64 / 1000.0;
            let written = text(seconds);
            assert_eq!(written, format!("{}.{:03}", ms / 1000, ms % 1000));
            assert_eq!(written.parse::<f64>().unwrap(), seconds, "{written}");
            ms = ms.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) % 4_102_444_800_000;
        }
        assert_eq!(text(0.0), "0.000");
        assert_eq!(text(1.5), "1.500");
        // Anything else is written as a float, and still reads back exactly.
        for seconds in [1_763_781_234.567_891_2, 0.000_1, -1.5, 1e300, f64::INFINITY] {
            assert_eq!(text(seconds).replace("inf", "Inf").parse::<f64>().unwrap(), seconds, "{seconds}");
        }
        assert_eq!(text(f64::NAN), "NaN");
        let now = now_epoch_seconds();
        assert_eq!(text(now).len(), text(now.trunc()).len(), "{now}: three decimals");
    }

    #[test]
    fn numbers() {
        let mut buf = Vec::new();
        for v in [Number::U64(u64::MAX), Number::I64(-5), Number::F64(0.5), Number::F64(f64::NAN)] {
            write_number(&mut buf, v);
            buf.push(b' ');
        }
        write_number(&mut buf, Number::F64(f64::NEG_INFINITY));
        assert_eq!(String::from_utf8(buf).unwrap(), "18446744073709551615 -5 0.5 NaN -Inf");
    }
}
