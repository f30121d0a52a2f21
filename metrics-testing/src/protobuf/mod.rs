//! The Prometheus protobuf format, read into the model the text parsers produce.
//!
//! The body is split into its length-delimited `MetricFamily` messages and each is decoded
//! (`messages`, over the wire reader of `reader`); a body that does not decode against client_model's
//! `metrics.proto` breaks [`Rule::Protobuf`]. The families are then written out as text format 0.0.4,
//! which holds everything they hold but units, creation times and exemplars, and that text goes through
//! the strict parser: so a protobuf scrape is checked by exactly the rules of the text format (names,
//! duplicate series, bucket order, `+Inf` equal to the count, counter values, clashes between families),
//! and yields the same samples. Its violations are reported at the `MetricFamily` message (as the line,
//! counted from 1) and the byte offset in the body of the family or series at fault (as the column,
//! counted from 1). Units, creation times, exemplars and native histograms (`native`) are added to the
//! parsed model afterwards, with their own checks.

mod messages;
mod native;
mod reader;

use std::fmt::Write as _;

use promstruct::encoding::canonical_float;

use self::messages::{ExemplarMsg, FamilyMsg, MetricMsg, Timestamp};
use crate::model::{Exemplar, FamilyType, ParsedFamily, series_text};
use crate::parser::show;
use crate::violation::{Report, Rule, Severity, Violation};

/// Where a line of the text written from the body came from: the message (from 1) and a byte offset;
/// and whether it is a `# HELP` line, whose text is protobuf's raw help.
#[derive(Debug, Clone, Copy)]
struct Origin {
    message: usize,
    at: usize,
    help: bool,
}

/// What the text leaves out of one series, added to its samples after parsing.
#[derive(Debug, Default)]
struct SeriesExtras {
    /// The samples the series wrote.
    samples: usize,
    created: Option<f64>,
    /// The exemplar of each sample that has one, by the sample's place in the series.
    exemplars: Vec<(usize, Exemplar)>,
}

/// What the text leaves out of one family.
#[derive(Debug)]
struct FamilyExtras {
    name: String,
    kind: FamilyType,
    unit: Option<String>,
    message: usize,
    series: Vec<SeriesExtras>,
    natives: Vec<crate::model::NativeHistogram>,
}

/// Decodes and checks a delimited protobuf body.
pub(crate) fn run(body: &[u8]) -> (Vec<ParsedFamily>, Report) {
    run_with(body, false)
}

/// [`run`], with names outside the legacy set allowed when `utf8` is set: they are written quoted in the
/// text the strict parser reads, as the text format 1.0.0 writes them.
pub(crate) fn run_with(body: &[u8], utf8: bool) -> (Vec<ParsedFamily>, Report) {
    let mut report = Report::new();
    let mut writer = TextWriter { utf8, ..TextWriter::default() };
    let mut pos = 0;
    let mut message = 0;
    while pos < body.len() {
        message += 1;
        let start = pos;
        let len = match reader::varint(body, &mut pos, 0) {
            Ok(len) => usize::try_from(len).unwrap_or(usize::MAX),
            Err(e) => {
                report.at_offset(
                    message,
                    start,
                    Rule::Protobuf,
                    format!("the length prefix of message {message}: {}", e.message),
                );
                break;
            }
        };
        let Some(end) = pos.checked_add(len).filter(|end| *end <= body.len()) else {
            let left = body.len() - pos;
            report.at_offset(
                message,
                start,
                Rule::Protobuf,
                format!("message {message} claims {len} bytes, {left} are left"),
            );
            break;
        };
        match messages::family(&body[pos..end], pos) {
            Ok(family) => writer.family(&family, message, start, &mut report),
            Err(e) => report.at_offset(message, e.at, Rule::Protobuf, format!("message {message}: {}", e.message)),
        }
        pos = end;
    }
    let (mut families, text_report) = crate::parser::run_with(&writer.text, promstruct::Format::Text, utf8);
    for mut v in text_report.list {
        // A rule about the end of the text is the last message's.
        let origin = writer.origins.get(v.line.wrapping_sub(1)).or(writer.origins.last()).copied();
        let origin = origin.unwrap_or(Origin { message: 1, at: 0, help: false });
        // 0.0.4 flags a HELP text that starts with a blank, which some of its readers drop; protobuf's
        // help is a string, blanks and all.
        if origin.help && v.rule == Rule::Whitespace {
            continue;
        }
        (v.line, v.column) = (origin.message, origin.at + 1);
        report.list.push(v);
    }
    writer.complete(&mut families);
    (families, report)
}

impl Report {
    /// Records an error at message `message`, byte `at` of the body.
    fn at_offset(&mut self, message: usize, at: usize, rule: Rule, text: String) {
        self.list.push(Violation { line: message, column: at + 1, rule, severity: Severity::Error, message: text });
    }
}

/// The protobuf `MetricType` as a family type, and the type the text written for it names.
fn family_type(kind: u64) -> Option<(FamilyType, &'static str)> {
    Some(match kind {
        0 => (FamilyType::Counter, "counter"),
        1 => (FamilyType::Gauge, "gauge"),
        2 => (FamilyType::Summary, "summary"),
        3 => (FamilyType::Untyped, "untyped"),
        4 => (FamilyType::Histogram, "histogram"),
        // 0.0.4 has no gauge histogram: its samples are a histogram's.
        5 => (FamilyType::GaugeHistogram, "histogram"),
        _ => return None,
    })
}

fn is_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A name the text format 1.0.0 can quote: not empty, no control character.
fn is_utf8_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_control)
}

/// `s` between double quotes, `\`, `"` and newlines escaped.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A metric name as the text format 1.0.0 writes it: quoted when it is not legacy.
fn text_name(name: &str) -> std::borrow::Cow<'_, str> {
    if is_metric_name(name) { name.into() } else { quote(name).into() }
}

/// [`series_text`] in the text format 1.0.0: a name outside the legacy set quoted, a metric name first
/// inside the braces.
fn quoted_series_text<'a>(name: &str, labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let labels: Vec<(String, &str)> =
        labels.into_iter().map(|(n, v)| (if is_label_name(n) { n.to_owned() } else { quote(n) }, v)).collect();
    let pairs = labels.iter().map(|(n, v)| (n.as_str(), *v));
    if is_metric_name(name) {
        return series_text(name, pairs);
    }
    let rest = series_text("", pairs);
    let inner = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}'));
    match inner {
        Some(inner) => format!("{{{},{inner}}}", quote(name)),
        None => format!("{{{}}}", quote(name)),
    }
}

fn seconds((secs, nanos): Timestamp) -> f64 {
    secs as f64 + f64::from(nanos) / 1e9
}

/// A count that may be given as an integer or, overriding it when above zero, as a float.
fn count(int: u64, float: f64) -> f64 {
    if float > 0.0 { float } else { int as f64 }
}

/// The 0.0.4 text of the decoded families, with where each line came from and what it leaves out.
#[derive(Debug, Default)]
struct TextWriter {
    text: String,
    origins: Vec<Origin>,
    families: Vec<FamilyExtras>,
    /// Whether names may be UTF-8 (quoted in `text`).
    utf8: bool,
}

impl TextWriter {
    fn line(&mut self, origin: Origin, line: std::fmt::Arguments<'_>) {
        let _ = self.text.write_fmt(line);
        self.text.push('\n');
        self.origins.push(origin);
    }

    /// One sample line: `name{labels[,extra]} value [timestamp]`.
    fn sample(&mut self, origin: Origin, name: &str, m: &MetricMsg<'_>, extra: Option<(&str, &str)>, value: f64) {
        let labels = m.labels.iter().copied().chain(extra);
        let series = if self.utf8 { quoted_series_text(name, labels) } else { series_text(name, labels) };
        match m.timestamp_ms {
            Some(ts) => self.line(origin, format_args!("{series} {} {ts}", show(value))),
            None => self.line(origin, format_args!("{series} {}", show(value))),
        }
    }

    fn family(&mut self, f: &FamilyMsg<'_>, message: usize, at: usize, report: &mut Report) {
        let origin = Origin { message, at, help: false };
        if !(is_metric_name(f.name) || self.utf8 && is_utf8_name(f.name)) {
            let what = if f.name.is_empty() { "no name".to_owned() } else { format!("the name {:?}", f.name) };
            report.at_offset(
                message,
                at,
                Rule::MetricName,
                format!("a family with {what}, not [a-zA-Z_:][a-zA-Z0-9_:]*"),
            );
            return;
        }
        let Some((kind, text_type)) = family_type(f.kind) else {
            report.at_offset(
                message,
                at,
                Rule::InvalidType,
                format!("family `{}` has type {}, which metrics.proto does not define", f.name, f.kind),
            );
            return;
        };
        if let Some(help) = f.help {
            let mut escaped = String::with_capacity(help.len());
            for c in help.chars() {
                match c {
                    '\\' => escaped.push_str("\\\\"),
                    '\n' => escaped.push_str("\\n"),
                    c => escaped.push(c),
                }
            }
            let name = text_name(f.name);
            self.line(Origin { help: true, ..origin }, format_args!("# HELP {name} {escaped}"));
        }
        self.line(origin, format_args!("# TYPE {} {text_type}", text_name(f.name)));
        let unit = f.unit.filter(|u| !u.is_empty());
        if let Some(unit) = unit {
            let base =
                if kind == FamilyType::Counter { f.name.strip_suffix("_total").unwrap_or(f.name) } else { f.name };
            if !base.strip_suffix(unit).is_some_and(|rest| rest.ends_with('_')) {
                report.at_offset(
                    message,
                    at,
                    Rule::Unit,
                    format!("family `{}` has unit `{unit}`, which does not end its name", f.name),
                );
            }
        }
        let mut extras = FamilyExtras {
            name: f.name.to_owned(),
            kind,
            unit: unit.map(str::to_owned),
            message,
            series: Vec::new(),
            natives: Vec::new(),
        };
        for m in &f.metrics {
            let utf8 = self.utf8;
            if let Some((bad, _)) = m.labels.iter().find(|(n, _)| !(is_label_name(n) || utf8 && is_utf8_name(n))) {
                report.at_offset(
                    message,
                    m.at,
                    Rule::LabelName,
                    format!("a series of `{}` has the label name {bad:?}", f.name),
                );
                continue;
            }
            if let Some(series) = self.series(f, kind, m, message, report, &mut extras.natives) {
                extras.series.push(series);
            }
        }
        self.families.push(extras);
    }

    /// Writes the samples of one series; `None` (reported) when it lacks its type's value message.
    fn series(
        &mut self,
        f: &FamilyMsg<'_>,
        kind: FamilyType,
        m: &MetricMsg<'_>,
        message: usize,
        report: &mut Report,
        natives: &mut Vec<crate::model::NativeHistogram>,
    ) -> Option<SeriesExtras> {
        let origin = Origin { message, at: m.at, help: false };
        let missing = |report: &mut Report, what: &str| {
            report.at_offset(
                message,
                m.at,
                Rule::Protobuf,
                format!("a series of the {kind} `{}` has no {what}", f.name),
            );
        };
        let mut extras = SeriesExtras::default();
        let name = f.name;
        match kind {
            FamilyType::Counter => {
                let Some(c) = &m.counter else {
                    missing(report, "Counter");
                    return None;
                };
                self.sample(origin, name, m, None, c.value);
                extras.created = c.created.map(seconds);
                if let Some(e) = &c.exemplar {
                    extras.exemplars.push((0, exemplar(e, message, m.at, report)));
                }
                extras.samples = 1;
            }
            FamilyType::Gauge | FamilyType::Untyped => {
                let value = if kind == FamilyType::Gauge { m.gauge } else { m.untyped };
                let Some(value) = value else {
                    missing(report, if kind == FamilyType::Gauge { "Gauge" } else { "Untyped" });
                    return None;
                };
                self.sample(origin, name, m, None, value);
                extras.samples = 1;
            }
            FamilyType::Summary => {
                let Some(s) = &m.summary else {
                    missing(report, "Summary");
                    return None;
                };
                for &(q, v) in &s.quantiles {
                    self.sample(origin, name, m, Some(("quantile", &canonical_float(q))), v);
                }
                self.sample(origin, &format!("{name}_sum"), m, None, s.sample_sum);
                self.sample(origin, &format!("{name}_count"), m, None, s.sample_count as f64);
                extras.created = s.created.map(seconds);
                extras.samples = s.quantiles.len() + 2;
            }
            _ => {
                let Some(h) = &m.histogram else {
                    missing(report, "Histogram");
                    return None;
                };
                let total = count(h.sample_count, h.sample_count_float);
                let bucket_name = format!("{name}_bucket");
                for (i, b) in h.buckets.iter().enumerate() {
                    let le = canonical_float(b.upper_bound);
                    self.sample(
                        origin,
                        &bucket_name,
                        m,
                        Some(("le", &le)),
                        count(b.cumulative_count, b.cumulative_count_float),
                    );
                    if let Some(e) = &b.exemplar {
                        extras.exemplars.push((i, exemplar(e, message, m.at, report)));
                    }
                }
                let explicit_inf = h.buckets.last().is_some_and(|b| b.upper_bound == f64::INFINITY);
                if !explicit_inf {
                    self.sample(origin, &bucket_name, m, Some(("le", "+Inf")), total);
                }
                self.sample(origin, &format!("{name}_sum"), m, None, h.sample_sum);
                self.sample(origin, &format!("{name}_count"), m, None, total);
                extras.created = h.created.map(seconds);
                extras.samples = h.buckets.len() + usize::from(!explicit_inf) + 2;
                if let Some(native) = native::read(h, &m.labels, extras.created, message, m.at, report) {
                    natives.push(native);
                }
            }
        }
        Some(extras)
    }

    /// Adds to the parsed families what the text left out, and sets their lines to their messages.
    fn complete(self, families: &mut [ParsedFamily]) {
        let origin = |line: usize| self.origins.get(line.wrapping_sub(1)).map_or(0, |o| o.message);
        let mut extras = self.families.into_iter().peekable();
        // The parser makes one family a message, in order; where names repeat (an error, reported) the
        // extras of the repeats are left out.
        for family in families.iter_mut() {
            family.first_line = origin(family.first_line);
            family.last_line = origin(family.last_line);
            for sample in &mut family.samples {
                sample.line = origin(sample.line);
            }
            let Some(extra) = extras.next_if(|e| e.name == family.name && e.message == family.first_line) else {
                continue;
            };
            family.unit = extra.unit;
            family.kind = extra.kind;
            family.native_histograms = extra.natives;
            let mut samples = family.samples.iter_mut();
            for series in extra.series {
                let mut exemplars = series.exemplars.into_iter().peekable();
                for (i, sample) in samples.by_ref().take(series.samples).enumerate() {
                    sample.created = series.created;
                    if let Some((_, e)) = exemplars.next_if(|(at, _)| *at == i) {
                        sample.exemplar = Some(e);
                    }
                }
            }
        }
    }
}

/// An exemplar as the model holds it; one whose labels exceed 128 characters is reported.
fn exemplar(e: &ExemplarMsg<'_>, message: usize, at: usize, report: &mut Report) -> Exemplar {
    let chars: usize = e.labels.iter().map(|(n, v)| n.chars().count() + v.chars().count()).sum();
    if chars > 128 {
        report.at_offset(
            message,
            at,
            Rule::Exemplar,
            format!("an exemplar's labels have {chars} characters, over 128"),
        );
    }
    Exemplar {
        labels: e.labels.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        value: e.value,
        timestamp: e.timestamp.map(seconds),
    }
}

#[cfg(test)]
mod tests;
