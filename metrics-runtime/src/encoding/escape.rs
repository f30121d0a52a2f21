//! Escaping of label values and HELP text, copying unescaped runs whole.

/// Appends `value` escaped for a quoted label value: `\` -> `\\`, `"` -> `\"`, newline -> `\n`.
pub(crate) fn write_escaped_label_value(buf: &mut Vec<u8>, value: &str) {
    write_escaped(buf, value, true)
}

/// Appends HELP text escaped: `\` -> `\\`, newline -> `\n`, and `"` -> `\"` when `quote` is set.
///
/// The text format must not escape `"` in HELP (promtool refuses `\"` there); OpenMetrics must.
pub(crate) fn write_escaped_help(buf: &mut Vec<u8>, help: &str, quote: bool) {
    write_escaped(buf, help, quote)
}

fn write_escaped(buf: &mut Vec<u8>, s: &str, quote: bool) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' if quote => b"\\\"",
            _ => continue,
        };
        buf.extend_from_slice(&bytes[start..i]);
        buf.extend_from_slice(escaped);
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(s: &str) -> String {
        let mut buf = Vec::new();
        write_escaped_label_value(&mut buf, s);
        String::from_utf8(buf).unwrap()
    }

    fn help(s: &str, quote: bool) -> String {
        let mut buf = Vec::new();
        write_escaped_help(&mut buf, s, quote);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn label_values() {
        assert_eq!(label(""), "");
        assert_eq!(label("plain"), "plain");
        assert_eq!(label(r#"a"b"#), r#"a\"b"#);
        assert_eq!(label(r"a\b"), r"a\\b");
        assert_eq!(label("a\nb"), r"a\nb");
        assert_eq!(label("tab\there"), "tab\there");
        assert_eq!(label("naïve 🚀"), "naïve 🚀");
        assert_eq!(label("\\\"\n"), r#"\\\"\n"#);
        assert_eq!(label(r"\n"), r"\\n");
    }

    #[test]
    fn help_text() {
        assert_eq!(help("say \"hi\"\\\n", false), "say \"hi\"\\\\\\n");
        assert_eq!(help("say \"hi\"", true), "say \\\"hi\\\"");
    }
}
