//! OpenMetrics 1.0: metadata lines.

use super::escape::write_escaped_help;
use super::names::{SampleName, write_name};
use crate::Descriptor;
use promstruct_naming::Escaping;

/// Writes `# TYPE`, `# UNIT` (when set) and `# HELP`, in that order, under the family name (escaped by
/// `escaping` when it is not legacy, or quoted under `allow-utf-8`).
pub(super) fn write_metadata(buf: &mut Vec<u8>, desc: &Descriptor, escaping: Escaping) {
    let SampleName { text: name, quoted } = SampleName::of(desc, escaping);
    buf.extend_from_slice(b"# TYPE ");
    write_name(buf, name, "", quoted);
    buf.push(b' ');
    buf.extend_from_slice(desc.kind().as_str().as_bytes());
    buf.push(b'\n');
    if let Some(unit) = desc.exposed_unit() {
        buf.extend_from_slice(b"# UNIT ");
        write_name(buf, name, "", quoted);
        buf.push(b' ');
        buf.extend_from_slice(unit.as_bytes());
        buf.push(b'\n');
    }
    if !desc.help().is_empty() {
        buf.extend_from_slice(b"# HELP ");
        write_name(buf, name, "", quoted);
        buf.push(b' ');
        write_escaped_help(buf, desc.help(), true);
        buf.push(b'\n');
    }
}
