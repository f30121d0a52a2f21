//! The external validators of the tests.
//!
//! `promtool check metrics` (Debian package `prometheus`) judges the text format, lint findings included;
//! Python's `prometheus_client` OpenMetrics parser judges OpenMetrics strictly. Both are installed by
//! `scripts/install-tools`; a test that needs one fails with a message naming the install step when it is
//! missing, so a green run always means the real tool ran.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The Python interpreter that has `prometheus_client`: `$METRICS_PYTHON`, else the tool venv that
/// `scripts/install-tools` makes, else `python3`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("METRICS_PYTHON") {
        return p.into();
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/venv/bin/python3");
    if venv.exists() { venv } else { PathBuf::from("python3") }
}

/// Runs `cmd` with `stdin` as its input; its exit code and its output, stdout then stderr.
pub(crate) fn run(mut cmd: Command, stdin: &[u8], what: &str) -> (i32, String) {
    let program = format!("{:?}", cmd.get_program());
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| {
            panic!("cannot run {program} for {what} ({e}); run `bash scripts/install-tools` first")
        });
    let mut input = child.stdin.take().expect("piped stdin");
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&stdin));
    let out = child.wait_with_output().expect("wait for validator");
    writer.join().expect("stdin writer").expect("write validator stdin");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// Runs `promtool check metrics` on a text-format exposition; `Err` holds its findings. Exit 0 only: lint
/// findings (exit 3) fail too.
pub fn promtool_check(text: &[u8]) -> Result<(), String> {
    let mut cmd = Command::new("promtool");
    cmd.args(["check", "metrics"]);
    match run(cmd, text, "`promtool check metrics`") {
        (0, out) if out.trim().is_empty() => Ok(()),
        (code, out) => Err(format!("promtool exit {code}: {out}")),
    }
}

/// Runs `promtool check metrics` and returns its lint findings, one line each, sorted (the metric name
/// first, then promtool's text). `Err` when promtool finds the exposition invalid rather than only linted:
/// a test that allows some findings (families that opted out of a naming convention) lists them exactly.
pub fn promtool_lints(text: &[u8]) -> Result<Vec<String>, String> {
    let mut cmd = Command::new("promtool");
    cmd.args(["check", "metrics"]);
    match run(cmd, text, "`promtool check metrics`") {
        (0, out) if out.trim().is_empty() => Ok(Vec::new()),
        (3, out) => {
            let mut lines: Vec<String> =
                out.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
            lines.sort();
            Ok(lines)
        }
        (code, out) => Err(format!("promtool exit {code}: {out}")),
    }
}

/// One sample as a Python parser read it: name, labels (sorted), value.
#[derive(Debug, Clone, PartialEq)]
pub struct PySample {
    /// The sample name.
    pub name: String,
    /// The labels, sorted by name.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// Its exemplar (OpenMetrics only), if any.
    pub exemplar: Option<PyExemplar>,
}

/// An exemplar as a Python parser read it.
#[derive(Debug, Clone, PartialEq)]
pub struct PyExemplar {
    /// The labels, sorted by name.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: f64,
    /// The timestamp in seconds, if written.
    pub timestamp: Option<f64>,
}

/// One family as a Python parser read it.
#[derive(Debug, Clone, PartialEq)]
pub struct PyFamily {
    /// The family name as the parser reports it.
    pub name: String,
    /// The type.
    pub kind: String,
    /// The help text, unescaped.
    pub help: String,
    /// The unit (OpenMetrics only).
    pub unit: String,
    /// The samples.
    pub samples: Vec<PySample>,
}

const PY_DUMP: &str = r#"
import sys, math
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
from prometheus_client.parser import text_string_to_metric_families as text
data = sys.stdin.buffer.read().decode("utf-8")
parse = om if sys.argv[1] == "openmetrics" else text
def esc(s):
    return s.encode("unicode_escape").decode("ascii")
out = []
for f in parse(data):
    out.append("F\t%s\t%s\t%s\t%s" % (esc(f.name), f.type, esc(f.documentation), esc(getattr(f, "unit", "") or "")))
    for s in f.samples:
        labels = "\t".join("%s=%s" % (esc(k), esc(v)) for k, v in sorted(s.labels.items()))
        out.append("S\t%s\t%r\t%s" % (esc(s.name), float(s.value), labels))
        e = getattr(s, "exemplar", None)
        if e is not None:
            elabels = "\t".join("%s=%s" % (esc(k), esc(v)) for k, v in sorted(e.labels.items()))
            ts = "" if e.timestamp is None else repr(float(e.timestamp))
            out.append("E\t%r\t%s\t%s" % (float(e.value), ts, elabels))
sys.stdout.write("\n".join(out) + "\n")
"#;

/// The `name=value` fields of a line of the Python helper's output, unescaped.
fn py_labels(fields: &[&str]) -> Vec<(String, String)> {
    fields
        .iter()
        .filter(|f| !f.is_empty())
        .map(|f| {
            let (k, v) = f.split_once('=').expect("label k=v");
            (unescape_py(k), unescape_py(v))
        })
        .collect()
}

/// A float as Python's `repr` writes it (`inf`, `-inf` and `nan` included).
fn py_float(text: &str) -> f64 {
    match text {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        "nan" => f64::NAN,
        v => v.parse().expect("float"),
    }
}

fn unescape_py(s: &str) -> String {
    // Python's unicode_escape: \\, \n, \t, \r, \xNN, \uNNNN, \UNNNNNNNN.
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(k @ ('x' | 'u' | 'U')) => {
                let n = match k {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(n).collect();
                let code = u32::from_str_radix(&hex, 16).expect("hex escape");
                out.push(char::from_u32(code).expect("valid char"));
            }
            other => panic!("unexpected escape {other:?} in {s:?}"),
        }
    }
    out
}

/// Parses an exposition with Python's `prometheus_client`: the strict OpenMetrics parser when
/// `openmetrics`, else the lenient 0.0.4 parser (for comparing values only). `Err` holds the parser's
/// complaint.
pub fn python_parse(body: &[u8], openmetrics: bool) -> Result<Vec<PyFamily>, String> {
    let mut cmd = Command::new(python());
    cmd.args(["-c", PY_DUMP, if openmetrics { "openmetrics" } else { "text" }]);
    let (code, out) = run(cmd, body, "the Python prometheus_client parser");
    if code != 0 {
        return Err(out);
    }
    let mut families: Vec<PyFamily> = Vec::new();
    for line in out.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields[0] {
            "F" => families.push(PyFamily {
                name: unescape_py(fields[1]),
                kind: fields[2].to_owned(),
                help: unescape_py(fields[3]),
                unit: unescape_py(fields[4]),
                samples: Vec::new(),
            }),
            "S" => {
                let labels = py_labels(&fields[3..]);
                let value = py_float(fields[2]);
                families.last_mut().expect("family first").samples.push(PySample {
                    name: unescape_py(fields[1]),
                    labels,
                    value,
                    exemplar: None,
                });
            }
            "E" => {
                let labels = py_labels(&fields[3..]);
                let sample = families.last_mut().and_then(|f| f.samples.last_mut()).expect("a sample first");
                sample.exemplar = Some(PyExemplar {
                    labels,
                    value: py_float(fields[1]),
                    timestamp: (!fields[2].is_empty()).then(|| py_float(fields[2])),
                });
            }
            _ => return Err(format!("unexpected dump line {line:?}")),
        }
    }
    Ok(families)
}

/// Finds a sample by name and exact label set in parsed families.
pub fn find_sample<'a>(families: &'a [PyFamily], name: &str, labels: &[(&str, &str)]) -> Option<&'a PySample> {
    let mut want: Vec<(String, String)> = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    want.sort();
    families.iter().flat_map(|f| &f.samples).find(|s| s.name == name && s.labels == want)
}
