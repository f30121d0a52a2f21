//! What a response is beyond its format: the version of the text format, the escaping of names, and the
//! exact `Content-Type` that says both, as the content-negotiation spec of Prometheus 3 requires.

use super::Format;
use promstruct_naming::Escaping;

/// A response's format, text version and escaping scheme: what negotiation picks and the `Content-Type`
/// announces.
///
/// The text format comes as 0.0.4 (legacy names only: a name outside the legacy set is escaped, never
/// quoted) or 1.0.0 (names quoted under `allow-utf-8`); both write the same bytes otherwise. The
/// `Content-Type` of text 1.0.0 and of OpenMetrics always names the scheme (`; escaping=underscores`);
/// those of text 0.0.4 and of protobuf name it only when it is not the default, so that their headers stay
/// what every scraper has read for years. The protobuf format escapes names as the text formats do
/// (`underscores` unless the request names a scheme, as client_golang does) and carries them as they are
/// under `allow-utf-8`.
///
/// ```
/// use promstruct::encoding::{Escaping, Exposition};
/// use promstruct::Format;
///
/// let om = Exposition::new(Format::OpenMetrics).with_escaping(Escaping::AllowUtf8);
/// assert_eq!(om.content_type(), "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
/// // Text 0.0.4 cannot quote names: `allow-utf-8` falls back to the default.
/// assert_eq!(Exposition::new(Format::Text).with_escaping(Escaping::AllowUtf8).escaping(), Escaping::Underscores);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Exposition {
    format: Format,
    escaping: Escaping,
    /// Text format 1.0.0 rather than 0.0.4 (text only).
    text_1_0_0: bool,
}

impl Exposition {
    /// `format` with names escaped by `underscores`, the default; the text format as 0.0.4.
    pub const fn new(format: Format) -> Self {
        Exposition { format, escaping: Escaping::Underscores, text_1_0_0: false }
    }

    /// The text format 1.0.0 with names escaped by `escaping`.
    pub const fn text_1_0_0(escaping: Escaping) -> Self {
        Exposition { format: Format::Text, escaping, text_1_0_0: true }
    }

    /// This exposition with names escaped by `escaping`, where the format can: the text format 0.0.4
    /// cannot quote names and keeps `underscores` for `allow-utf-8`.
    #[must_use]
    pub const fn with_escaping(mut self, escaping: Escaping) -> Self {
        self.escaping = match (self.format, self.text_1_0_0, escaping) {
            (Format::Text, false, Escaping::AllowUtf8) => Escaping::Underscores,
            _ => escaping,
        };
        self
    }

    /// The format.
    pub const fn format(self) -> Format {
        self.format
    }

    /// How the body writes names outside the legacy set.
    pub const fn escaping(self) -> Escaping {
        self.escaping
    }

    /// Whether this is the text format 1.0.0.
    pub const fn is_text_1_0_0(self) -> bool {
        self.text_1_0_0
    }

    /// The exact `Content-Type` of the response, parameters written as client_golang's expfmt writes them
    /// (`; ` between them, `escaping` last).
    pub const fn content_type(self) -> &'static str {
        macro_rules! by_scheme {
            ($base:expr, $e:expr) => {
                match $e {
                    Escaping::AllowUtf8 => concat!($base, "; escaping=allow-utf-8"),
                    Escaping::Underscores => concat!($base, "; escaping=underscores"),
                    Escaping::Dots => concat!($base, "; escaping=dots"),
                    Escaping::Values => concat!($base, "; escaping=values"),
                }
            };
        }
        match (self.format, self.text_1_0_0) {
            (Format::Protobuf, _) => match self.escaping {
                Escaping::Underscores => Format::Protobuf.content_type(),
                Escaping::AllowUtf8 => {
                    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=allow-utf-8"
                }
                Escaping::Dots => {
                    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=dots"
                }
                Escaping::Values => {
                    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=values"
                }
            },
            (Format::OpenMetrics, _) => {
                by_scheme!("application/openmetrics-text; version=1.0.0; charset=utf-8", self.escaping)
            }
            (Format::Text, true) => by_scheme!("text/plain; version=1.0.0; charset=utf-8", self.escaping),
            (Format::Text, false) => match self.escaping {
                Escaping::Dots => "text/plain; version=0.0.4; charset=utf-8; escaping=dots",
                Escaping::Values => "text/plain; version=0.0.4; charset=utf-8; escaping=values",
                Escaping::AllowUtf8 | Escaping::Underscores => Format::Text.content_type(),
            },
        }
    }
}

impl From<Format> for Exposition {
    fn from(format: Format) -> Self {
        Exposition::new(format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_name_version_and_scheme() {
        for e in Escaping::ALL {
            let om = Exposition::new(Format::OpenMetrics).with_escaping(e);
            assert_eq!(om.content_type(), format!("{}; escaping={e}", Format::OpenMetrics.content_type()));
            let text = Exposition::text_1_0_0(e);
            assert_eq!(text.content_type(), format!("text/plain; version=1.0.0; charset=utf-8; escaping={e}"));
            assert_eq!(text.escaping(), e);
            let proto = Exposition::new(Format::Protobuf).with_escaping(e);
            let named = if e == Escaping::Underscores { String::new() } else { format!("; escaping={e}") };
            assert_eq!(proto.content_type(), format!("{}{named}", Format::Protobuf.content_type()));
            assert_eq!(proto.escaping(), e, "protobuf escapes names as the text formats do");
        }
        let old = |e| Exposition::new(Format::Text).with_escaping(e).content_type();
        assert_eq!(old(Escaping::Underscores), "text/plain; version=0.0.4; charset=utf-8");
        assert_eq!(old(Escaping::AllowUtf8), "text/plain; version=0.0.4; charset=utf-8");
        assert_eq!(old(Escaping::Dots), "text/plain; version=0.0.4; charset=utf-8; escaping=dots");
        assert_eq!(old(Escaping::Values), "text/plain; version=0.0.4; charset=utf-8; escaping=values");
    }
}
