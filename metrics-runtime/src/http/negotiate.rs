//! Content negotiation: the exposition format from `Accept`, gzip from `Accept-Encoding`.
//!
//! Media ranges are ranked as RFC 9110 says: a format takes the quality of the most specific range that
//! matches it (`application/openmetrics-text` over `application/*` over `*/*`), the higher quality wins,
//! and a tie goes to the range listed first, then to the formats in the order of [`Format::ALL`] (text,
//! OpenMetrics, protobuf). A range names the protobuf format only with the parameters client_golang
//! requires (`proto=io.prometheus.client.MetricFamily;encoding=delimited`), so it is served whenever it
//! is the highest-quality type the request accepts, as when Prometheus asks for native histograms. A
//! request with no `Accept`, with `*/*`, or with only types we do not serve gets the text format 0.0.4,
//! and one that refuses one text format with `q=0` and names no other gets the other: a scraper always
//! gets a body with a `Content-Type` it can read. The protobuf format, binary, is never such a fallback.
//!
//! Prometheus 3 asks for `text/plain;version=1.0.0` and OpenMetrics with `escaping=allow-utf-8`: the
//! range that picked the format gives the [`Escaping`] of names (`underscores` when it names none, or one
//! we do not know, as client_golang ignores it), and the text format's version (1.0.0 when it says so,
//! else 0.0.4, which cannot quote names). The answer's `Content-Type` says both
//! ([`Exposition::content_type`]).

use crate::Format;
use crate::encoding::{Escaping, Exposition};

/// What a request's `Accept` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Negotiated {
    /// Serve this exposition: a format, its text version and the escaping of names.
    Serve(Exposition),
    /// Both text formats were refused with `q=0`, and protobuf was not asked for: answer 406.
    NotAcceptable,
}

/// How closely a media range names a format: ranks a quality's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Specificity {
    Any,
    Type,
    Exact,
}

/// The best match found so far for one format.
#[derive(Debug, Clone, Copy)]
struct Match {
    specificity: Specificity,
    q: u16,
    position: usize,
    /// The range's `escaping`, when it names a scheme we know.
    escaping: Option<Escaping>,
    /// Whether the range asks for version 1.0.0 of the text format.
    text_1_0_0: bool,
}

impl Match {
    /// The exposition of `format` this match asks for.
    fn exposition(self, format: Format) -> Exposition {
        let escaping = self.escaping.unwrap_or_default();
        if format == Format::Text && self.text_1_0_0 {
            Exposition::text_1_0_0(escaping)
        } else {
            Exposition::new(format).with_escaping(escaping)
        }
    }
}

impl Match {
    /// Whether a format matched so is preferred to one matched as `other` (ties: `false`).
    fn beats(self, other: Match) -> bool {
        if self.q != other.q {
            return self.q > other.q;
        }
        if self.specificity != other.specificity {
            return self.specificity > other.specificity;
        }
        self.specificity != Specificity::Any && self.position < other.position
    }
}

/// Picks the exposition for an `Accept` header value (`None` when the request has none).
pub fn negotiate_format(accept: Option<&str>) -> Negotiated {
    let text = Negotiated::Serve(Exposition::new(Format::Text));
    let Some(accept) = accept else { return text };
    // By the index of the format in `Format::ALL`.
    let mut best: [Option<Match>; Format::ALL.len()] = [None; Format::ALL.len()];
    'ranges: for (position, range) in accept.split(',').enumerate() {
        let (media, params) = range.split_once(';').unwrap_or((range, ""));
        let Some((ty, subtype)) = media.trim().split_once('/') else { continue };
        let (ty, subtype) = (ty.trim(), subtype.trim());
        let mut q = 1000;
        let mut version = None;
        let mut escaping = None;
        for (name, value) in parameters(params) {
            if name.eq_ignore_ascii_case("q") {
                // A malformed quality makes the range unreadable: ignore it rather than read a refusal
                // into it, which would serve the other format to a client that named only this one.
                match parse_q(value) {
                    Some(value) => q = value,
                    None => continue 'ranges,
                }
            } else if name.eq_ignore_ascii_case("version") {
                version = Some(value);
            } else if name.eq_ignore_ascii_case("escaping") {
                escaping = Escaping::from_param(value);
            }
        }
        for (slot, format) in best.iter_mut().zip(Format::ALL) {
            let Some(specificity) = matches(format, ty, subtype, version, params) else { continue };
            let text_1_0_0 = specificity == Specificity::Exact && version == Some("1.0.0");
            let candidate = Match { specificity, q, position, escaping, text_1_0_0 };
            match *slot {
                Some(m) if m.specificity > specificity => {}
                Some(m) if m.specificity == specificity && m.q >= q => {}
                _ => *slot = Some(candidate),
            }
        }
    }
    let mut chosen: Option<(Format, Match)> = None;
    for (format, m) in Format::ALL.into_iter().zip(best) {
        let Some(m) = m.filter(|m| m.q > 0) else { continue };
        if chosen.is_none_or(|(_, c)| m.beats(c)) {
            chosen = Some((format, m));
        }
    }
    if let Some((format, m)) = chosen {
        return Negotiated::Serve(m.exposition(format));
    }
    // Nothing acceptable: a text format the request did not refuse, else 406.
    let refused = |format: Format| best[Format::ALL.iter().position(|f| *f == format).expect("in ALL")].is_some();
    match (refused(Format::Text), refused(Format::OpenMetrics)) {
        (false, _) => text,
        (true, false) => Negotiated::Serve(Exposition::new(Format::OpenMetrics)),
        (true, true) => Negotiated::NotAcceptable,
    }
}

/// The `name=value` parameters after a media type, names and values trimmed, quotes removed from values;
/// a parameter without `=` is skipped.
fn parameters(params: &str) -> impl Iterator<Item = (&str, &str)> {
    params.split(';').filter_map(|param| {
        let (name, value) = param.split_once('=')?;
        Some((name.trim(), value.trim().trim_matches('"')))
    })
}

/// Whether a media range names `format`, and how specifically; `params` is the range's parameter text.
fn matches(format: Format, ty: &str, subtype: &str, version: Option<&str>, params: &str) -> Option<Specificity> {
    let ((want_ty, want_sub), versions) = (format.media_type(), format.versions());
    if ty == "*" && subtype == "*" {
        return Some(Specificity::Any);
    }
    if !ty.eq_ignore_ascii_case(want_ty) {
        return None;
    }
    if subtype == "*" {
        return Some(Specificity::Type);
    }
    if !subtype.eq_ignore_ascii_case(want_sub) {
        return None;
    }
    let required = format.params().iter().all(|(name, value)| {
        parameters(params).any(|(n, v)| n.eq_ignore_ascii_case(name) && v.eq_ignore_ascii_case(value))
    });
    if !required {
        return None;
    }
    match version {
        Some(v) if !versions.is_empty() && !versions.contains(&v) => None,
        _ => Some(Specificity::Exact),
    }
}

/// A quality value in thousandths: `0`, `0.5`, `1.000`.
fn parse_q(value: &str) -> Option<u16> {
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value =
        frac.bytes().fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0')) * 10u16.pow(3 - frac.len() as u32);
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

/// Whether an `Accept-Encoding` header value allows a gzip response.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    let Some(value) = accept_encoding else { return false };
    let mut gzip = None;
    let mut any = None;
    for coding in value.split(',') {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(n, _)| n.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1000), |(_, v)| parse_q(v.trim()))
            .unwrap_or(0);
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(gzip.map_or(q, |g: u16| g.max(q)));
        } else if name == "*" {
            any = Some(q);
        }
    }
    gzip.or(any).is_some_and(|q| q > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROMETHEUS_2: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    const PROMETHEUS_3: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
    const PROMETHEUS_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /// Prometheus 3.x with `scrape_native_histograms: true`: its `acceptHeader` over
    /// `DefaultProtoFirstScrapeProtocols`, weights from 0.6 down.
    const PROMETHEUS_3_NATIVE: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
    const PROTOBUF: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

    /// The format negotiated, `None` for 406.
    fn f(accept: Option<&str>) -> Option<Format> {
        match negotiate_format(accept) {
            Negotiated::Serve(exposition) => Some(exposition.format()),
            Negotiated::NotAcceptable => None,
        }
    }

    /// The `Content-Type` negotiated.
    fn content_type(accept: Option<&str>) -> &'static str {
        match negotiate_format(accept) {
            Negotiated::Serve(exposition) => exposition.content_type(),
            Negotiated::NotAcceptable => panic!("406 for {accept:?}"),
        }
    }

    const OM: Option<Format> = Some(Format::OpenMetrics);
    const TEXT: Option<Format> = Some(Format::Text);
    const PROTO: Option<Format> = Some(Format::Protobuf);
    const NOT_ACCEPTABLE: Option<Format> = None;

    #[test]
    fn scrapers_get_openmetrics() {
        assert_eq!(f(Some(PROMETHEUS_2)), OM);
        assert_eq!(f(Some(PROMETHEUS_3)), OM);
        assert_eq!(f(Some("application/openmetrics-text")), OM);
        assert_eq!(f(Some("application/openmetrics-text; version=0.0.1")), OM);
    }

    #[test]
    fn scrapers_that_ask_for_protobuf_first_get_it() {
        assert_eq!(f(Some(PROMETHEUS_NATIVE)), PROTO);
        assert_eq!(f(Some(PROMETHEUS_3_NATIVE)), PROTO);
        assert_eq!(f(Some(PROTOBUF)), PROTO);
        assert_eq!(
            f(Some("application/vnd.google.protobuf; proto=\"io.prometheus.client.MetricFamily\"; encoding=delimited")),
            PROTO
        );
        assert_eq!(
            f(Some(
                "application/vnd.google.protobuf;encoding=delimited;proto=io.prometheus.client.MetricFamily;q=0.2,*/*;q=0.1"
            )),
            PROTO
        );
        // Ranked below a text format, it loses.
        assert_eq!(f(Some(&format!("{PROTOBUF};q=0.5,application/openmetrics-text;q=0.6"))), OM);
        assert_eq!(f(Some(&format!("text/plain,{PROTOBUF}"))), TEXT);
        assert_eq!(f(Some(&format!("{PROTOBUF},text/plain"))), PROTO);
    }

    #[test]
    fn protobuf_needs_its_parameters() {
        // client_golang's other encodings, another message, or no parameters: not ours.
        for accept in [
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text",
            "application/vnd.google.protobuf;proto=io.prometheus.client.Other;encoding=delimited",
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily",
            "application/vnd.google.protobuf",
        ] {
            assert_eq!(f(Some(accept)), TEXT, "{accept}");
        }
        // Wildcards match it, but a text format wins the tie.
        assert_eq!(f(Some("application/*")), OM);
        assert_eq!(f(Some("*/*")), TEXT);
        // Refused: never a fallback.
        assert_eq!(f(Some(&format!("{PROTOBUF};q=0"))), TEXT);
        assert_eq!(f(Some(&format!("{PROTOBUF};q=0,text/plain;q=0"))), OM);
        assert_eq!(f(Some("text/plain;q=0,application/openmetrics-text;q=0")), NOT_ACCEPTABLE);
        assert_eq!(f(Some(&format!("{PROTOBUF};q=0.1,text/plain;q=0,application/openmetrics-text;q=0"))), PROTO);
    }

    #[test]
    fn defaults_are_text() {
        assert_eq!(f(None), TEXT);
        assert_eq!(f(Some("")), TEXT);
        assert_eq!(f(Some("*/*")), TEXT);
        assert_eq!(f(Some("application/json")), TEXT);
        assert_eq!(f(Some("application/openmetrics-text;version=2.0.0")), TEXT);
        assert_eq!(f(Some("text/plain;version=0.0.4")), TEXT);
        assert_eq!(f(Some("text/plain")), TEXT);
        assert_eq!(f(Some("text/*")), TEXT);
        assert_eq!(f(Some("garbage;;;q=x,,")), TEXT);
        assert_eq!(f(Some("text/plain;q=abc")), TEXT);
        assert_eq!(f(Some("application/openmetrics-text;q=2")), TEXT);
        assert_eq!(f(Some("text/plain;q=-1,application/openmetrics-text;q=0.1")), OM);
    }

    #[test]
    fn q_values_rule() {
        assert_eq!(f(Some("application/openmetrics-text;q=0.4,text/plain;q=0.5")), TEXT);
        assert_eq!(f(Some("text/plain;q=0.5,application/openmetrics-text;q=0.6")), OM);
        assert_eq!(f(Some("text/plain;version=0.0.4;q=0.3,*/*;q=0.9")), OM);
        assert_eq!(f(Some("text/plain;q=0,*/*")), OM);
        assert_eq!(f(Some("application/openmetrics-text;q=0,*/*")), TEXT);
        assert_eq!(f(Some("application/openmetrics-text;q=0")), TEXT);
        assert_eq!(f(Some("text/plain;q=0")), OM);
        assert_eq!(f(Some("text/plain;q=0,application/openmetrics-text;q=0")), NOT_ACCEPTABLE);
        // Equal qualities: the more specific range, then the first listed.
        assert_eq!(f(Some("application/openmetrics-text,text/plain")), OM);
        assert_eq!(f(Some("text/plain,application/openmetrics-text")), TEXT);
        assert_eq!(f(Some("application/*,*/*")), OM);
    }

    #[test]
    fn prometheus_headers_get_their_content_types() {
        // Prometheus 3: OpenMetrics 1.0.0 with UTF-8 names, said in the Content-Type.
        assert_eq!(
            content_type(Some(PROMETHEUS_3)),
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
        );
        // Prometheus 2.42 names no scheme: `underscores`, which OpenMetrics 1.0.0 must still name.
        assert_eq!(
            content_type(Some(PROMETHEUS_2)),
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
        );
        assert_eq!(
            content_type(Some(PROMETHEUS_NATIVE)),
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        );
        assert_eq!(content_type(Some(PROMETHEUS_3_NATIVE)), content_type(Some(PROMETHEUS_NATIVE)));
        // Prometheus 3 with OpenMetrics left out of `scrape_protocols`: text 1.0.0, still UTF-8.
        let text_first = "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        assert_eq!(content_type(Some(text_first)), "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
        // No Accept, `*/*`, plain 0.0.4: the Content-Type every scraper has always read.
        for accept in [None, Some("*/*"), Some("text/plain;version=0.0.4"), Some("text/plain")] {
            assert_eq!(content_type(accept), "text/plain; version=0.0.4; charset=utf-8", "{accept:?}");
        }
    }

    #[test]
    fn every_escaping_scheme() {
        for (param, scheme) in
            [("allow-utf-8", "allow-utf-8"), ("underscores", "underscores"), ("dots", "dots"), ("values", "values")]
        {
            let om = format!("application/openmetrics-text;version=1.0.0;escaping={param}");
            assert_eq!(
                content_type(Some(&om)),
                format!("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping={scheme}")
            );
            let text = format!("text/plain;version=1.0.0;escaping={param}");
            assert_eq!(
                content_type(Some(&text)),
                format!("text/plain; version=1.0.0; charset=utf-8; escaping={scheme}")
            );
            // Quoted, spaced and upper-case parameter names are read too.
            let spaced = format!("text/plain; version=\"1.0.0\"; Escaping=\"{param}\"");
            assert_eq!(content_type(Some(&spaced)), content_type(Some(&text)));
        }
        // Text 0.0.4 cannot quote names: `allow-utf-8` there is `underscores`; the others are named.
        assert_eq!(content_type(Some("text/plain;version=0.0.4;escaping=allow-utf-8")), Format::Text.content_type());
        assert_eq!(
            content_type(Some("text/plain;version=0.0.4;escaping=dots")),
            "text/plain; version=0.0.4; charset=utf-8; escaping=dots"
        );
        assert_eq!(
            content_type(Some("text/plain;version=0.0.4;escaping=values")),
            "text/plain; version=0.0.4; charset=utf-8; escaping=values"
        );
        // An unknown scheme is ignored, as client_golang ignores it; text 1.0.0 names the default.
        assert_eq!(
            content_type(Some("text/plain;version=1.0.0;escaping=allow-utf8")),
            "text/plain; version=1.0.0; charset=utf-8; escaping=underscores"
        );
        assert_eq!(
            content_type(Some("application/openmetrics-text;escaping=bogus")),
            "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
        );
        // The range that picks the format gives the scheme, not another one.
        assert_eq!(
            content_type(Some(
                "application/openmetrics-text;escaping=dots;q=0.5,text/plain;version=1.0.0;escaping=values"
            )),
            "text/plain; version=1.0.0; charset=utf-8; escaping=values"
        );
        // Protobuf escapes names as asked, and names a scheme other than the default in its Content-Type;
        // Prometheus 3 asks for `allow-utf-8` with it.
        assert_eq!(
            content_type(Some(&format!("{PROTOBUF};escaping=dots"))),
            format!("{}; escaping=dots", Format::Protobuf.content_type())
        );
        assert_eq!(content_type(Some(PROTOBUF)), Format::Protobuf.content_type(), "underscores, unnamed");
        assert_eq!(
            content_type(Some(&format!("{PROTOBUF};escaping=allow-utf-8"))),
            format!("{}; escaping=allow-utf-8", Format::Protobuf.content_type())
        );
        let Negotiated::Serve(e) = negotiate_format(Some(PROMETHEUS_3)) else { panic!() };
        assert_eq!((e.format(), e.escaping(), e.is_text_1_0_0()), (Format::OpenMetrics, Escaping::AllowUtf8, false));
    }

    #[test]
    fn quality_syntax() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.75"), Some(750));
        assert_eq!(parse_q("0.1"), Some(100));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("1.5"), None);
        assert_eq!(parse_q("0.1234"), None);
        assert_eq!(parse_q("x"), None);
    }

    #[test]
    fn gzip_when_accepted() {
        assert!(accepts_gzip(Some("gzip")));
        assert!(accepts_gzip(Some("gzip, deflate, br")));
        assert!(accepts_gzip(Some("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(Some("*")));
        assert!(accepts_gzip(Some("x-gzip")));
        assert!(!accepts_gzip(None));
        assert!(!accepts_gzip(Some("")));
        assert!(!accepts_gzip(Some("identity")));
        assert!(!accepts_gzip(Some("deflate, br")));
        assert!(!accepts_gzip(Some("gzip;q=0")));
        assert!(!accepts_gzip(Some("gzip;q=0, *")));
        assert!(!accepts_gzip(Some("*;q=0")));
    }
}
