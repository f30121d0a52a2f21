//! Names outside the legacy character set (Prometheus 3's UTF-8 names) and the schemes that escape them
//! for a scraper that cannot read them.
//!
//! A legacy metric name is `[a-zA-Z_:][a-zA-Z0-9_:]*`, a legacy label name `[a-zA-Z_][a-zA-Z0-9_]*`. A scraper
//! names the [`Escaping`] it wants in the `escaping=` parameter of its `Accept` header; names that are legacy
//! already are written as they are under every scheme (as client_golang's `EscapeMetricFamily` does), so
//! an exposition whose names are all legacy is the same bytes whatever the scheme. [`escape_name`] and
//! [`unescape_name`] follow `EscapeName` and `UnescapeName` of `prometheus/common`'s `model` package exactly.
//!
//! ```
//! use promstruct_naming::{Escaping, escape_name, unescape_name};
//!
//! assert_eq!(escape_name("http.server.duration", Escaping::Underscores), "http_server_duration");
//! assert_eq!(escape_name("http.server_duration", Escaping::Dots), "http_dot_server__duration");
//! assert_eq!(escape_name("µs.total", Escaping::Values), "U___b5_s_2e_total");
//! assert_eq!(unescape_name("U___b5_s_2e_total", Escaping::Values), "µs.total");
//! ```

use std::borrow::Cow;
use std::fmt;

/// How names outside the legacy character set are written: the `escaping=` parameter of content negotiation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Escaping {
    /// `allow-utf-8`: names are written as they are, quoted where the legacy syntax cannot hold them.
    AllowUtf8,
    /// `underscores`, the default: every character outside the legacy set becomes `_` (lossy).
    #[default]
    Underscores,
    /// `dots`: `.` becomes `_dot_`, `_` becomes `__`, any other character outside the legacy set `__`.
    Dots,
    /// `values`: the name is prefixed `U__`, `_` becomes `__`, any other character outside the legacy set
    /// `_<hex code point>_`.
    Values,
}

impl Escaping {
    /// Every scheme, in the order of [`Escaping::index`].
    pub const ALL: [Escaping; 4] = [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Dots, Escaping::Values];

    /// The value of the `escaping=` parameter that names the scheme.
    pub const fn as_str(self) -> &'static str {
        match self {
            Escaping::AllowUtf8 => "allow-utf-8",
            Escaping::Underscores => "underscores",
            Escaping::Dots => "dots",
            Escaping::Values => "values",
        }
    }

    /// The scheme an `escaping=` parameter names (exactly, as client_golang compares it), or `None` for
    /// a value that names none, which negotiation ignores.
    pub fn from_param(value: &str) -> Option<Escaping> {
        Escaping::ALL.into_iter().find(|e| e.as_str() == value)
    }

    /// The place of the scheme in [`Escaping::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Escaping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `ch`, at byte `at` of a name, is in the legacy metric-name set (`[a-zA-Z_:]`, and digits after
/// the first byte): client_golang's `isValidLegacyRune`.
const fn is_legacy_char(ch: char, at: usize) -> bool {
    ch.is_ascii_alphabetic() || ch == '_' || ch == ':' || (ch.is_ascii_digit() && at > 0)
}

/// Whether `name` is a legacy metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_legacy_metric_name(name: &str) -> bool {
    !name.is_empty() && name.char_indices().all(|(at, ch)| is_legacy_char(ch, at))
}

/// Whether `name` is a legacy label name, `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn is_legacy_label_name(name: &str) -> bool {
    is_legacy_metric_name(name) && !name.contains(':')
}

/// `name` escaped by `scheme`, as client_golang's `model.EscapeName` writes it. A legacy name is kept as it
/// is by `underscores` and `values`; `dots` doubles its underscores (which is why an encoder escapes only
/// names that are not legacy, as `EscapeMetricFamily` does). `allow-utf-8` keeps every name.
pub fn escape_name(name: &str, scheme: Escaping) -> String {
    if name.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(name.len() + 8);
    match scheme {
        Escaping::AllowUtf8 => out.push_str(name),
        Escaping::Underscores if is_legacy_metric_name(name) => out.push_str(name),
        Escaping::Underscores => {
            for (at, ch) in name.char_indices() {
                out.push(if is_legacy_char(ch, at) { ch } else { '_' });
            }
        }
        Escaping::Dots => {
            for (at, ch) in name.char_indices() {
                match ch {
                    '_' => out.push_str("__"),
                    '.' => out.push_str("_dot_"),
                    _ if is_legacy_char(ch, at) => out.push(ch),
                    _ => out.push_str("__"),
                }
            }
        }
        Escaping::Values if is_legacy_metric_name(name) => out.push_str(name),
        Escaping::Values => {
            out.push_str("U__");
            for (at, ch) in name.char_indices() {
                match ch {
                    '_' => out.push_str("__"),
                    _ if is_legacy_char(ch, at) => out.push(ch),
                    _ => {
                        use fmt::Write;
                        write!(out, "_{:x}_", u32::from(ch)).expect("writing to a String cannot fail");
                    }
                }
            }
        }
    }
    out
}

/// The name an exposition in `scheme` writes for the metric or label name `name`: `name` itself when it is
/// legacy or the scheme is `allow-utf-8` (which quotes it instead), else [`escape_name`]'s. What
/// client_golang's `EscapeMetricFamily` writes, which escapes only the names that need it.
pub fn exposed_name(name: &str, scheme: Escaping) -> Cow<'_, str> {
    if scheme == Escaping::AllowUtf8 || is_legacy_metric_name(name) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(escape_name(name, scheme))
    }
}

/// `name` unescaped from `scheme`, as client_golang's `model.UnescapeName` reads it: `dots` turns `_dot_`
/// into `.` and `__` into `_`; `values` decodes a `U__` name (returning `name` unchanged if it is not
/// one, or is malformed); `underscores` cannot be undone and `allow-utf-8` did nothing, so both return
/// `name`.
pub fn unescape_name(name: &str, scheme: Escaping) -> String {
    match scheme {
        Escaping::AllowUtf8 | Escaping::Underscores => name.to_owned(),
        Escaping::Dots => name.replace("_dot_", ".").replace("__", "_"),
        Escaping::Values => unescape_values(name).unwrap_or_else(|| name.to_owned()),
    }
}

/// The `values` decoding of `name`, `None` where `UnescapeName` gives the input back.
fn unescape_values(name: &str) -> Option<String> {
    let escaped = name.strip_prefix("U__")?;
    let bytes = escaped.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'_' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        i += 1;
        if *bytes.get(i)? == b'_' {
            out.push(b'_');
            i += 1;
            continue;
        }
        // A code point in hex up to the closing `_`: at most six digits (U+10FFFF).
        let mut code: u32 = 0;
        let mut digits = 0;
        loop {
            // As in UnescapeName, the count is checked before the closing `_`: six digits are too many.
            if digits >= 6 {
                return None;
            }
            let b = *bytes.get(i)?;
            if b == b'_' {
                break;
            }
            code = code * 16 + char::from(b).to_digit(16)?;
            digits += 1;
            i += 1;
        }
        let ch = char::from_u32(code)?;
        out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_sets() {
        for name in ["a", "_a", ":a", "a:b_c9", "Abc"] {
            assert!(is_legacy_metric_name(name), "{name}");
        }
        for name in ["", "9a", "a.b", "a-b", "naïve", "a b"] {
            assert!(!is_legacy_metric_name(name), "{name}");
        }
        assert!(is_legacy_label_name("a_b"));
        assert!(!is_legacy_label_name("a:b"));
    }

    /// The cases of `TestEscapeName` and `TestValueUnescapeErrors` in prometheus/common's
    /// `model/metric_test.go`.
    #[test]
    fn client_golang_cases() {
        // (input, underscores, dots, dots unescaped, values); `values` always unescapes to the input.
        let cases: &[(&str, &str, &str, &str, &str)] = &[
            ("", "", "", "", ""),
            (
                "no:escaping_required",
                "no:escaping_required",
                "no:escaping__required",
                "no:escaping_required",
                "no:escaping_required",
            ),
            (
                "mysystem.prod.west.cpu.load",
                "mysystem_prod_west_cpu_load",
                "mysystem_dot_prod_dot_west_dot_cpu_dot_load",
                "mysystem.prod.west.cpu.load",
                "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load",
            ),
            (
                "mysystem.prod.west.cpu.load_total",
                "mysystem_prod_west_cpu_load_total",
                "mysystem_dot_prod_dot_west_dot_cpu_dot_load__total",
                "mysystem.prod.west.cpu.load_total",
                "U__mysystem_2e_prod_2e_west_2e_cpu_2e_load__total",
            ),
            ("http.status:sum", "http_status:sum", "http_dot_status:sum", "http.status:sum", "U__http_2e_status:sum"),
            ("label with 😱", "label_with__", "label__with____", "label_with__", "U__label_20_with_20__1f631_"),
            ("花火", "__", "____", "__", "U___82b1__706b_"),
            ("label with \u{0100}", "label_with__", "label__with____", "label_with__", "U__label_20_with_20__100_"),
        ];
        for (input, underscores, dots, dots_back, values) in cases {
            assert_eq!(escape_name(input, Escaping::Underscores), *underscores, "{input}");
            assert_eq!(unescape_name(underscores, Escaping::Underscores), *underscores, "underscores is lossy");
            assert_eq!(escape_name(input, Escaping::Dots), *dots, "{input}");
            assert_eq!(unescape_name(dots, Escaping::Dots), *dots_back, "{input}");
            assert_eq!(escape_name(input, Escaping::Values), *values, "{input}");
            assert_eq!(unescape_name(values, Escaping::Values), *input, "{input}");
            assert_eq!(escape_name(input, Escaping::AllowUtf8), *input);
        }
        let unescape_errors: &[(&str, &str)] = &[
            ("U__no:unescapingrequired", "no:unescapingrequired"),
            ("U__capitals_2E_ok", "capitals.ok"),
            ("U__underscores__doubled__", "underscores_doubled_"),
            ("U__underscores_doubled_", "U__underscores_doubled_"),
            ("U__underscores__doubled_", "U__underscores__doubled_"),
            ("U__my__hack_2e_attempt_872348732fabdabbab_", "U__my__hack_2e_attempt_872348732fabdabbab_"),
            ("U__my__hack_2e", "U__my__hack_2e"),
            ("U__bad__utf_2eg_", "U__bad__utf_2eg_"),
            ("U__bad__utf_D900_", "U__bad__utf_D900_"),
        ];
        for (input, expected) in unescape_errors {
            assert_eq!(unescape_name(input, Escaping::Values), *expected, "{input}");
        }
    }

    #[test]
    fn reversible_schemes_round_trip() {
        // `dots` is reversible for names whose only characters outside the legacy set are dots.
        for name in ["mysystem.prod.west.cpu.load", "http.status:sum", "a.b_c.d", "x"] {
            assert_eq!(unescape_name(&escape_name(name, Escaping::Dots), Escaping::Dots), name);
        }
        for name in ["label with 😱", "µs", "a-b_c", "9lives", "日本語.名前"] {
            assert_eq!(unescape_name(&escape_name(name, Escaping::Values), Escaping::Values), name, "{name}");
        }
        // Six hex digits are too many for UnescapeName, which gives the name back.
        assert_eq!(escape_name("\u{10FFFF}", Escaping::Values), "U___10ffff_");
        assert_eq!(unescape_name("U___10ffff_", Escaping::Values), "U___10ffff_");
    }

    #[test]
    fn parameter_names() {
        for e in Escaping::ALL {
            assert_eq!(Escaping::from_param(e.as_str()), Some(e));
            assert_eq!(Escaping::ALL[e.index()], e);
        }
        assert_eq!(Escaping::from_param("allow-utf8"), None, "the docs' old spelling is not client_golang's");
        assert_eq!(Escaping::default(), Escaping::Underscores);
    }
}
