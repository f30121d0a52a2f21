//! What the fuzz targets check, shared by them.

use promstruct::Format;
use promstruct_testing::{Violation, parse, parse_protobuf, validate, validate_protobuf};

/// Both formats.
pub const FORMATS: [Format; 2] = [Format::Text, Format::OpenMetrics];

/// Parses `text` as `format` and checks that the outcome holds together: violations located inside the
/// text and in text order, [`parse`] failing exactly when [`validate`] finds an error and reporting the
/// same violations, and every sample of a valid exposition found again by its name and labels.
pub fn check_parse(text: &str, format: Format) {
    let violations = validate(text, format);
    let lines = text.split('\n').count();
    for v in &violations {
        assert!(v.line >= 1 && v.line <= lines + 1, "line out of the text: {v}");
        assert!(v.column >= 1, "column 0: {v}");
        let _ = v.to_string();
    }
    let order: Vec<(usize, usize)> = violations.iter().map(|v| (v.line, v.column)).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "violations out of order: {order:?}");
    let has_error = violations.iter().any(Violation::is_error);
    match parse(text, format) {
        Ok(exposition) => {
            assert!(!has_error, "parse accepted what validate refuses: {violations:?}");
            assert_eq!(exposition.warnings(), violations.as_slice());
            for sample in exposition.samples() {
                let labels: Vec<(&str, &str)> = sample.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                let found = exposition
                    .sample(&sample.name, &labels)
                    .unwrap_or_else(|| panic!("sample `{}` on line {} not found again", sample.series(), sample.line));
                assert_eq!(found.name, sample.name);
                assert!(found.has_labels(&labels));
                assert!(found.line <= sample.line, "the lookup gives the first of a series");
                assert!(exposition.family_of(&sample.name).is_some(), "no family for `{}`", sample.name);
            }
        }
        Err(refused) => {
            assert!(has_error, "parse refused what validate accepts: {violations:?}");
            assert_eq!(refused.as_slice(), violations.as_slice());
            let _ = refused.to_string();
        }
    }
}

/// Decodes `body` as protobuf and checks that the outcome holds together: violations in message order
/// and inside the body, [`parse_protobuf`] failing exactly when [`validate_protobuf`] finds an error and
/// reporting the same violations, every sample of a valid exposition found again by its name and labels.
pub fn check_protobuf(body: &[u8]) {
    let violations = validate_protobuf(body);
    let order: Vec<(usize, usize)> = violations.iter().map(|v| (v.line, v.column)).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "violations out of order: {order:?}");
    match parse_protobuf(body) {
        Ok(exposition) => {
            assert!(!violations.iter().any(Violation::is_error), "parse accepted what validate refuses");
            assert_eq!(exposition.warnings(), violations.as_slice());
            for v in exposition.warnings() {
                assert!(v.column >= 1 && v.column <= body.len() + 1, "a warning outside the body: {v}");
            }
            for sample in exposition.samples() {
                let labels: Vec<(&str, &str)> = sample.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                assert!(exposition.sample(&sample.name, &labels).is_some(), "`{}` not found again", sample.series());
                assert!(sample.line >= 1, "a sample of no message: {}", sample.series());
            }
        }
        Err(refused) => {
            assert!(refused.errors().count() > 0, "a refusal without an error");
            for v in refused.iter() {
                assert!(v.column >= 1 && v.column <= body.len() + 1, "an error outside the body: {v}");
                let _ = v.to_string();
            }
            assert_eq!(refused.as_slice(), violations.as_slice());
        }
    }
}
