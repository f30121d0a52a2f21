//! Unit tests of the quoted UTF-8 names that [`parse_utf8`] reads (text 1.0.0, OpenMetrics under
//! `escaping=allow-utf-8`).

use super::*;
use promstruct::Format;

const OM: Format = Format::OpenMetrics;
const TEXT: Format = Format::Text;

/// The errors as (line, rule).
fn errors(text: &str, format: Format) -> Vec<(usize, Rule)> {
    validate_utf8(text, format).into_iter().filter(Violation::is_error).map(|v| (v.line, v.rule)).collect()
}

#[test]
fn quoted_names_in_metadata_braces_and_labels() {
    let om = "# TYPE \"http.requests\" counter\n# HELP \"http.requests\" Requests.\n\
              {\"http.requests_total\",\"service.name\"=\"api\",code=\"200\"} 3\n\
              {\"http.requests_total\"} 1\n# EOF\n";
    let e = parse_utf8(om, OM).unwrap();
    let family = &e.families()[0];
    assert_eq!(
        (family.name.as_str(), family.kind, family.help.as_deref()),
        ("http.requests", FamilyType::Counter, Some("Requests."))
    );
    assert_eq!(e.value("http.requests_total", &[("service.name", "api"), ("code", "200")]), Some(3.0));
    assert_eq!(e.value("http.requests_total", &[]), Some(1.0));
    assert!(e.warnings().is_empty());
    let text = "# HELP \"a.b_total\" A.\n# TYPE \"a.b_total\" counter\n{\"a.b_total\",le_x=\"1\"} 2\n";
    assert_eq!(parse_utf8(text, TEXT).unwrap().value("a.b_total", &[("le_x", "1")]), Some(2.0));
    // A legacy name may be quoted too, and a quoted name may hold escapes.
    let quoted =
        "# TYPE \"plain\" gauge\n{\"plain\"} 1\n# TYPE \"say \\\"hi\\\"\" gauge\n{\"say \\\"hi\\\"\"} 2\n# EOF\n";
    let e = parse_utf8(quoted, OM).unwrap();
    assert_eq!((e.value("plain", &[]), e.value("say \"hi\"", &[])), (Some(1.0), Some(2.0)));
}

#[test]
fn the_other_rules_still_apply() {
    // A counter sample without its suffix, a family interleaved, an empty name, no name at all, a name
    // not first.
    assert_eq!(errors("# TYPE \"a.b\" counter\n{\"a.b\"} 1\n# EOF\n", OM), [(2, Rule::Suffix)]);
    let interleaved =
        "# TYPE \"a.b\" gauge\n{\"a.b\"} 1\n# TYPE \"c.d\" gauge\n{\"c.d\"} 1\n{\"a.b\",x=\"y\"} 1\n# EOF\n";
    assert_eq!(errors(interleaved, OM), [(5, Rule::Interleaved)]);
    assert_eq!(errors("{\"\"} 1\n# EOF\n", OM), [(1, Rule::MetricName)]);
    assert_eq!(errors("{c=\"d\"} 1\n# EOF\n", OM), [(1, Rule::MetricName)]);
    assert_eq!(errors("{c=\"d\",\"a.b\"} 1\n# EOF\n", OM), [(1, Rule::MetricName)]);
    assert_eq!(errors("{\"a.b\" 1\n# EOF\n", OM), [(1, Rule::LabelSyntax)]);
    // Duplicate quoted labels, reserved names.
    assert_eq!(errors("{\"a.b\",\"c.d\"=\"1\",\"c.d\"=\"2\"} 1\n# EOF\n", OM), [(1, Rule::DuplicateLabel)]);
    assert_eq!(errors("{\"a.b\",\"__x.y\"=\"1\"} 1\n# EOF\n", OM), [(1, Rule::LabelName)]);
    // Without UTF-8 names, quoting is a syntax error of the format.
    assert!(!validate("{\"a.b\"} 1\n# EOF\n", OM).is_empty());
    assert!(!validate("# TYPE \"a.b\" gauge\n", TEXT).is_empty());
}
