//! Names in the text formats: as they are, escaped by the scrape's scheme (the descriptor holds each
//! scheme's names), or quoted under `allow-utf-8`, as the text format 1.0.0 and OpenMetrics write UTF-8
//! names: `# TYPE "a.b" counter`, `{"a.b_total","c.d"="v"} 1`.

use super::write_escaped_label_value;
use crate::Descriptor;
use promstruct_naming::Escaping;

/// The name a family's sample lines start with in one scrape: its text, and whether it is quoted inside
/// the braces rather than written before them.
#[derive(Debug, Clone, Copy)]
pub(super) struct SampleName<'a> {
    pub(super) text: &'a str,
    pub(super) quoted: bool,
}

impl<'a> SampleName<'a> {
    /// The sample name of `desc` in a scrape escaped by `escaping`.
    #[inline]
    pub(super) fn of(desc: &'a Descriptor, escaping: Escaping) -> Self {
        if desc.has_legacy_names() {
            return SampleName { text: desc.name(), quoted: false };
        }
        SampleName { text: desc.exposed_name(escaping), quoted: desc.quotes_name(escaping) }
    }
}

/// Appends `name` and `suffix` as one name, between double quotes when `quoted` (with `\`, `"` and
/// newline escaped, as in a label value).
#[inline]
pub(super) fn write_name(buf: &mut Vec<u8>, name: &str, suffix: &str, quoted: bool) {
    if quoted {
        buf.push(b'"');
        write_escaped_label_value(buf, name);
        buf.extend_from_slice(suffix.as_bytes());
        buf.push(b'"');
    } else {
        buf.extend_from_slice(name.as_bytes());
        buf.extend_from_slice(suffix.as_bytes());
    }
}

/// Appends label name `name` as a scrape escaped by `escaping` writes it: as it is when legacy, quoted
/// under `allow-utf-8`, else escaped. For label writers of families with UTF-8 label names only.
#[cold]
pub(super) fn write_label_name(buf: &mut Vec<u8>, name: &str, escaping: Escaping) {
    if promstruct_naming::is_legacy_label_name(name) {
        buf.extend_from_slice(name.as_bytes());
    } else if escaping == Escaping::AllowUtf8 {
        write_name(buf, name, "", true);
    } else {
        buf.extend_from_slice(promstruct_naming::escape_name(name, escaping).as_bytes());
    }
}
