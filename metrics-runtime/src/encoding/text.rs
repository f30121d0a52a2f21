//! The Prometheus text format 0.0.4: metadata lines.

use super::escape::write_escaped_help;
use crate::Descriptor;

/// Writes `# HELP` and `# TYPE` under the name the samples carry: a counter's `_total` name, an info's
/// `_info` name (exposed as a gauge, since 0.0.4 has no info type). 0.0.4 has no `# UNIT`.
pub(super) fn write_metadata(buf: &mut Vec<u8>, desc: &Descriptor) {
    let (suffix, kind) = (desc.kind().text_suffix(), desc.kind().text_type());
    if !desc.help().is_empty() {
        buf.extend_from_slice(b"# HELP ");
        buf.extend_from_slice(desc.name().as_bytes());
        buf.extend_from_slice(suffix.as_bytes());
        buf.push(b' ');
        write_escaped_help(buf, desc.help(), false);
        buf.push(b'\n');
    }
    buf.extend_from_slice(b"# TYPE ");
    buf.extend_from_slice(desc.name().as_bytes());
    buf.extend_from_slice(suffix.as_bytes());
    buf.push(b' ');
    buf.extend_from_slice(kind.as_bytes());
    buf.push(b'\n');
}
