//! The label text of a series: [`EncodeLabels`] says what the labels are, a [`LabelWriter`] writes them.

use std::ops::Range;

use super::names::write_label_name;
use super::write_escaped_label_value;
use crate::MetricType;
use promstruct_naming::Escaping;

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
    /// For a family with label names outside the legacy set, in a text format: the scheme that writes
    /// them (quoted or escaped). `None` writes every name as it is.
    names: Option<Escaping>,
}

/// Labels whose names outside the legacy set a protobuf writer escapes by `escaping` (a scrape that did not
/// ask for `allow-utf-8`).
pub(super) struct EscapedNames<'l> {
    pub(super) labels: &'l dyn EncodeLabels,
    pub(super) escaping: Escaping,
}

impl EncodeLabels for EscapedNames<'_> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        out.names = Some(self.escaping);
        self.labels.encode_labels(out);
    }
}

impl<'b> LabelWriter<'b> {
    /// A writer of `LabelPair` messages into the `Metric` being written at the end of `buf`.
    pub(super) fn protobuf(buf: &'b mut Vec<u8>) -> Self {
        let start = buf.len();
        LabelWriter { buf, start, protobuf: true, names: None }
    }
}

impl LabelWriter<'_> {
    /// Whether the writer wants each label's raw value through [`LabelWriter::label`] (protobuf; and a text
    /// format rewriting UTF-8 label names), so that a series keeping its label text rendered must read its
    /// values back instead of passing the text.
    pub(crate) fn wants_raw_values(&self) -> bool {
        self.protobuf || self.names.is_some()
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
    /// keeps as bytes, and a text format's for a family whose label names it rewrites.
    #[inline]
    pub(crate) fn label_bytes(&mut self, name: &str, value: &[u8]) {
        if !self.protobuf {
            return self.label(name, std::str::from_utf8(value).expect("label values are UTF-8"));
        }
        debug_assert!(std::str::from_utf8(value).is_ok(), "label value not UTF-8");
        super::protobuf::put_label(self.buf, self.protobuf_name(name).as_bytes(), value);
    }

    /// A label name as a protobuf `LabelPair` carries it: escaped when the writer escapes names
    /// ([`EscapedNames`]) and it is outside the legacy set, else as it is.
    #[inline]
    fn protobuf_name<'n>(&self, name: &'n str) -> std::borrow::Cow<'n, str> {
        match self.names {
            Some(escaping) if !promstruct_naming::is_legacy_label_name(name) => {
                std::borrow::Cow::Owned(promstruct_naming::escape_name(name, escaping))
            }
            _ => std::borrow::Cow::Borrowed(name),
        }
    }

    /// Appends one label.
    pub fn label(&mut self, name: &str, value: &str) {
        debug_assert!(
            promstruct_naming::check_label_name_with(name, MetricType::Gauge, crate::Policy::PERMISSIVE.utf8_names())
                .is_ok(),
            "bad label name {name:?}"
        );
        if self.protobuf {
            super::protobuf::put_label(self.buf, self.protobuf_name(name).as_bytes(), value.as_bytes());
            return;
        }
        self.separate();
        match self.names {
            None => self.buf.extend_from_slice(name.as_bytes()),
            Some(escaping) => write_label_name(self.buf, name, escaping),
        }
        self.buf.extend_from_slice(b"=\"");
        write_escaped_label_value(self.buf, value);
        self.buf.push(b'"');
    }
}

/// Writes `{labels[,extra]}` (nothing when both are empty); returns where `labels`' text landed. `names`
/// is the scheme that rewrites UTF-8 label names (see [`LabelWriter`]), `None` for legacy ones.
#[inline]
pub(super) fn labels_in_braces(
    buf: &mut Vec<u8>,
    labels: &dyn EncodeLabels,
    extra: Option<(&str, &str)>,
    names: Option<Escaping>,
) -> Range<usize> {
    let brace = buf.len();
    buf.push(b'{');
    labels.encode_labels(&mut LabelWriter { buf, start: brace + 1, protobuf: false, names });
    let rendered = brace + 1..buf.len();
    if let Some((name, value)) = extra {
        LabelWriter { buf, start: brace + 1, protobuf: false, names: None }.escaped_label(name, value.as_bytes());
    }
    if buf.len() == brace + 1 {
        buf.truncate(brace);
    } else {
        buf.push(b'}');
    }
    rendered
}

/// Writes `{"name<suffix>"[,labels][,extra]}`, the quoted name first inside the braces as text 1.0.0 and
/// OpenMetrics write a UTF-8 metric name; returns where `labels`' text landed. Out of line: legacy names
/// never come here.
#[cold]
pub(super) fn quoted_name_in_braces(
    buf: &mut Vec<u8>,
    (name, suffix): (&str, &str),
    labels: &dyn EncodeLabels,
    extra: Option<(&str, &str)>,
    names: Option<Escaping>,
) -> Range<usize> {
    buf.push(b'{');
    super::names::write_name(buf, name, suffix, true);
    let start = buf.len() + 1;
    buf.push(b',');
    labels.encode_labels(&mut LabelWriter { buf, start, protobuf: false, names });
    let rendered = start..buf.len();
    if let Some((name, value)) = extra {
        LabelWriter { buf, start, protobuf: false, names: None }.escaped_label(name, value.as_bytes());
    }
    if buf.len() == start {
        buf.pop();
    }
    buf.push(b'}');
    rendered
}
