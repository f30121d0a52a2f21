//! OpenMetrics 1.0: metadata lines.

use super::escape::write_escaped_help;
use crate::Descriptor;

/// Writes `# TYPE`, `# UNIT` (when set) and `# HELP`, in that order, under the family name.
pub(super) fn write_metadata(buf: &mut Vec<u8>, desc: &Descriptor) {
    let name = desc.name().as_bytes();
    buf.extend_from_slice(b"# TYPE ");
    buf.extend_from_slice(name);
    buf.push(b' ');
    buf.extend_from_slice(desc.kind().as_str().as_bytes());
    buf.push(b'\n');
    if let Some(unit) = desc.exposed_unit() {
        buf.extend_from_slice(b"# UNIT ");
        buf.extend_from_slice(name);
        buf.push(b' ');
        buf.extend_from_slice(unit.as_bytes());
        buf.push(b'\n');
    }
    if !desc.help().is_empty() {
        buf.extend_from_slice(b"# HELP ");
        buf.extend_from_slice(name);
        buf.push(b' ');
        write_escaped_help(buf, desc.help(), true);
        buf.push(b'\n');
    }
}
