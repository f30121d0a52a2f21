//! One-line assertions for tests of instrumentation, in the spirit of client_golang's `testutil`.
//!
//! Each scrape they take is validated strictly: a violation of any severity fails the test, with every
//! violation listed beside the line it is on.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use promstruct::{Format, Registry};

use crate::model::{Exposition, FamilyType, ParsedFamily, Sample, series_text};
use crate::parser::show;
use crate::violation::Violation;

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text format 0.0.4",
        Format::OpenMetrics => "OpenMetrics",
        Format::Protobuf => "protobuf",
    }
}

/// Encodes `registry` in `format`; panics if a collector panics.
#[track_caller]
fn encode(registry: &Registry, format: Format) -> Vec<u8> {
    let mut buf = Vec::new();
    if let Err(err) = registry.encode(format, &mut buf) {
        panic!("the registry could not be encoded: {err}");
    }
    buf
}

/// The body as text, or a panic naming the format when it is not UTF-8.
#[track_caller]
fn as_text(body: &[u8], format: Format) -> &str {
    match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(err) => panic!("the {} exposition is not UTF-8: {err}", format_name(format)),
    }
}

/// Each violation with the line it is on (a text body's), for a panic message.
pub(crate) fn render(body: &[u8], format: Format, violations: &[Violation]) -> String {
    let text = if format.is_text() { String::from_utf8_lossy(body) } else { "".into() };
    let lines: Vec<&str> = if format.is_text() { text.split('\n').collect() } else { Vec::new() };
    let mut out = String::new();
    for v in violations {
        let _ = writeln!(out, "  {v}");
        if let Some(line) = lines.get(v.line - 1) {
            let shown: String = line.chars().take(160).collect();
            let more = if shown.len() < line.len() { " ..." } else { "" };
            let _ = writeln!(out, "  {:>6} | {}{more}", v.line, shown.escape_debug());
        }
    }
    out
}

/// Parses `text` in `format` and returns it, or panics listing every violation, warnings included.
///
/// ```
/// use promstruct::Format;
/// use promstruct_testing::assert_valid;
///
/// let exposition = assert_valid("# TYPE up gauge\nup 1\n", Format::Text);
/// assert_eq!(exposition.value("up", &[]), Some(1.0));
/// ```
#[track_caller]
pub fn assert_valid(text: &str, format: Format) -> Exposition {
    assert_valid_body(text.as_bytes(), format)
}

/// [`assert_valid`] for a body as received, in any format: a text format's must be UTF-8, a protobuf
/// one is read by [`parse_protobuf`](crate::parse_protobuf).
///
/// ```
/// use promstruct::{Format, Registry};
/// use promstruct_testing::assert_valid_body;
///
/// let mut body = Vec::new();
/// Registry::new().encode(Format::Protobuf, &mut body).unwrap();
/// let exposition = assert_valid_body(&body, Format::Protobuf);
/// assert_eq!(exposition.value("promstruct_series", &[]), Some(0.0));
/// ```
#[track_caller]
pub fn assert_valid_body(body: &[u8], format: Format) -> Exposition {
    let outcome = match format {
        Format::Protobuf => crate::parse_protobuf(body),
        _ => crate::parse(as_text(body, format), format),
    };
    let violations: Vec<Violation> = match &outcome {
        Ok(exposition) => exposition.warnings().to_vec(),
        Err(violations) => violations.as_slice().to_vec(),
    };
    if !violations.is_empty() {
        let errors = violations.iter().filter(|v| v.is_error()).count();
        panic!(
            "the {} exposition breaks {} rule(s) ({errors} error(s), {} warning(s)):\n{}",
            format_name(format),
            violations.len(),
            violations.len() - errors,
            render(body, format, &violations)
        );
    }
    match outcome {
        Ok(exposition) => exposition,
        Err(violations) => unreachable!("a failed parse reports violations: {violations}"),
    }
}

/// Encodes `registry` in `format`, validates the text strictly and returns it parsed.
///
/// Panics if a collector panics, or if the exposition breaks any rule of the format, warnings included:
/// what `registry` writes must be clean.
///
/// ```
/// use promstruct::{Format, Registry};
/// use promstruct_testing::scrape;
///
/// let registry = Registry::new();
/// let exposition = scrape(&registry, Format::OpenMetrics);
/// assert_eq!(exposition.value("promstruct_series", &[]), Some(0.0));
/// ```
#[track_caller]
pub fn scrape(registry: &Registry, format: Format) -> Exposition {
    assert_valid_body(&encode(registry, format), format)
}

/// The value of the sample `name{labels}` (suffix included: `jobs_total`) in an OpenMetrics scrape of
/// `registry`, validated as [`scrape`] does; `None` if there is no such sample.
#[track_caller]
pub fn value(registry: &Registry, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape(registry, Format::OpenMetrics).value(name, labels)
}

/// Panics unless an OpenMetrics scrape of `registry` is valid and has the sample `name{labels}` (suffix
/// included, labels in any order) with the value `expected`; NaN matches NaN.
///
/// The message lists the series of that name, or the names closest to it.
///
/// ```
/// use promstruct::{Counter, DenseFamily, Descriptor, MetricType, Registry};
/// use promstruct_testing::assert_value;
/// use std::sync::Arc;
///
/// let jobs = Arc::new(DenseFamily::<(), Counter>::new(Descriptor::new("jobs", MetricType::Counter, "Jobs.").unwrap(), ()));
/// let registry = Registry::new();
/// registry.register(jobs.clone()).unwrap();
/// jobs.get(()).inc_by(3);
/// assert_value(&registry, "jobs_total", &[], 3.0);
/// ```
#[track_caller]
pub fn assert_value(registry: &Registry, name: &str, labels: &[(&str, &str)], expected: f64) {
    scrape(registry, Format::OpenMetrics).assert_value(name, labels, expected);
}

/// The check behind [`Exposition::assert_value`]: the failure message, or nothing.
pub(crate) fn check_value(
    exposition: &Exposition,
    name: &str,
    labels: &[(&str, &str)],
    expected: f64,
) -> Result<(), String> {
    let wanted = series_text(name, labels.iter().copied());
    if let Some(sample) = exposition.sample(name, labels) {
        let equal = sample.value == expected || (sample.value.is_nan() && expected.is_nan());
        if equal {
            return Ok(());
        }
        return Err(format!(
            "`{wanted}` is {}, expected {} (line {} of the {} scrape)",
            show(sample.value),
            show(expected),
            sample.line,
            format_name(exposition.format())
        ));
    }
    let mut message = format!("no sample `{wanted}` in the {} scrape", format_name(exposition.format()));
    let same_name: Vec<&Sample> = exposition.samples_named(name).collect();
    if !same_name.is_empty() {
        let _ = write!(message, "; the series named `{name}` are:");
        for sample in same_name.iter().take(20) {
            let _ = write!(message, "\n  {} {}", sample.series(), show(sample.value));
        }
        if same_name.len() > 20 {
            let _ = write!(message, "\n  ... and {} more", same_name.len() - 20);
        }
        return Err(message);
    }
    let mut names: Vec<&str> = exposition.samples().map(|s| s.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let mut close: Vec<(usize, &str)> = names.iter().map(|n| (distance(n, name), *n)).collect();
    close.sort();
    let close: Vec<String> = close.iter().take(5).map(|(_, n)| format!("`{n}`")).collect();
    if close.is_empty() {
        message.push_str("; it has no samples");
    } else {
        let _ = write!(message, "; no sample is named `{name}`; the closest names are {}", close.join(", "));
    }
    Err(message)
}

/// Levenshtein distance, in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// Panics unless the families `expected` describes are exposed by `registry` exactly so.
///
/// `expected` is exposition text in `format` (in the text format 0.0.4 for [`Format::Protobuf`], whose
/// scrape is compared by its samples); indentation common to its lines is removed, so it can be an
/// indented raw string, and in OpenMetrics a missing `# EOF` is added. For each family it names (by its
/// `# TYPE` line, which it must have for typed families), the scrape must have the same type, the same
/// `# HELP` and `# UNIT` where `expected` writes them, and the same series with the same values,
/// timestamps and exemplars, in any order. Families `expected` does not name are not compared, and
/// `_created` samples are ignored on both sides, their values being the time of the test. The scrape is
/// validated as [`scrape`] does.
///
/// ```
/// use promstruct::{Counter, DenseFamily, Descriptor, Format, MetricType, Registry};
/// use promstruct_testing::assert_scrape_eq;
/// use std::sync::Arc;
///
/// let desc = Descriptor::builder("jobs", MetricType::Counter, "Jobs run.").labels(["queue"]).build().unwrap();
/// let jobs = Arc::new(promstruct::OpenFamily::<Counter>::new(desc, (), promstruct::OpenOptions::new()));
/// let registry = Registry::new();
/// registry.register(jobs.clone()).unwrap();
/// jobs.get(&["mail"]).inc();
/// jobs.get(&["sms"]).inc_by(2);
///
/// assert_scrape_eq(&registry, Format::Text, r#"
///     ## HELP jobs_total Jobs run.
///     ## TYPE jobs_total counter
///     jobs_total{queue="sms"} 2
///     jobs_total{queue="mail"} 1
/// "#);
/// assert_scrape_eq(&registry, Format::OpenMetrics, r#"
///     ## TYPE jobs counter
///     ## HELP jobs Jobs run.
///     jobs_total{queue="mail"} 1
///     jobs_total{queue="sms"} 2
/// "#);
/// ```
#[track_caller]
pub fn assert_scrape_eq(registry: &Registry, format: Format, expected: &str) {
    exposition_eq(&encode(registry, format), format, expected);
}

/// [`assert_scrape_eq`] for exposition text obtained otherwise (an HTTP response body, a custom encoder):
/// panics unless `actual` is valid in `format` and has the families `expected` names exactly so.
#[track_caller]
pub fn assert_exposition_eq(actual: &str, format: Format, expected: &str) {
    exposition_eq(actual.as_bytes(), format, expected);
}

#[track_caller]
fn exposition_eq(actual: &[u8], format: Format, expected: &str) {
    let mut expected_text = dedent(expected);
    if format == Format::OpenMetrics && !expected_text.lines().any(|l| l == "# EOF") {
        expected_text.push_str("# EOF\n");
    }
    let expected_format = if format == Format::Protobuf { Format::Text } else { format };
    let expected = match crate::parse(&expected_text, expected_format) {
        Ok(expected) => expected,
        Err(violations) => {
            let errors: Vec<Violation> = violations.errors().cloned().collect();
            panic!(
                "the expected text is not a valid {} exposition:\n{}\n{expected_text}",
                format_name(expected_format),
                render(expected_text.as_bytes(), expected_format, &errors)
            );
        }
    };
    let scraped = assert_valid_body(actual, format);
    let differences = compare(&scraped, &expected);
    if differences.is_empty() {
        return;
    }
    let mut message = format!("the {} scrape differs from the expected text:\n", format_name(format));
    for difference in &differences {
        let _ = writeln!(message, "  - {difference}");
    }
    let _ = write!(message, "expected:\n{expected_text}actual (the same families):\n");
    if format.is_text() {
        let actual = String::from_utf8_lossy(actual);
        let lines: Vec<&str> = actual.split('\n').collect();
        for family in expected.families() {
            if let Some(found) = scraped.family(&family.name) {
                for line in lines.iter().take(found.last_line).skip(found.first_line - 1) {
                    let _ = writeln!(message, "{line}");
                }
            }
        }
    } else {
        for family in expected.families() {
            if let Some(found) = scraped.family(&family.name) {
                let _ = writeln!(message, "# TYPE {} {}", found.name, found.kind);
                for sample in &found.samples {
                    let _ = writeln!(message, "{} {}", sample.series(), show(sample.value));
                }
            }
        }
    }
    panic!("{message}");
}

/// Removes a first empty line, a last blank one, and the indentation common to all lines.
fn dedent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in lines {
        out.push_str(line.get(indent..).unwrap_or(""));
        out.push('\n');
    }
    out
}

/// The key of a sample for comparison: its series with labels sorted, and its timestamp.
fn sample_key(sample: &Sample) -> String {
    let mut labels: Vec<(&str, &str)> = sample.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    labels.sort_unstable();
    let mut key = series_text(&sample.name, labels);
    if let Some(ts) = sample.timestamp {
        let _ = write!(key, " @{}", show(ts));
    }
    key
}

fn is_created(family: &ParsedFamily, sample: &Sample) -> bool {
    matches!(family.kind, FamilyType::Counter | FamilyType::Histogram | FamilyType::Summary)
        && sample.name.strip_prefix(family.name.as_str()) == Some("_created")
}

fn same_value(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// How `actual` differs from `expected` in the families `expected` has.
fn compare(actual: &Exposition, expected: &Exposition) -> Vec<String> {
    let mut differences = Vec::new();
    for want in expected.families() {
        let Some(have) = actual.family(&want.name) else {
            let names: Vec<&str> = actual.families().iter().map(|f| f.name.as_str()).collect();
            differences.push(format!("family `{}` is not in the scrape, which has: {}", want.name, names.join(", ")));
            continue;
        };
        if have.kind != want.kind {
            differences.push(format!("family `{}` is a {}, expected a {}", want.name, have.kind, want.kind));
        }
        if want.help.is_some() && have.help != want.help {
            differences.push(format!("family `{}` has help {:?}, expected {:?}", want.name, have.help, want.help));
        }
        if want.unit.is_some() && have.unit != want.unit {
            differences.push(format!("family `{}` has unit {:?}, expected {:?}", want.name, have.unit, want.unit));
        }
        let mut have_samples: BTreeMap<String, &Sample> = BTreeMap::new();
        for sample in have.samples.iter().filter(|s| !is_created(have, s)) {
            have_samples.entry(sample_key(sample)).or_insert(sample);
        }
        for sample in want.samples.iter().filter(|s| !is_created(want, s)) {
            let key = sample_key(sample);
            match have_samples.remove(&key) {
                None => differences.push(format!("missing `{key}` (expected {})", show(sample.value))),
                Some(found) => {
                    if !same_value(found.value, sample.value) {
                        differences.push(format!("`{key}` is {}, expected {}", show(found.value), show(sample.value)));
                    }
                    let exemplars_equal = match (&found.exemplar, &sample.exemplar) {
                        (None, None) => true,
                        (Some(a), Some(b)) => {
                            same_value(a.value, b.value)
                                && a.timestamp == b.timestamp
                                && a.labels.len() == b.labels.len()
                                && a.labels.iter().all(|l| b.labels.contains(l))
                        }
                        _ => false,
                    };
                    if !exemplars_equal {
                        differences
                            .push(format!("`{key}` has exemplar {:?}, expected {:?}", found.exemplar, sample.exemplar));
                    }
                }
            }
        }
        for (key, sample) in have_samples {
            differences.push(format!("unexpected `{key}` = {}", show(sample.value)));
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedent_strips_common_indentation() {
        let text = "\n    # TYPE a gauge\n      a 1\n    ";
        assert_eq!(dedent(text), "# TYPE a gauge\n  a 1\n");
        assert_eq!(dedent("a 1\n"), "a 1\n");
    }

    #[test]
    fn edit_distance() {
        assert_eq!(distance("jobs_total", "jobs_total"), 0);
        assert_eq!(distance("job_total", "jobs_total"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
