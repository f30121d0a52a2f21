//! The sample lines of one family: a [`FamilyEncoder`] writes each series of the family [`Encoder::family`]
//! began, its labels rendered once into the first line and copied into the others; in the protobuf format,
//! one `Metric` message a series (`protobuf`).

use std::ops::Range;
use std::sync::Arc;

use super::escape::write_escaped_label_value;
use super::labels::{EscapedNames, labels_in_braces, quoted_name_in_braces};
use super::names::SampleName;
use super::number::{write_number, write_timestamp};
use super::{EncodeLabels, Encoder, Escaping, Format, Number, protobuf};
use crate::Descriptor;
use crate::cell::{Buckets, Exemplar};

/// The exemplars of one histogram series: what [`FamilyEncoder::histogram_with_exemplars`] and
/// [`FamilyEncoder::native_histogram_with_exemplars`] write beside its buckets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exemplars<'s> {
    /// One a classic bucket, `+Inf` last, `None` where the bucket has none; may be empty (none at all).
    pub buckets: &'s [Option<Arc<Exemplar>>],
    /// The recent exemplars of native buckets, oldest first: protobuf's `Histogram.exemplars`.
    pub native: &'s [Arc<Exemplar>],
}

impl Exemplars<'_> {
    /// No exemplar.
    pub const NONE: Exemplars<'static> = Exemplars { buckets: &[], native: &[] };

    /// The exemplar of classic bucket `i`, if any.
    #[inline]
    pub(super) fn bucket(&self, i: usize) -> Option<&Exemplar> {
        self.buckets.get(i).and_then(|e| e.as_deref())
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
    pub(super) enc: &'e mut Encoder<'a>,
    pub(super) desc: &'e Descriptor,
}

impl<'e> FamilyEncoder<'e, '_> {
    /// The family's descriptor.
    pub fn descriptor(&self) -> &Descriptor {
        self.desc
    }

    /// The format being written.
    pub fn format(&self) -> Format {
        self.enc.format
    }

    /// The family's sample name in this scrape, and the scheme label writers rewrite UTF-8 label names
    /// with (`None` when every label name is legacy).
    #[inline]
    fn names(&self) -> (SampleName<'e>, Option<Escaping>) {
        let escaping = self.enc.options.escaping;
        let labels = self.desc.has_utf8_label_names().then_some(escaping);
        (SampleName::of(self.desc, escaping), labels)
    }

    /// Whether `_created` lines are written: OpenMetrics, with [`EncodeOptions::created_lines`](super::EncodeOptions).
    #[inline]
    fn created_lines(&self) -> bool {
        self.enc.format == Format::OpenMetrics && self.enc.options.created_lines
    }

    /// A counter series: `_total`, and in OpenMetrics `_created` (seconds since the epoch) when given; in
    /// protobuf a `Counter` with its `created_timestamp`.
    pub fn counter(&mut self, labels: &dyn EncodeLabels, value: Number, created: Option<f64>) {
        self.counter_with_exemplar(labels, value, created, None);
    }

    /// A counter series as [`counter`](Self::counter) writes it, with its exemplar if given: after the
    /// `_total` line in OpenMetrics (`# {trace_id="..."} value timestamp`), as `Counter.exemplar` in
    /// protobuf; the text format 0.0.4 has no exemplars and leaves it out.
    pub fn counter_with_exemplar(
        &mut self,
        labels: &dyn EncodeLabels,
        value: Number,
        created: Option<f64>,
        exemplar: Option<&Exemplar>,
    ) {
        if self.enc.format == Format::Protobuf {
            return self.protobuf(labels, |buf, labels, guess| {
                protobuf::counter(buf, labels, value, created, exemplar, guess)
            });
        }
        let ((name, names), created_lines) = (self.names(), self.created_lines());
        let exemplar = exemplar.filter(|_| self.enc.format == Format::OpenMetrics);
        let Encoder { buf, series, .. } = &mut *self.enc;
        *series += 1;
        let labels = first_sample(buf, name, "_total", labels, value, names, exemplar);
        if let (true, Some(ts)) = (created_lines, created) {
            sample_head(buf, name, "_created", labels.clone(), None);
            end_timestamp(buf, ts);
        }
    }

    /// A gauge series.
    pub fn gauge(&mut self, labels: &dyn EncodeLabels, value: Number) {
        if self.enc.format == Format::Protobuf {
            return self.protobuf(labels, |buf, labels, guess| protobuf::gauge(buf, labels, value, guess));
        }
        let (name, names) = self.names();
        let Encoder { buf, series, .. } = &mut *self.enc;
        *series += 1;
        first_sample(buf, name, "", labels, value, names, None);
    }

    /// An info series: `<name>_info{labels} 1` (a gauge in the text format, and in protobuf a `Gauge` of
    /// value 1 in the family `<name>_info`).
    pub fn info(&mut self, labels: &dyn EncodeLabels) {
        if self.enc.format == Format::Protobuf {
            return self.protobuf(labels, |buf, labels, guess| protobuf::gauge(buf, labels, Number::U64(1), guess));
        }
        let (name, names) = self.names();
        let Encoder { buf, series, .. } = &mut *self.enc;
        *series += 1;
        first_sample(buf, name, "_info", labels, Number::U64(1), names, None);
    }

    /// A histogram series from a snapshot: every bucket, `_sum`, `_count`, and in OpenMetrics `_created`.
    ///
    /// OpenMetrics forbids `_sum` (and so `_count`) when a bound is negative; they are left out there.
    /// In protobuf, a `Histogram` with its count, sum, cumulative buckets and `created_timestamp`.
    pub fn histogram(&mut self, labels: &dyn EncodeLabels, snapshot: HistogramSnapshot<'_>, created: Option<f64>) {
        self.histogram_with_exemplars(labels, snapshot, created, Exemplars::NONE);
    }

    /// A histogram series as [`histogram`](Self::histogram) writes it, with the exemplars of its buckets:
    /// after their `_bucket` lines in OpenMetrics, as `Bucket.exemplar` in protobuf (the `+Inf` bucket's,
    /// which protobuf has no bucket for, is left out there); the text format 0.0.4 leaves them out.
    pub fn histogram_with_exemplars(
        &mut self,
        labels: &dyn EncodeLabels,
        snapshot: HistogramSnapshot<'_>,
        created: Option<f64>,
        exemplars: Exemplars<'_>,
    ) {
        let HistogramSnapshot { buckets, cumulative, sum } = snapshot;
        debug_assert_eq!(cumulative.len(), buckets.len() + 1);
        if self.enc.format == Format::Protobuf {
            return self.protobuf(labels, |buf, labels, guess| {
                protobuf::histogram(buf, labels, snapshot, created, exemplars, guess)
            });
        }
        let ((name, names), created_lines) = (self.names(), self.created_lines());
        let exemplars = if self.enc.format == Format::OpenMetrics { exemplars } else { Exemplars::NONE };
        let Encoder { buf, format, series, .. } = &mut *self.enc;
        *series += 1;
        // The labels are rendered into the first bucket's line and copied from there into the others.
        let mut les = buckets.le_texts().iter().map(|s| &**s).chain(["+Inf"]).zip(cumulative);
        let count = cumulative.last().copied().unwrap_or(0);
        let with_sum = *format == Format::Text || !buckets.has_negative();
        let (le, first) = les.next().expect("a histogram has the +Inf bucket");
        let labels = head(buf, name, "_bucket", labels, Some(("le", le)), names);
        end_sample_with(buf, Number::U64(*first), exemplars.bucket(0));
        for (i, (le, count)) in les.enumerate() {
            sample_head(buf, name, "_bucket", labels.clone(), Some(("le", le)));
            end_sample_with(buf, Number::U64(*count), exemplars.bucket(i + 1));
        }
        if with_sum {
            sample_head(buf, name, "_sum", labels.clone(), None);
            end_sample(buf, Number::F64(sum));
            sample_head(buf, name, "_count", labels.clone(), None);
            end_sample(buf, Number::U64(count));
        }
        if let (true, Some(ts)) = (created_lines, created) {
            sample_head(buf, name, "_created", labels, None);
            end_timestamp(buf, ts);
        }
    }

    /// Writes one series' `Metric` message with `write`, which is given the buffer and the guess of its
    /// length prefix's width and returns the width it needed. Out of line: the text formats' paths stay
    /// as they were.
    ///
    /// `write` is given `labels` to write, whose names outside the legacy set it escapes by the scrape's
    /// scheme (all but `allow-utf-8`, which carries them as they are).
    #[inline(never)]
    fn protobuf(&mut self, labels: &dyn EncodeLabels, write: impl FnOnce(&mut Vec<u8>, &dyn EncodeLabels, u8) -> u8) {
        let escaping = self.enc.options.escaping;
        let rename = self.desc.has_utf8_label_names() && escaping != Escaping::AllowUtf8;
        let Encoder { buf, series, metric_width, .. } = &mut *self.enc;
        *series += 1;
        *metric_width = if rename {
            write(buf, &EscapedNames { labels, escaping }, *metric_width)
        } else {
            write(buf, labels, *metric_width)
        };
    }

    /// A histogram with native buckets, `native`, beside its classic ones, `classic` (the `+Inf` count only
    /// for a histogram without). In protobuf, one `Histogram` holding both, as client_golang writes it; in
    /// the text formats, which cannot carry native buckets, `classic` as [`histogram`](Self::histogram)
    /// writes it.
    pub fn native_histogram(
        &mut self,
        labels: &dyn EncodeLabels,
        classic: HistogramSnapshot<'_>,
        native: &crate::cell::NativeSnapshot,
        created: Option<f64>,
    ) {
        self.native_histogram_with_exemplars(labels, classic, native, created, Exemplars::NONE);
    }

    /// A histogram with native buckets as [`native_histogram`](Self::native_histogram) writes it, with its
    /// exemplars: in protobuf, the classic buckets' as `Bucket.exemplar` and the recent ones as
    /// `Histogram.exemplars`; in OpenMetrics, the classic buckets' after their lines.
    pub fn native_histogram_with_exemplars(
        &mut self,
        labels: &dyn EncodeLabels,
        classic: HistogramSnapshot<'_>,
        native: &crate::cell::NativeSnapshot,
        created: Option<f64>,
        exemplars: Exemplars<'_>,
    ) {
        if self.enc.format == Format::Protobuf {
            return self.protobuf(labels, |buf, labels, guess| {
                protobuf::native_histogram(buf, labels, classic, native, created, exemplars, guess)
            });
        }
        self.histogram_with_exemplars(labels, classic, created, exemplars)
    }

    /// Whether the family is written in protobuf, the one format that carries native buckets.
    pub(crate) fn is_protobuf(&self) -> bool {
        self.enc.format == Format::Protobuf
    }

    /// A snapshot buffer for native histograms that the encoder keeps between series.
    pub(crate) fn native_scratch(&mut self) -> crate::cell::NativeSnapshot {
        std::mem::take(&mut self.enc.scratch.native)
    }

    /// Gives back the buffer taken with [`FamilyEncoder::native_scratch`].
    pub(crate) fn return_native_scratch(&mut self, native: crate::cell::NativeSnapshot) {
        self.enc.scratch.native = native;
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

/// Writes the first sample line of a series, `name<suffix>{labels} value`, rendering `labels` into it,
/// with `exemplar` after the value (OpenMetrics only; the caller filters); returns where the labels' text
/// is in `buf`, for the series' other lines to copy.
#[inline]
fn first_sample(
    buf: &mut Vec<u8>,
    name: SampleName<'_>,
    suffix: &str,
    labels: &dyn EncodeLabels,
    value: Number,
    names: Option<Escaping>,
    exemplar: Option<&Exemplar>,
) -> Range<usize> {
    buf.reserve(name.text.len() + suffix.len() + 48);
    let labels = head(buf, name, suffix, labels, None, names);
    end_sample_with(buf, value, exemplar);
    labels
}

/// Writes `name<suffix>{labels[,extra]}`, rendering `labels` (`{"name<suffix>",labels[,extra]}` for a
/// quoted name); returns where the labels' text is in `buf`.
#[inline]
fn head(
    buf: &mut Vec<u8>,
    name: SampleName<'_>,
    suffix: &str,
    labels: &dyn EncodeLabels,
    extra: Option<(&str, &str)>,
    names: Option<Escaping>,
) -> Range<usize> {
    if name.quoted {
        return quoted_name_in_braces(buf, (name.text, suffix), labels, extra, names);
    }
    buf.extend_from_slice(name.text.as_bytes());
    buf.extend_from_slice(suffix.as_bytes());
    labels_in_braces(buf, labels, extra, names)
}

/// Writes `name<suffix>{labels[,extra]}` for a series' later lines, copying the labels' text from
/// `labels`, a range of `buf` written by its first line.
#[inline]
fn sample_head(
    buf: &mut Vec<u8>,
    name: SampleName<'_>,
    suffix: &str,
    labels: Range<usize>,
    extra: Option<(&str, &str)>,
) {
    if name.quoted {
        return quoted_sample_head(buf, name.text, suffix, labels, extra);
    }
    let name = name.text;
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
            write_extra(buf, name, value);
        }
        buf.push(b'}');
    }
}

/// [`sample_head`] for a quoted name: `{"name<suffix>"[,labels][,extra]}`.
#[cold]
fn quoted_sample_head(buf: &mut Vec<u8>, name: &str, suffix: &str, labels: Range<usize>, extra: Option<(&str, &str)>) {
    buf.push(b'{');
    super::names::write_name(buf, name, suffix, true);
    if !labels.is_empty() {
        buf.push(b',');
        buf.extend_from_within(labels);
    }
    if let Some((name, value)) = extra {
        buf.push(b',');
        write_extra(buf, name, value);
    }
    buf.push(b'}');
}

/// Writes `name="value"` for a label whose value needs no escaping (`le`).
#[inline]
fn write_extra(buf: &mut Vec<u8>, name: &str, value: &str) {
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"=\"");
    buf.extend_from_slice(value.as_bytes());
    buf.push(b'"');
}

/// Ends a sample line: ` value` and the newline.
#[inline]
fn end_sample(buf: &mut Vec<u8>, value: Number) {
    buf.push(b' ');
    write_number(buf, value);
    buf.push(b'\n');
}

/// Ends a sample line with its exemplar, if any: ` value # {name="value",...} value timestamp` and the
/// newline.
#[inline]
fn end_sample_with(buf: &mut Vec<u8>, value: Number, exemplar: Option<&Exemplar>) {
    let Some(exemplar) = exemplar else { return end_sample(buf, value) };
    buf.push(b' ');
    write_number(buf, value);
    write_exemplar(buf, exemplar);
    buf.push(b'\n');
}

/// Writes ` # {name="value",...} value timestamp`, the values escaped; out of line, off the path of
/// samples without one.
#[inline(never)]
fn write_exemplar(buf: &mut Vec<u8>, exemplar: &Exemplar) {
    buf.extend_from_slice(b" # {");
    for (i, (name, value)) in exemplar.labels().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(b"=\"");
        write_escaped_label_value(buf, value);
        buf.push(b'"');
    }
    buf.extend_from_slice(b"} ");
    write_number(buf, Number::F64(exemplar.value()));
    buf.push(b' ');
    write_timestamp(buf, exemplar.timestamp());
}

/// Ends a `_created` line: ` seconds` and the newline (see [`write_timestamp`]).
#[inline]
fn end_timestamp(buf: &mut Vec<u8>, seconds: f64) {
    buf.push(b' ');
    write_timestamp(buf, seconds);
    buf.push(b'\n');
}
