//! The label text of a series: [`EncodeLabels`] says what the labels are, a [`LabelWriter`] writes them.

use std::ops::Range;

use super::write_escaped_label_value;
use crate::MetricType;

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

/// Appends the labels of a series: `name="value"` pairs with values escaped in the text formats,
/// `LabelPair` messages with raw values in the protobuf format.
#[derive(Debug)]
pub struct LabelWriter<'b> {
    buf: &'b mut Vec<u8>,
    /// Where the labels start in `buf`: a label written past it follows another and takes a comma.
    start: usize,
    /// Whether the labels are `LabelPair` messages (the protobuf format) rather than text.
    protobuf: bool,
}

impl<'b> LabelWriter<'b> {
    /// A writer of `LabelPair` messages into the `Metric` being written at the end of `buf`.
    pub(super) fn protobuf(buf: &'b mut Vec<u8>) -> Self {
        let start = buf.len();
        LabelWriter { buf, start, protobuf: true }
    }
}

impl LabelWriter<'_> {
    /// Whether the format wants each label's raw value through [`LabelWriter::label`] (protobuf), so that
    /// a series keeping its label text escaped must read its values back instead of passing the text.
    pub(crate) fn wants_raw_values(&self) -> bool {
        self.protobuf
    }

    fn separate(&mut self) {
        if self.buf.len() > self.start {
            self.buf.push(b',');
        }
    }

    /// Appends one label whose value is escaped already (or the text of several labels, the first name
    /// and the last `"` left out).
    pub(crate) fn escaped_label(&mut self, name: &str, escaped: &[u8]) {
        debug_assert!(!self.protobuf, "escaped label text in the protobuf format");
        self.separate();
        self.buf.reserve(name.len() + escaped.len() + 3);
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"=\"");
        self.buf.extend_from_slice(escaped);
        self.buf.push(b'"');
    }

    /// Appends one label whose value is UTF-8 bytes, raw: the protobuf format's path for values a series
    /// keeps as bytes. In the text formats it must not be used (the value would not be escaped).
    #[inline]
    pub(crate) fn label_bytes(&mut self, name: &str, value: &[u8]) {
        debug_assert!(self.protobuf, "raw label bytes in a text format");
        debug_assert!(std::str::from_utf8(value).is_ok(), "label value not UTF-8");
        super::protobuf::put_label(self.buf, name.as_bytes(), value);
    }

    /// Appends one label.
    pub fn label(&mut self, name: &str, value: &str) {
        debug_assert!(promstruct_naming::check_label_name(name, MetricType::Gauge).is_ok(), "bad label name {name:?}");
        if self.protobuf {
            super::protobuf::put_label(self.buf, name.as_bytes(), value.as_bytes());
            return;
        }
        self.separate();
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b"=\"");
        write_escaped_label_value(self.buf, value);
        self.buf.push(b'"');
    }
}

/// Writes `{labels[,extra]}` (nothing when both are empty); returns where `labels`' text landed.
#[inline]
pub(super) fn labels_in_braces(
    buf: &mut Vec<u8>,
    labels: &dyn EncodeLabels,
    extra: Option<(&str, &str)>,
) -> Range<usize> {
    let brace = buf.len();
    buf.push(b'{');
    labels.encode_labels(&mut LabelWriter { buf, start: brace + 1, protobuf: false });
    let rendered = brace + 1..buf.len();
    if let Some((name, value)) = extra {
        LabelWriter { buf, start: brace + 1, protobuf: false }.escaped_label(name, value.as_bytes());
    }
    if buf.len() == brace + 1 {
        buf.truncate(brace);
    } else {
        buf.push(b'}');
    }
    rendered
}
