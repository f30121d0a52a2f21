//! The exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0.
//!
//! An [`Encoder`] writes into a caller's `Vec<u8>`. Families describe themselves with
//! [`Encoder::family`], which writes the metadata lines, then write one call per series on the returned
//! [`FamilyEncoder`]. Numbers are formatted with `itoa`/`ryu` straight into the buffer and label values are
//! escaped by copying unescaped runs whole, so encoding allocates nothing per sample; the label text of a
//! series is rendered once and copied into each of its sample lines.
//!
//! This module holds the [`Format`] and the [`Encoder`]; a family's sample lines are `family`, the label
//! text of a series `labels`, numbers and timestamps `number`, escaping `escape`, and the metadata lines of
//! each format `text` and `openmetrics`.

mod escape;
mod family;
mod labels;
mod number;
mod openmetrics;
mod text;

use crate::Descriptor;

pub(crate) use escape::write_escaped_label_value;
pub use family::{FamilyEncoder, HistogramSnapshot};
pub use labels::{EncodeLabels, LabelWriter};
pub use number::{Number, canonical_float};

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

    /// The media type of the format, as type and subtype: `text`/`plain`, `application`/`openmetrics-text`.
    pub const fn media_type(self) -> (&'static str, &'static str) {
        match self {
            Format::Text => ("text", "plain"),
            Format::OpenMetrics => ("application", "openmetrics-text"),
        }
    }

    /// The `version` parameters a request may name to get this format, the one written first. Our 0.0.4
    /// output is valid 1.0.0 text too (every name in it is a legacy Prometheus name); OpenMetrics 0.0.1 is
    /// what Prometheus 2 asks for beside 1.0.0.
    pub const fn versions(self) -> &'static [&'static str] {
        match self {
            Format::Text => &["0.0.4", "1.0.0"],
            Format::OpenMetrics => &["1.0.0", "0.0.1"],
        }
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

pub(crate) use crate::clock::{coarse_epoch_millis, epoch_millis_to_seconds, now_epoch_seconds};

#[cfg(test)]
mod tests {
    use super::Format;

    #[test]
    fn one_table_of_media_types() {
        for format in [Format::Text, Format::OpenMetrics] {
            let (ty, subtype) = format.media_type();
            let first = format.versions()[0];
            let expected = format!("{ty}/{subtype}; version={first}; charset=utf-8");
            assert_eq!(format.content_type(), expected, "{format:?}");
        }
    }
}
