//! The Prometheus text format 0.0.4: metadata lines.

use super::escape::write_escaped_help;
use super::names::{SampleName, write_name};
use crate::Descriptor;
use promstruct_naming::Escaping;

/// Writes `# HELP` and `# TYPE` under the name the samples carry: a counter's `_total` name, an info's
/// `_info` name (exposed as a gauge, since 0.0.4 has no info type). 0.0.4 has no `# UNIT`. A name
/// outside the legacy set is escaped by `escaping`, or quoted under `allow-utf-8` (text 1.0.0).
pub(super) fn write_metadata(buf: &mut Vec<u8>, desc: &Descriptor, escaping: Escaping) {
    let (suffix, kind) = (desc.kind().text_suffix(), desc.kind().text_type());
    let name = SampleName::of(desc, escaping);
    if !desc.help().is_empty() {
        buf.extend_from_slice(b"# HELP ");
        write_name(buf, name.text, suffix, name.quoted);
        buf.push(b' ');
        write_escaped_help(buf, desc.help(), false);
        buf.push(b'\n');
    }
    buf.extend_from_slice(b"# TYPE ");
    write_name(buf, name.text, suffix, name.quoted);
    buf.push(b' ');
    buf.extend_from_slice(kind.as_bytes());
    buf.push(b'\n');
}
