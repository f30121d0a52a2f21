//! What fuzzing found (`scripts/fuzz`, targets in `fuzz/`), kept as tests so it stays fixed.
//!
//! - `round_trip`: an empty HELP text is left out of both formats, and reads back as no HELP.
//! - `round_trip`: a HELP text that starts with a blank. The 0.0.4 encoder writes `# HELP name  text`;
//!   the strict parser reads the text after the first blank, as Prometheus does, so it comes back exactly,
//!   with one warning, since promtool's parser drops the blank. OpenMetrics has no such ambiguity.
//! - `parse_repeated`, and before it a review for it: lines with tens of thousands of labels or of bad
//!   escapes made the parser quadratic (label sets compared pair by pair, each column counted from the
//!   start of the line).

use std::sync::Arc;

use promstruct::{Counter, Descriptor, Format, MetricType, OpenFamily, OpenOptions, Registry};
use promstruct_testing::{Rule, Severity, assert_valid, parse, scrape, validate};

/// A registry with one counter family `fuzz_values` of help `help` and one series `value="v"` at 3.
fn registry(help: &str) -> Registry {
    let registry = Registry::builder().self_metrics(false).build();
    let desc =
        Descriptor::builder("fuzz_values", MetricType::Counter, help.to_owned()).labels(["value"]).build().unwrap();
    let family = Arc::new(OpenFamily::<Counter>::new(desc, (), OpenOptions::new()));
    registry.register(family.clone()).unwrap();
    family.get(&["v"]).inc_by(3);
    registry
}

fn encode(registry: &Registry, format: Format) -> String {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn an_empty_help_is_left_out_and_reads_back_as_none() {
    let registry = registry("");
    for (format, family) in [(Format::Text, "fuzz_values_total"), (Format::OpenMetrics, "fuzz_values")] {
        let exposition = scrape(&registry, format);
        assert!(!encode(&registry, format).contains("# HELP"), "{format:?}");
        assert_eq!(exposition.family(family).unwrap().help, None, "{format:?}");
        assert_eq!(exposition.value("fuzz_values_total", &[("value", "v")]), Some(3.0));
    }
}

#[test]
fn a_help_that_starts_with_a_blank_comes_back_exactly() {
    for help in [" ", "  ", " leading", "\ttab", " \t mixed and trailing \t "] {
        let registry = registry(help);

        let text = encode(&registry, Format::Text);
        let exposition = parse(&text, Format::Text).unwrap_or_else(|v| panic!("{help:?}: {v}\n{text}"));
        assert_eq!(exposition.family("fuzz_values_total").unwrap().help.as_deref(), Some(help), "{text}");
        let warnings: Vec<(usize, Rule, Severity)> =
            exposition.warnings().iter().map(|w| (w.line, w.rule, w.severity)).collect();
        assert_eq!(warnings, [(1, Rule::Whitespace, Severity::Warning)], "{help:?}: the HELP line is flagged");

        let exposition = scrape(&registry, Format::OpenMetrics);
        assert_eq!(exposition.family("fuzz_values").unwrap().help.as_deref(), Some(help));
    }
    // Written by hand with one blank, the same text reads back without its leading blank and with no warning.
    let exposition = assert_valid("# HELP a leading\n# TYPE a gauge\na 1\n", Format::Text);
    assert_eq!(exposition.family("a").unwrap().help.as_deref(), Some("leading"));
}

#[test]
fn a_line_of_twenty_thousand_labels_or_bad_escapes_is_read_once_through() {
    // One line, no newline inside: `a{l0="",l1="",...,l19999="",l0=""} 1` has one repeated label.
    let mut line = String::from("a{");
    for i in 0..20_000 {
        line.push_str(&format!("l{i}=\"\","));
    }
    line.push_str("l0=\"\"} 1\n");
    let violations = validate(&line, Format::Text);
    assert_eq!(violations.len(), 1, "{:?}", &violations[..violations.len().min(3)]);
    assert_eq!((violations[0].rule, violations[0].column), (Rule::DuplicateLabel, line.rfind("l0=").unwrap() + 1));

    // 20,000 unknown escapes in one OpenMetrics label value: a warning each, at its own column.
    let text = format!("a{{b=\"{}\"}} 1\n# EOF\n", "\\q".repeat(20_000));
    let violations = validate(&text, Format::OpenMetrics);
    assert_eq!(violations.len(), 20_000);
    assert!(violations.iter().enumerate().all(|(k, v)| v.rule == Rule::Escape && v.column == 6 + 2 * k));
    let exposition = parse(&text, Format::OpenMetrics).unwrap();
    assert_eq!(exposition.samples().next().unwrap().label("b").map(str::len), Some(40_000));
}
