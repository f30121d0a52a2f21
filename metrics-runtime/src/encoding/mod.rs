//! The exposition formats: Prometheus text 0.0.4, OpenMetrics 1.0 and the Prometheus protobuf format.
//!
//! An [`Encoder`] writes into a caller's `Vec<u8>`. Families describe themselves with
//! [`Encoder::family`], which writes the metadata lines, then write one call per series on the returned
//! [`FamilyEncoder`]. Numbers are formatted with `itoa`/`ryu` straight into the buffer and label values are
//! escaped by copying unescaped runs whole, so encoding allocates nothing per sample; the label text of a
//! series is rendered once and copied into each of its sample lines. The protobuf format is written into
//! the same buffer by hand, varint by varint, with no allocation per sample either.
//!
//! This module holds the [`Format`] and the [`Encoder`]; what a response is beyond its format (the text
//! version, the escaping of names, its `Content-Type`) is an [`Exposition`] (`exposition`); a family's
//! sample lines are `family`, the label text of a series `labels`, numbers and timestamps `number`,
//! escaping of values and help `escape`, of names `names`, the metadata lines of each text format `text`
//! and `openmetrics`, the protobuf messages `protobuf` over the wire primitives of `wire`.
//!
//! Names outside the legacy character set (families defined at run time under
//! [`Policy::utf8_names`](crate::Policy::utf8_names)) are written in the text formats as the
//! [`Escaping`] of the encoder asks: quoted (`{"a.b","c.d"="v"}`) with `allow-utf-8`, escaped otherwise;
//! a family whose names are all legacy writes the same bytes under every scheme, by the same code as
//! before. Protobuf carries every name as it is.

mod escape;
mod exposition;
mod family;
mod labels;
mod names;
mod number;
mod openmetrics;
mod protobuf;
mod text;
#[cfg(test)]
mod utf8_tests;
mod wire;

use crate::Descriptor;

pub(crate) use escape::write_escaped_label_value;
pub use exposition::Exposition;
pub use family::{Exemplars, FamilyEncoder, HistogramSnapshot};
pub use labels::{EncodeLabels, LabelWriter};
pub use number::{Number, canonical_float};
pub use promstruct_naming::{Escaping, escape_name, exposed_name, unescape_name};

/// An exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The Prometheus text format, version 0.0.4.
    Text,
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
    /// The Prometheus protobuf format: client_model's `MetricFamily` messages, each prefixed by its
    /// length as a varint (`encoding=delimited`). Binary, not text.
    Protobuf,
}

impl Format {
    /// Every format, in the order negotiation prefers them when a request ranks them equally.
    pub const ALL: [Format; 3] = [Format::Text, Format::OpenMetrics, Format::Protobuf];

    /// The exact `Content-Type` of a response in this format with names escaped by `underscores`, the
    /// default (see [`Exposition::content_type`] for the others).
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Format::Protobuf => {
                "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
            }
        }
    }

    /// The media type of the format, as type and subtype: `text`/`plain`, `application`/`openmetrics-text`,
    /// `application`/`vnd.google.protobuf`.
    pub const fn media_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Text => ("text", "plain"),
            Format::OpenMetrics => ("application", "openmetrics-text"),
            Format::Protobuf => ("application", "vnd.google.protobuf"),
        }
    }

    /// The `version` parameters a request may name to get this format, the one written first. Our 0.0.4
    /// output is valid 1.0.0 text too (every name in it is a legacy Prometheus name); OpenMetrics 0.0.1 is
    /// what Prometheus 2 asks for beside 1.0.0. The protobuf format has no version: none is listed, and a
    /// request's `version` is not read for it.
    pub const fn versions(self) -> &'static [&'static str] {
        match self {
            Format::Text => &["0.0.4", "1.0.0"],
            Format::OpenMetrics => &["1.0.0", "0.0.1"],
            Format::Protobuf => &[],
        }
    }

    /// The other parameters that name the format, each as name and value, which a request must give
    /// with these values to get it: the protobuf format's message (`proto`) and framing (`encoding`), as
    /// client_golang's negotiation requires them. The text formats have none.
    pub const fn params(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Format::Text | Format::OpenMetrics => &[],
            Format::Protobuf => &[("proto", "io.prometheus.client.MetricFamily"), ("encoding", "delimited")],
        }
    }

    /// Whether the format is text (UTF-8, lines): the two text formats, not protobuf.
    pub const fn is_text(self) -> bool {
        !matches!(self, Format::Protobuf)
    }
}

/// Buffers an [`Encoder`] reuses between series; keep one per scraper to encode with no allocation.
#[derive(Debug, Default)]
pub struct Scratch {
    counts: Vec<u64>,
    /// A native histogram's buckets, read into the same buffers series after series.
    native: crate::cell::NativeSnapshot,
    /// Protobuf: the width of each family's length prefix in the previous scrape, by the family's place
    /// in it, the guess for this one's (a right guess spares moving the family's messages).
    family_widths: Vec<u8>,
}

impl Scratch {
    /// Empty buffers; they grow to the largest series once and stay.
    pub fn new() -> Self {
        Self::default()
    }
}

/// What an [`Encoder`] writes beyond its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct EncodeOptions {
    /// How the text formats write names outside the legacy character set (default `underscores`);
    /// protobuf writes every name as it is.
    pub escaping: Escaping,
    /// Whether OpenMetrics writes a `_created` line for each counter and histogram series (default
    /// false, as client_golang: Prometheus stores each as a series of its own). Protobuf always sends
    /// `created_timestamp`; text 0.0.4 never has `_created`.
    pub created_lines: bool,
}

impl EncodeOptions {
    /// The defaults: `underscores`, no `_created` lines.
    pub const fn new() -> Self {
        EncodeOptions { escaping: Escaping::Underscores, created_lines: false }
    }

    /// With names escaped by `escaping`.
    #[must_use]
    pub const fn escaping(mut self, escaping: Escaping) -> Self {
        self.escaping = escaping;
        self
    }

    /// With or without OpenMetrics `_created` lines.
    #[must_use]
    pub const fn created_lines(mut self, on: bool) -> Self {
        self.created_lines = on;
        self
    }
}

/// Writes metric families in one format into a caller's buffer.
#[derive(Debug)]
pub struct Encoder<'a> {
    buf: &'a mut Vec<u8>,
    format: Format,
    options: EncodeOptions,
    scratch: &'a mut Scratch,
    series: usize,
    /// Protobuf: the family being written, its frame and the series count when it began; closed by the
    /// next [`Encoder::family`] or by [`Encoder::finish`].
    open: Option<(wire::Frame, usize)>,
    /// Protobuf: the families begun so far.
    families: usize,
    /// Protobuf: the width the last `Metric`'s length prefix needed, the guess for the next one's.
    metric_width: u8,
}

impl<'a> Encoder<'a> {
    /// An encoder appending to `buf`, reusing `scratch`, with the default [`EncodeOptions`].
    pub fn new(format: Format, buf: &'a mut Vec<u8>, scratch: &'a mut Scratch) -> Self {
        Self::with_options(format, EncodeOptions::new(), buf, scratch)
    }

    /// An encoder appending to `buf`, reusing `scratch`, writing as `options` say.
    pub fn with_options(
        format: Format,
        options: EncodeOptions,
        buf: &'a mut Vec<u8>,
        scratch: &'a mut Scratch,
    ) -> Self {
        Encoder { buf, format, options, scratch, series: 0, open: None, families: 0, metric_width: 1 }
    }

    /// The format being written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// What the encoder writes beyond its format.
    pub fn options(&self) -> EncodeOptions {
        self.options
    }

    /// The number of series written so far.
    pub fn series(&self) -> usize {
        self.series
    }

    /// Writes the metadata of `desc` and returns the encoder for its series.
    ///
    /// Each family must be written once, all its series through the returned value, before the next.
    /// In the protobuf format a family is one `MetricFamily` message, which ends when the next family
    /// begins or the exposition finishes; a family without series writes no message, as client_golang
    /// does.
    pub fn family<'e>(&'e mut self, desc: &'e Descriptor) -> FamilyEncoder<'e, 'a> {
        let escaping = self.options.escaping;
        match self.format {
            Format::Text => text::write_metadata(self.buf, desc, escaping),
            Format::OpenMetrics => openmetrics::write_metadata(self.buf, desc, escaping),
            Format::Protobuf => self.begin_protobuf_family(desc),
        }
        FamilyEncoder { enc: self, desc }
    }

    fn begin_protobuf_family(&mut self, desc: &Descriptor) {
        self.end_protobuf_family();
        let guess = self.scratch.family_widths.get(self.families).copied().unwrap_or(1);
        self.open = Some((protobuf::begin_family(self.buf, desc, self.options.escaping, guess), self.series));
        // A histogram's messages are mostly over 127 bytes, a counter's or a gauge's under.
        self.metric_width = if desc.kind() == crate::MetricType::Histogram { 2 } else { 1 };
    }

    /// Ends the protobuf family being written, if any: fixes its length prefix, or removes it when it
    /// has no series.
    fn end_protobuf_family(&mut self) {
        let Some((frame, series_before)) = self.open.take() else { return };
        if self.series == series_before {
            self.buf.truncate(frame.start());
            return;
        }
        let width = frame.end(self.buf);
        match self.scratch.family_widths.get_mut(self.families) {
            Some(slot) => *slot = width,
            None => self.scratch.family_widths.push(width),
        }
        self.families += 1;
    }

    /// Ends the exposition: OpenMetrics writes `# EOF`, protobuf ends its last message. Returns the number
    /// of series written.
    pub fn finish(mut self) -> usize {
        match self.format {
            Format::OpenMetrics => self.buf.extend_from_slice(b"# EOF\n"),
            Format::Protobuf => self.end_protobuf_family(),
            Format::Text => {}
        }
        self.series
    }
}

pub(crate) use crate::clock::{coarse_epoch_millis, epoch_millis_to_seconds, now_epoch_seconds};

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn one_table_of_media_types() {
        for format in Format::ALL {
            let (ty, subtype) = format.media_type();
            let mut expected = format!("{ty}/{subtype}");
            if let Some(first) = format.versions().first() {
                expected.push_str(&format!("; version={first}"));
            }
            for (name, value) in format.params() {
                expected.push_str(&format!("; {name}={value}"));
            }
            if format.is_text() {
                expected.push_str("; charset=utf-8");
            }
            assert_eq!(format.content_type(), expected, "{format:?}");
        }
    }
}
