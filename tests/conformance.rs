//! The strict parser of `promstruct-testing` against the OpenMetrics project's 211 parser
//! conformance cases: it must accept exactly the valid ones and refuse exactly the invalid ones.
//!
//! The cases are read from `$OPENMETRICS_SUITE`, or else from `../shared/conformance/openmetrics-parsers`
//! beside the repository; they are never copied into it. Where they are missing the test says it was
//! skipped, except under `CI=true`, where it fails.

use std::fs;
use std::path::{Path, PathBuf};

use promstruct::Format;
use promstruct_testing::parse;

/// One case: its folder name, whether it must parse, and the input.
struct Case {
    name: String,
    should_parse: bool,
    input: String,
}

fn suite_dir() -> PathBuf {
    match std::env::var_os("OPENMETRICS_SUITE") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/openmetrics-parsers"),
    }
}

fn load(dir: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a readable folder entry").path();
        let spec_path = path.join("test.json");
        if !spec_path.is_file() {
            continue;
        }
        let name = path.file_name().expect("a case folder has a name").to_string_lossy().into_owned();
        let spec = fs::read_to_string(&spec_path).unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));
        let spec: serde_json::Value =
            serde_json::from_str(&spec).unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()));
        assert_eq!(spec["type"], "text", "{name}: only text cases exist in this suite");
        let file = spec["file"].as_str().unwrap_or_else(|| panic!("{name}: `file` is not a string"));
        let should_parse =
            spec["shouldParse"].as_bool().unwrap_or_else(|| panic!("{name}: `shouldParse` is not a bool"));
        let input_path = path.join(file);
        let bytes = fs::read(&input_path).unwrap_or_else(|e| panic!("{}: {e}", input_path.display()));
        // Invalid UTF-8 cannot reach a `&str` parser; it counts as refused.
        let input = String::from_utf8(bytes).unwrap_or_default();
        cases.push(Case { name, should_parse, input });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

#[test]
fn openmetrics_conformance() {
    let dir = suite_dir();
    if !dir.is_dir() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("the OpenMetrics conformance suite is missing at {} (set OPENMETRICS_SUITE)", dir.display());
        }
        println!("openmetrics conformance: SKIPPED, no suite at {} (set OPENMETRICS_SUITE)", dir.display());
        return;
    }
    let cases = load(&dir);
    assert!(!cases.is_empty(), "no cases found in {}", dir.display());

    let mut mismatches = Vec::new();
    for case in &cases {
        let outcome = parse(&case.input, Format::OpenMetrics);
        if outcome.is_ok() != case.should_parse {
            let detail = match outcome {
                Ok(_) => "accepted, but it is invalid".to_owned(),
                Err(violations) => format!("refused, but it is valid:\n{violations}"),
            };
            mismatches.push(format!("{}: {detail}", case.name));
        }
    }
    let valid = cases.iter().filter(|c| c.should_parse).count();
    println!(
        "openmetrics conformance: {}/{} ({valid} valid, {} invalid cases)",
        cases.len() - mismatches.len(),
        cases.len(),
        cases.len() - valid
    );
    assert!(mismatches.is_empty(), "{} case(s) mismatched:\n{}", mismatches.len(), mismatches.join("\n"));
}

/// Every violation reported on a case names a line of its text (or the line after the last, for a
/// missing `# EOF`), a column and a reason.
#[test]
fn violations_point_at_real_lines() {
    let dir = suite_dir();
    if !dir.is_dir() {
        println!("openmetrics conformance: SKIPPED, no suite at {}", dir.display());
        return;
    }
    for case in load(&dir) {
        if let Err(violations) = parse(&case.input, Format::OpenMetrics) {
            let lines = case.input.split('\n').count();
            for v in &violations {
                assert!(v.line >= 1 && v.line <= lines + 1, "{}: {v} is past the end ({lines} lines)", case.name);
                assert!(v.column >= 1, "{}: {v}", case.name);
                assert!(!v.message.is_empty(), "{}: {v}", case.name);
            }
        }
    }
}
