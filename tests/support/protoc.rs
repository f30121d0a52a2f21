//! `protoc --decode=io.prometheus.client.MetricFamily`, the independent decoder of the protobuf format
//! (Debian package `protobuf-compiler`), and what its text output says.
//!
//! A body is split into its length-delimited messages here, each given to `protoc` alone with the schema
//! kept in `metrics-testing/proto/` (client_model's `metrics.proto`); its text format output is read by
//! a small parser of its own and turned into samples the way Prometheus reads the messages (a counter
//! family's series under the family's name, a histogram's cumulative buckets with `+Inf` from the count,
//! `_sum` and `_count`), without anything of `promstruct-testing`'s decoder.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use promstruct::encoding::canonical_float;

use crate::exposition::SeriesKey;
use crate::validators::run;

/// The folder of the schema `protoc` is given: `metrics.proto` and the `timestamp.proto` it imports.
pub fn proto_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("metrics-testing/proto")
}

/// Splits a delimited body into its messages; panics on a cut prefix or message.
pub fn split_delimited(body: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let (mut len, mut shift) = (0usize, 0);
        loop {
            let byte = *body.get(pos).unwrap_or_else(|| panic!("a length prefix cut at byte {pos}"));
            pos += 1;
            len |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
            assert!(shift < 64, "a length prefix over ten bytes at {pos}");
        }
        let message = body.get(pos..pos + len).unwrap_or_else(|| panic!("message at {pos} claims {len} bytes"));
        out.push(message);
        pos += len;
    }
    out
}

/// A node of protobuf's text format: a scalar as written (strings unescaped), or a message's fields in
/// order.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A number, an enum name, or a string (unescaped).
    Scalar(String),
    /// A message: its fields, in order, repeated fields repeated.
    Message(Vec<(String, Node)>),
}

impl Node {
    fn fields(&self) -> &[(String, Node)] {
        match self {
            Node::Message(fields) => fields,
            Node::Scalar(s) => panic!("a message expected, got the scalar {s:?}"),
        }
    }

    /// The first field named `name`.
    pub fn get(&self, name: &str) -> Option<&Node> {
        self.fields().iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Every field named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.fields().iter().filter(move |(n, _)| n == name).map(|(_, v)| v)
    }

    /// The scalar text of field `name`.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Node::Scalar(s) => Some(s),
            Node::Message(_) => panic!("field {name} is a message"),
        }
    }

    /// Field `name` as a number (`inf`, `-inf` and `nan` as protoc writes them).
    pub fn number(&self, name: &str) -> Option<f64> {
        self.text(name).map(|t| t.parse().unwrap_or_else(|e| panic!("{name}: {t:?} is not a number: {e}")))
    }
}

/// Reads protoc's text format output: `name: scalar` and `name { ... }` lines.
pub fn parse_text_format(text: &str) -> Node {
    let bytes = text.as_bytes();
    let mut pos = 0;
    let node = fields(bytes, &mut pos, false);
    assert_eq!(pos, bytes.len(), "protoc output not read to its end");
    node
}

fn skip_space(bytes: &[u8], pos: &mut usize) {
    while bytes.get(*pos).is_some_and(|b| b.is_ascii_whitespace()) {
        *pos += 1;
    }
}

fn fields(bytes: &[u8], pos: &mut usize, nested: bool) -> Node {
    let mut out = Vec::new();
    loop {
        skip_space(bytes, pos);
        match bytes.get(*pos) {
            None if !nested => return Node::Message(out),
            Some(b'}') if nested => {
                *pos += 1;
                return Node::Message(out);
            }
            None | Some(b'}') => panic!("unbalanced braces in protoc output at byte {pos}"),
            _ => {}
        }
        let start = *pos;
        while bytes.get(*pos).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
            *pos += 1;
        }
        let name = std::str::from_utf8(&bytes[start..*pos]).unwrap().to_owned();
        assert!(!name.is_empty(), "a field name expected at byte {start}");
        assert!(!name.as_bytes()[0].is_ascii_digit(), "protoc found an unknown field {name}: the schema lacks it");
        skip_space(bytes, pos);
        match bytes.get(*pos) {
            Some(b'{') => {
                *pos += 1;
                out.push((name, fields(bytes, pos, true)));
            }
            Some(b':') => {
                *pos += 1;
                skip_space(bytes, pos);
                out.push((name, Node::Scalar(scalar(bytes, pos))));
            }
            other => panic!("`:` or `{{` expected after {name}, got {other:?}"),
        }
    }
}

/// A scalar: a quoted string with C escapes (octal bytes included, as protoc writes non-ASCII), or a
/// bare token.
fn scalar(bytes: &[u8], pos: &mut usize) -> String {
    if bytes.get(*pos) != Some(&b'"') {
        let start = *pos;
        while bytes.get(*pos).is_some_and(|b| !b.is_ascii_whitespace() && *b != b'}') {
            *pos += 1;
        }
        return String::from_utf8(bytes[start..*pos].to_vec()).unwrap();
    }
    *pos += 1;
    let mut out = Vec::new();
    loop {
        let byte = *bytes.get(*pos).expect("an unterminated string in protoc output");
        *pos += 1;
        match byte {
            b'"' => break,
            b'\\' => {
                let escape = bytes[*pos];
                *pos += 1;
                match escape {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'\\' | b'"' | b'\'' => out.push(escape),
                    b'0'..=b'7' => {
                        let mut value = u32::from(escape - b'0');
                        for _ in 0..2 {
                            match bytes.get(*pos) {
                                Some(d @ b'0'..=b'7') => {
                                    value = value * 8 + u32::from(d - b'0');
                                    *pos += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push(value as u8);
                    }
                    b'x' => {
                        let hex = std::str::from_utf8(&bytes[*pos..*pos + 2]).unwrap();
                        out.push(u8::from_str_radix(hex, 16).unwrap());
                        *pos += 2;
                    }
                    other => panic!("an escape \\{} protoc does not write", other as char),
                }
            }
            b => out.push(b),
        }
    }
    String::from_utf8(out).expect("a UTF-8 string in protoc output")
}

/// One family as protoc decoded it.
#[derive(Debug, Clone)]
pub struct ProtocFamily {
    /// `name`.
    pub name: String,
    /// `type`, as protoc names the enum value (`COUNTER`, `GAUGE`, `HISTOGRAM`...).
    pub kind: String,
    /// `help`, if present.
    pub help: Option<String>,
    /// `unit`, if present.
    pub unit: Option<String>,
    /// Its samples as Prometheus reads them, by series.
    pub samples: BTreeMap<SeriesKey, f64>,
    /// The `created_timestamp` of each counter and histogram series (by the family name and labels), in
    /// seconds.
    pub created: BTreeMap<SeriesKey, f64>,
    /// The native buckets of each histogram series that has them, by its labels.
    pub natives: BTreeMap<BTreeMap<String, String>, ProtocNative>,
}

/// A histogram's native buckets as protoc decoded them: the spans walked and the deltas summed here, on
/// their own, so that the runtime's decoder is checked against an independent reading.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocNative {
    /// `schema`.
    pub schema: i32,
    /// `zero_threshold`.
    pub zero_threshold: f64,
    /// `zero_count`.
    pub zero_count: f64,
    /// `sample_count`.
    pub count: f64,
    /// `sample_sum`.
    pub sum: f64,
    /// The positive buckets as `(index, absolute count)`, by increasing index.
    pub positive: Vec<(i32, f64)>,
    /// The negative buckets likewise.
    pub negative: Vec<(i32, f64)>,
}

/// The buckets of one side: the spans' `(offset, length)` runs walked, `deltas` summed along them.
fn native_side(h: &Node, side: &str) -> Vec<(i32, f64)> {
    let deltas: Vec<i64> = h
        .all(&format!("{side}_delta"))
        .map(|d| match d {
            Node::Scalar(s) => s.parse().unwrap_or_else(|e| panic!("{side}_delta {s:?}: {e}")),
            Node::Message(_) => panic!("{side}_delta is a message"),
        })
        .collect();
    let mut out = Vec::with_capacity(deltas.len());
    let (mut index, mut running) = (0i32, 0i64);
    for span in h.all(&format!("{side}_span")) {
        index += span.number("offset").unwrap_or(0.0) as i32;
        for _ in 0..span.number("length").unwrap_or(0.0) as u32 {
            running += deltas[out.len()];
            out.push((index, running as f64));
            index += 1;
        }
    }
    assert_eq!(out.len(), deltas.len(), "protoc shows {} {side} deltas for {} buckets", deltas.len(), out.len());
    out
}

/// The native part of a decoded `Histogram`, if it has one (a schema, spans or a zero bucket).
fn native_of(h: &Node) -> Option<ProtocNative> {
    let native = h.get("schema").is_some()
        || h.get("positive_span").is_some()
        || h.get("negative_span").is_some()
        || h.number("zero_threshold").is_some_and(|z| z > 0.0);
    native.then(|| ProtocNative {
        schema: h.number("schema").unwrap_or(0.0) as i32,
        zero_threshold: h.number("zero_threshold").unwrap_or(0.0),
        zero_count: h.number("zero_count").unwrap_or(0.0),
        count: h.number("sample_count").unwrap_or(0.0),
        sum: h.number("sample_sum").unwrap_or(0.0),
        positive: native_side(h, "positive"),
        negative: native_side(h, "negative"),
    })
}

/// Runs `protoc --decode` on one message; panics unless it decodes.
pub fn decode_message(message: &[u8]) -> Node {
    let mut cmd = Command::new("protoc");
    cmd.arg("-I").arg(proto_dir()).arg("--decode=io.prometheus.client.MetricFamily");
    cmd.arg("io/prometheus/client/metrics.proto");
    let (code, out) = run(cmd, message, "`protoc --decode`");
    assert_eq!(code, 0, "protoc could not decode a message ({} bytes): {out}", message.len());
    parse_text_format(&out)
}

fn labels_of(metric: &Node) -> BTreeMap<String, String> {
    metric
        .all("label")
        .map(|l| (l.text("name").unwrap_or("").to_owned(), l.text("value").unwrap_or("").to_owned()))
        .collect()
}

fn seconds(ts: &Node) -> f64 {
    ts.number("seconds").unwrap_or(0.0) + ts.number("nanos").unwrap_or(0.0) / 1e9
}

/// Every message of a delimited body, decoded by protoc and read as Prometheus reads it.
pub fn decode_body(body: &[u8]) -> Vec<ProtocFamily> {
    split_delimited(body).into_iter().map(|m| family(&decode_message(m))).collect()
}

fn family(node: &Node) -> ProtocFamily {
    let name = node.text("name").expect("a family name").to_owned();
    let kind = node.text("type").unwrap_or("COUNTER").to_owned();
    let mut f = ProtocFamily {
        help: node.text("help").map(str::to_owned),
        unit: node.text("unit").map(str::to_owned),
        samples: BTreeMap::new(),
        created: BTreeMap::new(),
        natives: BTreeMap::new(),
        name,
        kind,
    };
    for metric in node.all("metric") {
        let labels = labels_of(metric);
        let mut native = None;
        let mut put = |suffix: &str, extra: Option<(&str, String)>, value: f64| {
            let mut labels = labels.clone();
            if let Some((n, v)) = extra {
                labels.insert(n.to_owned(), v);
            }
            let key = (format!("{}{suffix}", f.name), labels);
            assert!(f.samples.insert(key.clone(), value).is_none(), "protoc shows {key:?} twice");
        };
        let value_of = |what: &str| metric.get(what).and_then(|m| m.number("value")).unwrap_or(0.0);
        match f.kind.as_str() {
            "COUNTER" => put("", None, value_of("counter")),
            "GAUGE" => put("", None, value_of("gauge")),
            "UNTYPED" => put("", None, value_of("untyped")),
            "HISTOGRAM" | "GAUGE_HISTOGRAM" => {
                let h = metric.get("histogram").expect("a histogram series has its Histogram");
                native = native_of(h);
                let count = h.number("sample_count").unwrap_or(0.0);
                let mut inf = false;
                for b in h.all("bucket") {
                    let bound = b.number("upper_bound").unwrap_or(0.0);
                    inf |= bound == f64::INFINITY;
                    put("_bucket", Some(("le", canonical_float(bound))), b.number("cumulative_count").unwrap_or(0.0));
                }
                if !inf {
                    put("_bucket", Some(("le", "+Inf".to_owned())), count);
                }
                put("_sum", None, h.number("sample_sum").unwrap_or(0.0));
                put("_count", None, count);
            }
            other => panic!("a family type our encoder does not write: {other}"),
        }
        if let Some(native) = native {
            f.natives.insert(labels.clone(), native);
        }
        let created = ["counter", "histogram"].iter().find_map(|m| metric.get(m)?.get("created_timestamp"));
        if let Some(ts) = created {
            f.created.insert((f.name.clone(), labels.clone()), seconds(ts));
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_protocs_text_format() {
        let node = parse_text_format(
            "name: \"a\\\"b\\303\\274\"\ntype: COUNTER\nmetric {\n  label {\n    name: \"x\"\n    value: \"\\n\"\n  }\n  counter {\n    value: inf\n  }\n}\n",
        );
        assert_eq!(node.text("name"), Some("a\"bü"));
        let metric = node.get("metric").unwrap();
        assert_eq!(labels_of(metric).get("x").map(String::as_str), Some("\n"));
        assert_eq!(metric.get("counter").unwrap().number("value"), Some(f64::INFINITY));
    }

    #[test]
    fn splits_delimited_bodies() {
        let mut body = vec![2, 1, 2, 0x80, 0x01];
        body.extend([7; 128]);
        let parts = split_delimited(&body);
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0], parts[1].len()), (&[1u8, 2][..], 128));
    }
}
