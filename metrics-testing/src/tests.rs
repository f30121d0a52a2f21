//! Unit tests of the parser, one or more per rule. The assertion helpers on real registries are tested in
//! `tests/registries.rs`.

use super::*;
use promstruct::Format;

const OM: Format = Format::OpenMetrics;
const TEXT: Format = Format::Text;

/// Every violation as (line, rule, severity).
fn found(text: &str, format: Format) -> Vec<(usize, Rule, Severity)> {
    validate(text, format).into_iter().map(|v| (v.line, v.rule, v.severity)).collect()
}

/// The errors as (line, rule).
fn errors(text: &str, format: Format) -> Vec<(usize, Rule)> {
    validate(text, format).into_iter().filter(Violation::is_error).map(|v| (v.line, v.rule)).collect()
}

/// The warnings as (line, rule).
fn warnings(text: &str, format: Format) -> Vec<(usize, Rule)> {
    validate(text, format).into_iter().filter(|v| !v.is_error()).map(|v| (v.line, v.rule)).collect()
}

#[track_caller]
fn clean(text: &str, format: Format) -> Exposition {
    assert_valid(text, format)
}

// ---- Lines, whitespace, EOF ----

#[test]
fn openmetrics_needs_eof_last_and_nothing_after() {
    assert_eq!(errors("a 1\n", OM), [(2, Rule::Eof)]);
    assert_eq!(errors("", OM), [(1, Rule::Eof)]);
    assert_eq!(errors("a 1\n# EOF\nb 1\n", OM), [(3, Rule::Eof)]);
    assert_eq!(errors("a 1\n# EOF\n\n", OM), [(3, Rule::Eof)]);
    // No newline after `# EOF` is allowed, and flagged.
    assert_eq!(found("a 1\n# EOF", OM), [(2, Rule::LineEnding, Severity::Warning)]);
    clean("a 1\n# EOF\n", OM);
}

#[test]
fn line_endings() {
    assert_eq!(errors("a 1\r\n# EOF\n", OM), [(1, Rule::LineEnding)]);
    assert_eq!(errors("a 1\r\n", TEXT), [(1, Rule::LineEnding)]);
    assert_eq!(errors("a 1", TEXT), [(1, Rule::LineEnding)]);
    assert_eq!(errors("\u{feff}a 1\n", TEXT), [(1, Rule::Encoding)]);
    // A raw carriage return inside a label value is data, not a line ending.
    let e = clean("a{l=\"x\ry\"} 1\n", TEXT);
    assert_eq!(e.value("a", &[("l", "x\ry")]), Some(1.0));
    clean("", TEXT);
}

#[test]
fn openmetrics_whitespace_is_exact() {
    assert_eq!(errors("a  1\n# EOF\n", OM), [(1, Rule::Whitespace)]);
    assert_eq!(errors("a 1 \n# EOF\n", OM), [(1, Rule::Whitespace)]);
    assert_eq!(errors(" a 1\n# EOF\n", OM), [(1, Rule::Whitespace)]);
    assert_eq!(errors("a 1\n\n# EOF\n", OM), [(2, Rule::BlankLine)]);
    assert_eq!(errors("a{b=\"c\", d=\"e\"} 1\n# EOF\n", OM), [(1, Rule::LabelSyntax)]);
    assert_eq!(errors("# a comment\n# EOF\n", OM), [(1, Rule::Comment)]);
}

#[test]
fn text_format_whitespace_is_lenient_but_flagged() {
    let text = "# HELP a  help\n#  TYPE a gauge\n\n  a{b = \"c\" ,}\t1\n";
    assert_eq!(errors(text, TEXT), []);
    let w = warnings(text, TEXT);
    assert!(w.contains(&(1, Rule::Whitespace)), "{w:?}");
    assert!(w.contains(&(2, Rule::Whitespace)), "{w:?}");
    assert!(w.contains(&(3, Rule::BlankLine)), "{w:?}");
    assert!(w.iter().filter(|(l, r)| *l == 4 && *r == Rule::Whitespace).count() >= 2, "{w:?}");
    let e = parse(text, TEXT).unwrap();
    assert_eq!(e.value("a", &[("b", "c")]), Some(1.0));
    // The HELP text is what follows the first blank (as Prometheus reads it), so a text that starts with
    // a blank survives; the extra blank is flagged.
    assert_eq!(e.family("a").unwrap().help.as_deref(), Some(" help"));
    assert_eq!(found("# HELP a\thelp\na 1\n", TEXT), [(1, Rule::Whitespace, Severity::Warning)]);
    assert_eq!(clean("# HELP a help  me \na 1\n", TEXT).family("a").unwrap().help.as_deref(), Some("help  me "));
    // Trailing whitespace is an error: Prometheus' parser refuses it.
    assert_eq!(errors("a 1 \n", TEXT), [(1, Rule::Whitespace)]);
    assert_eq!(errors("a 1 5 \n", TEXT), [(1, Rule::Whitespace)]);
    // Other comments are allowed in 0.0.4.
    clean("# just a comment\n#\na 1\n", TEXT);
}

// ---- Tokens ----

#[test]
fn names() {
    assert_eq!(errors("0a 1\n", TEXT), [(1, Rule::MetricName)]);
    assert_eq!(errors("a-b 1\n", TEXT), [(1, Rule::MetricName)]);
    assert_eq!(errors("a{0b=\"c\"} 1\n", TEXT), [(1, Rule::LabelName)]);
    assert_eq!(errors("a{__name__=\"c\"} 1\n", TEXT), [(1, Rule::LabelName)]);
    assert_eq!(found("a{__x=\"c\"} 1\n", TEXT), [(1, Rule::LabelName, Severity::Warning)]);
    assert_eq!(errors("a{__x=\"c\"} 1\n# EOF\n", OM), [(1, Rule::LabelName)]);
    assert_eq!(found("__a 1\n", TEXT), [(1, Rule::MetricName, Severity::Warning)]);
    assert_eq!(errors("a{b=\"1\",b=\"2\"} 1\n", TEXT), [(1, Rule::DuplicateLabel)]);
    assert_eq!(errors("{\"a.b\"} 1\n# EOF\n", OM), [(1, Rule::MetricName)]);
    assert_eq!(errors("a:b_c 1\n", TEXT), []);
}

#[test]
fn label_syntax() {
    for bad in ["a{b} 1", "a{b=c} 1", "a{b=\"c} 1", "a{b=\"c\"d=\"e\"} 1", "a{,b=\"c\"} 1", "a{b=\"c\" 1"] {
        assert_eq!(errors(&format!("{bad}\n"), TEXT), [(1, Rule::LabelSyntax)], "{bad}");
    }
    assert_eq!(errors("a{b=\"c\",} 1\n# EOF\n", OM), [(1, Rule::LabelSyntax)]);
    assert_eq!(errors("a{b=\"c\",} 1\n", TEXT), [], "0.0.4 allows a trailing comma");
    let e = clean("a{b=\"} # {\",c=\"\"} 1\n# EOF\n", OM);
    assert_eq!(e.value("a", &[("c", ""), ("b", "} # {")]), Some(1.0));
}

#[test]
fn escapes() {
    // The three escapes of label values, in both formats.
    let e = clean("a{b=\"q\\\"b\\\\n\\n\"} 1\n", TEXT);
    assert_eq!(e.samples().next().unwrap().label("b"), Some("q\"b\\n\n"));
    // Any other escape: an error for 0.0.4, read as written (flagged) in OpenMetrics.
    assert_eq!(errors("a{b=\"\\t\"} 1\n", TEXT), [(1, Rule::Escape)]);
    let e = parse("a{b=\"\\t\"} 1\n# EOF\n", OM).unwrap();
    assert_eq!(e.samples().next().unwrap().label("b"), Some("\\t"));
    assert_eq!(e.warnings().iter().map(|v| v.rule).collect::<Vec<_>>(), [Rule::Escape]);
    // HELP: 0.0.4 escapes only `\\` and `\n`; `\"` is refused.
    let e = clean("# HELP a say \"hi\"\\\\\\n\na 1\n", TEXT);
    assert_eq!(e.family("a").unwrap().help.as_deref(), Some("say \"hi\"\\\n"));
    assert_eq!(errors("# HELP a say \\\"hi\\\"\na 1\n", TEXT), [(1, Rule::Escape), (1, Rule::Escape)]);
    assert_eq!(errors("# HELP a trailing \\\na 1\n", TEXT), [(1, Rule::Escape)]);
    let e = clean("# HELP a say \\\"hi\\\"\na 1\n# EOF\n", OM);
    assert_eq!(e.family("a").unwrap().help.as_deref(), Some("say \"hi\""));
}

#[test]
fn values_follow_each_formats_syntax() {
    for (text, value) in [("1_000", 1000.0), ("0x1p-3", 0.125), ("+Inf", f64::INFINITY), ("-1e3", -1000.0)] {
        let e = clean(&format!("a {text}\n"), TEXT);
        assert_eq!(e.value("a", &[]), Some(value), "{text}");
    }
    assert!(clean("a NaN\n", TEXT).value("a", &[]).unwrap().is_nan());
    for bad in ["1_000", "0x1p-3", "1,5", "one", "0b1"] {
        assert_eq!(errors(&format!("a {bad}\n# EOF\n"), OM), [(1, Rule::Value)], "{bad}");
    }
    assert_eq!(errors("a\n", TEXT), [(1, Rule::Value)]);
    assert_eq!(errors("a \n", TEXT), [(1, Rule::Value)]);
    assert_eq!(errors("a 1,5\n", TEXT), [(1, Rule::Value)]);
}

#[test]
fn timestamps_follow_each_formats_syntax() {
    let e = clean("a 1 1700000000000\n", TEXT);
    assert_eq!(e.samples().next().unwrap().timestamp, Some(1_700_000_000_000.0));
    assert_eq!(errors("a 1 1.5\n", TEXT), [(1, Rule::Timestamp)]);
    assert_eq!(errors("a 1 1 2\n", TEXT), [(1, Rule::Syntax)]);
    let e = clean("a 1 1.5e3\n# EOF\n", OM);
    assert_eq!(e.samples().next().unwrap().timestamp, Some(1500.0));
    assert_eq!(errors("a 1 NaN\n# EOF\n", OM), [(1, Rule::Timestamp)]);
}

#[test]
fn columns_count_characters() {
    let v = validate("a{l=\"ünï\"} x\n", TEXT);
    assert_eq!((v[0].line, v[0].column, v[0].rule), (1, 12, Rule::Value));
    assert!(v[0].message.contains("`x`"), "{}", v[0].message);
}

// ---- Metadata ----

#[test]
fn metadata_comes_first_and_once() {
    let text = "# TYPE a gauge\na 1\n# HELP a late\n# EOF\n";
    assert_eq!(errors(text, OM), [(3, Rule::MetadataOrder)]);
    assert_eq!(errors("# TYPE a gauge\na 1\n# TYPE a gauge\n", TEXT), [(3, Rule::MetadataOrder)]);
    assert_eq!(errors("# HELP a x\n# HELP a y\na 1\n", TEXT), [(2, Rule::DuplicateMetadata)]);
    assert_eq!(errors("# TYPE a gauge\n# TYPE a counter\n# EOF\n", OM), [(2, Rule::DuplicateMetadata)]);
    assert_eq!(errors("# UNIT a_s s\n# UNIT a_s s\n# EOF\n", OM), [(2, Rule::DuplicateMetadata)]);
    // OpenMetrics' order TYPE, UNIT, HELP is a warning; 0.0.4 has no order.
    assert_eq!(found("# HELP a x\n# TYPE a gauge\n# EOF\n", OM), [(2, Rule::MetadataOrder, Severity::Warning)]);
    clean("# TYPE a gauge\n# HELP a x\na 1\n", TEXT);
}

#[test]
fn malformed_metadata() {
    for bad in ["# HELP", "# HELP ", "# HELP a", "# TYPE a", "# UNIT a"] {
        assert_eq!(errors(&format!("{bad}\n# EOF\n"), OM), [(1, Rule::Metadata)], "{bad}");
    }
    assert_eq!(errors("# TYPE a\n", TEXT), [(1, Rule::Metadata)]);
    // An empty 0.0.4 HELP is allowed, as Prometheus reads it.
    assert_eq!(clean("# HELP a\na 1\n", TEXT).family("a").unwrap().help.as_deref(), Some(""));
}

#[test]
fn types() {
    assert_eq!(errors("# TYPE a untyped\n# EOF\n", OM), [(1, Rule::InvalidType)]);
    assert_eq!(errors("# TYPE a gauge \n# EOF\n", OM), [(1, Rule::InvalidType)]);
    for om_only in ["info", "stateset", "gaugehistogram", "unknown"] {
        assert_eq!(errors(&format!("# TYPE a {om_only}\n"), TEXT), [(1, Rule::InvalidType)], "{om_only}");
    }
    assert_eq!(errors("# TYPE a Counter\n", TEXT), [(1, Rule::InvalidType)]);
    assert_eq!(clean("# TYPE a untyped\na 1\n", TEXT).families()[0].kind, FamilyType::Untyped);
    assert_eq!(clean("a 1\n# EOF\n", OM).families()[0].kind, FamilyType::Unknown);
}

#[test]
fn text_format_has_no_openmetrics_constructs() {
    assert_eq!(found("a 1\n# EOF\n", TEXT), [(2, Rule::WrongFormat, Severity::Warning)]);
    assert_eq!(found("# UNIT a_s s\na_s 1\n", TEXT), [(1, Rule::WrongFormat, Severity::Warning)]);
    assert_eq!(errors("# TYPE a counter\na 1 # {x=\"y\"} 1\n", TEXT), [(2, Rule::WrongFormat)]);
}

#[test]
fn units() {
    clean("# TYPE a_seconds gauge\n# UNIT a_seconds seconds\na_seconds 1\n# EOF\n", OM);
    assert_eq!(errors("# TYPE a gauge\n# UNIT a seconds\n# EOF\n", OM), [(2, Rule::Unit)]);
    assert_eq!(errors("# TYPE a_u info\n# UNIT a_u u\n# EOF\n", OM), [(2, Rule::Unit)]);
    assert_eq!(errors("# UNIT a_s- s-\n# EOF\n", OM), [(1, Rule::MetricName)]);
    assert_eq!(errors("# UNIT a_s s-\n# EOF\n", OM), [(1, Rule::Unit)]);
    assert_eq!(clean("# UNIT a \n# EOF\n", OM).family("a").unwrap().unit, None);
}

// ---- Families ----

#[test]
fn interleaved_families() {
    let text = "# TYPE a gauge\na{x=\"1\"} 1\n# TYPE b gauge\nb 1\na{x=\"2\"} 2\n# EOF\n";
    assert_eq!(errors(text, OM), [(5, Rule::Interleaved)]);
    assert_eq!(errors(&text.replace("# EOF\n", ""), TEXT), [(5, Rule::Interleaved)]);
    // A family's metadata coming back is interleaving too.
    let text = "# TYPE a gauge\n# TYPE b gauge\n# HELP a x\n";
    assert_eq!(errors(text, TEXT), [(3, Rule::Interleaved)]);
    // A histogram's parts after another family.
    let text = "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nx 1\nh_count 1\n";
    assert_eq!(errors(text, TEXT), [(5, Rule::Interleaved)]);
    // The family is still judged whole: its `+Inf` matches its `_count`.
    let e = validate(text, TEXT);
    assert!(e[0].message.contains("`h`"), "{}", e[0].message);
}

#[test]
fn name_clashes() {
    assert_eq!(errors("# TYPE a_created gauge\n# TYPE a counter\n# EOF\n", OM), [(2, Rule::NameClash)]);
    assert_eq!(errors("# TYPE a counter\n# TYPE a_total gauge\n# EOF\n", OM), [(2, Rule::NameClash)]);
    let text = "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# TYPE h_count gauge\n";
    assert_eq!(errors(text, TEXT), [(5, Rule::NameClash)]);
}

#[test]
fn suffixes() {
    assert_eq!(errors("# TYPE a counter\na 1\n# EOF\n", OM), [(2, Rule::Suffix)]);
    assert_eq!(errors("# TYPE a histogram\na 1\n# EOF\n", OM), [(2, Rule::Suffix)]);
    assert_eq!(errors("# TYPE a info\na 1\n# EOF\n", OM), [(2, Rule::Suffix)]);
    // 0.0.4 counters may lack `_total`, but should not.
    assert_eq!(found("# TYPE a counter\na 1\n", TEXT), [(1, Rule::Suffix, Severity::Warning)]);
    clean("# TYPE a_total counter\na_total 1\n", TEXT);
}

// ---- Series and groups ----

#[test]
fn duplicate_series() {
    let text = "# TYPE a gauge\na{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 2\n";
    assert_eq!(errors(text, TEXT), [(3, Rule::DuplicateSeries)]);
    assert_eq!(errors(&format!("{text}# EOF\n"), OM), [(3, Rule::DuplicateSeries)]);
    // OpenMetrics allows a series again with timestamps that do not go back; 0.0.4 never.
    let text = "a 1 1\na 2 2\na 3 2\n";
    assert_eq!(errors(&format!("{text}# EOF\n"), OM), []);
    assert_eq!(errors(text, TEXT), [(2, Rule::DuplicateSeries), (3, Rule::DuplicateSeries)]);
    // A duplicate bucket.
    let text =
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n";
    assert_eq!(errors(text, TEXT), [(3, Rule::DuplicateSeries)]);
}

#[test]
fn openmetrics_groups_are_contiguous() {
    let text = "# TYPE h histogram\n\
                h_bucket{a=\"1\",le=\"+Inf\"} 0\n\
                h_bucket{a=\"2\",le=\"+Inf\"} 0\n\
                h_count{a=\"1\"} 0\n\
                h_sum{a=\"1\"} 0\n\
                h_count{a=\"2\"} 0\n\
                h_sum{a=\"2\"} 0\n\
                # EOF\n";
    assert_eq!(errors(text, OM), [(4, Rule::Grouping), (6, Rule::Grouping)]);
    // 0.0.4 asks only that the family be contiguous.
    assert_eq!(errors(&text.replace("# EOF\n", ""), TEXT), []);
}

#[test]
fn openmetrics_timestamps_within_a_series() {
    assert_eq!(errors("a 1 2\na 1 1\n# EOF\n", OM), [(2, Rule::TimestampOrder)]);
    assert_eq!(errors("a 1 2\na 1\n# EOF\n", OM), [(2, Rule::TimestampOrder)]);
    // Different series have their own clocks.
    assert_eq!(errors("a{x=\"1\"} 1 2\na{x=\"2\"} 1 1\n# EOF\n", OM), []);
}

// ---- Values by type ----

#[test]
fn counter_like_values() {
    assert_eq!(errors("# TYPE a counter\na_total -1\n# EOF\n", OM), [(2, Rule::CounterValue)]);
    assert_eq!(errors("# TYPE a counter\na_total NaN\n# EOF\n", OM), [(2, Rule::CounterValue)]);
    let text = "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1.5\nh_count 1.5\nh_sum 1\n# EOF\n";
    assert_eq!(errors(text, OM), [(2, Rule::CounterValue), (3, Rule::CounterValue)]);
    assert_eq!(found("# TYPE a_total counter\na_total -1\n", TEXT), [(2, Rule::CounterValue, Severity::Warning)]);
    // A negative histogram sum is fine in 0.0.4 (observations may be negative).
    clean("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum -3\nh_count 1\n", TEXT);
}

#[test]
fn type_values_and_labels() {
    assert_eq!(errors("# TYPE a info\na_info{v=\"1\"} 2\n# EOF\n", OM), [(2, Rule::TypeValue)]);
    assert_eq!(errors("# TYPE a stateset\na{a=\"x\"} 0.5\n# EOF\n", OM), [(2, Rule::TypeValue)]);
    assert_eq!(errors("# TYPE a stateset\na{b=\"x\"} 1\n# EOF\n", OM), [(2, Rule::TypeLabel)]);
    clean("# TYPE a stateset\na{a=\"x\"} 1\na{a=\"y\"} 0\n# EOF\n", OM);
    assert_eq!(errors("# TYPE s summary\ns 1\n# EOF\n", OM), [(2, Rule::TypeLabel)]);
    assert_eq!(errors("# TYPE s summary\ns{quantile=\"2\"} 1\n", TEXT), [(2, Rule::TypeLabel)]);
    assert_eq!(errors("# TYPE s summary\ns{quantile=\"0.5\"} -1\n# EOF\n", OM), [(2, Rule::TypeValue)]);
    assert_eq!(errors("# TYPE h histogram\nh_bucket 1\n", TEXT), [(2, Rule::TypeLabel)]);
    // One mistake, one report: the `le` of a `_sum` does not also split the histogram's metric point.
    let text = "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum{le=\"x\"} 1\nh_count 1\n# EOF\n";
    assert_eq!(errors(text, OM), [(3, Rule::TypeLabel)]);
    let text = text.replace("# EOF\n", "");
    assert_eq!(found(&text, TEXT), [(3, Rule::TypeLabel, Severity::Warning)], "0.0.4 readers drop the label");
    let text = "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count{quantile=\"0.5\"} 1\n# EOF\n";
    assert_eq!(errors(text, OM), [(4, Rule::TypeLabel)]);
    // Non-canonical bounds are allowed and flagged; `+Inf` must be written so.
    let text = "# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 0\n# EOF\n";
    assert_eq!(found(text, OM), [(2, Rule::NonCanonicalNumber, Severity::Warning)]);
    assert_eq!(errors("# TYPE h histogram\nh_bucket{le=\"+inf\"} 0\n# EOF\n", OM), [(2, Rule::TypeLabel)]);
}

#[test]
fn text_summary_quantiles_increase() {
    let text = "# TYPE s summary\ns{quantile=\"0.9\"} 1\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\n";
    assert_eq!(errors(text, TEXT), [(3, Rule::BucketOrder)]);
}

#[test]
fn exemplars() {
    clean("# TYPE a counter\na_total 1 # {t=\"x\"} 1 1.5\n# EOF\n", OM);
    assert_eq!(errors("# TYPE a gauge\na 1 # {t=\"x\"} 1\n# EOF\n", OM), [(2, Rule::Exemplar)]);
    let long = "x".repeat(128);
    let text = format!("# TYPE a counter\na_total 1 # {{t=\"{long}\"}} 1\n# EOF\n");
    assert_eq!(errors(&text, OM), [(2, Rule::Exemplar)]);
    let e = clean("# TYPE a counter\na_total 1 # {t=\"x\"} 0.5\n# EOF\n", OM);
    let exemplar = e.samples().next().unwrap().exemplar.as_ref().unwrap();
    assert_eq!(
        (exemplar.labels.clone(), exemplar.value, exemplar.timestamp),
        (vec![("t".into(), "x".into())], 0.5, None)
    );
}

// ---- Histograms ----

const HIST_HEAD: &str = "# HELP h Latency.\n# TYPE h histogram\n";

fn hist(body: &str) -> String {
    format!("{HIST_HEAD}{body}")
}

/// The same histogram in OpenMetrics: metadata in the order TYPE, HELP, and `# EOF`.
fn om_hist(body: &str) -> String {
    format!("# TYPE h histogram\n# HELP h Latency.\n{body}# EOF\n")
}

#[test]
fn a_valid_histogram_in_both_formats() {
    let body = "h_bucket{le=\"0.5\"} 1\nh_bucket{le=\"1.0\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_sum 4.5\nh_count 3\n";
    let e = clean(&hist(body), TEXT);
    assert_eq!(e.value("h_bucket", &[("le", "1.0")]), Some(2.0));
    assert_eq!(e.family_of("h_sum").map(|f| f.name.as_str()), Some("h"));
    clean(&om_hist(body), OM);
}

#[test]
fn bucket_order_and_cumulative_counts() {
    let body = "h_bucket{le=\"2.0\"} 1\nh_bucket{le=\"1.0\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n";
    assert_eq!(errors(&hist(body), TEXT), [(4, Rule::BucketOrder)]);
    let body = "h_bucket{le=\"1.0\"} 2\nh_bucket{le=\"2.0\"} 1\nh_bucket{le=\"+Inf\"} 3\nh_sum 1\nh_count 3\n";
    let v = validate(&hist(body), TEXT);
    assert_eq!((v[0].line, v[0].rule), (4, Rule::BucketOrder));
    assert!(v[0].message.contains("cumulative"), "{}", v[0].message);
}

#[test]
fn inf_bucket_present_and_equal_to_count() {
    let body = "h_bucket{le=\"1.0\"} 1\nh_sum 1\nh_count 1\n";
    assert_eq!(errors(&hist(body), TEXT), [(3, Rule::MissingInfBucket)]);
    let body = "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n";
    let v = validate(&hist(body), TEXT);
    assert_eq!((v[0].line, v[0].rule), (5, Rule::InfCountMismatch));
    assert!(v[0].message.contains("is 3") && v[0].message.contains("is 2"), "{}", v[0].message);
    assert_eq!(errors(&om_hist(body), OM), [(5, Rule::InfCountMismatch)]);
}

#[test]
fn sum_and_count() {
    // 0.0.4: both required.
    assert_eq!(errors(&hist("h_bucket{le=\"+Inf\"} 1\nh_count 1\n"), TEXT), [(3, Rule::HistogramParts)]);
    assert_eq!(errors(&hist("h_bucket{le=\"+Inf\"} 1\nh_sum 1\n"), TEXT), [(3, Rule::HistogramParts)]);
    // OpenMetrics: both or neither, and no sum beside a negative bound.
    clean(&om_hist("h_bucket{le=\"-1.0\"} 0\nh_bucket{le=\"+Inf\"} 1\n"), OM);
    assert_eq!(errors(&om_hist("h_bucket{le=\"+Inf\"} 1\nh_sum 1\n"), OM), [(4, Rule::HistogramParts)]);
    assert_eq!(errors(&om_hist("h_bucket{le=\"+Inf\"} 1\nh_count 1\n"), OM), [(4, Rule::HistogramParts)]);
    let body = "h_bucket{le=\"-1.0\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n";
    assert_eq!(errors(&om_hist(body), OM), [(5, Rule::HistogramParts)]);
}

#[test]
fn each_histogram_series_is_judged() {
    let body = "h_bucket{m=\"a\",le=\"+Inf\"} 1\nh_sum{m=\"a\"} 1\nh_count{m=\"a\"} 1\n\
                h_bucket{m=\"b\",le=\"1.0\"} 1\nh_sum{m=\"b\"} 1\nh_count{m=\"b\"} 1\n";
    let v = validate(&hist(body), TEXT);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!((v[0].line, v[0].rule), (6, Rule::MissingInfBucket));
    assert!(v[0].message.contains("h{m=\"b\"}"), "{}", v[0].message);
}

// ---- Recovery ----

#[test]
fn every_violation_is_reported_not_only_the_first() {
    let text = "# TYPE a gauge\n\
                a{x=\"1\"} 1\n\
                a{x=\"1\"} 2\n\
                a{x=\"2\"} oops\n\
                # TYPE b counter\n\
                b_total -1\n\
                a{x=\"3\"} 3\n\
                b 1\n";
    let v = errors(text, OM);
    assert_eq!(
        v,
        [
            (3, Rule::DuplicateSeries),
            (4, Rule::Value),
            (6, Rule::CounterValue),
            (7, Rule::Interleaved),
            (8, Rule::NameClash),
            (9, Rule::Eof)
        ]
    );
    let err = parse(text, OM).unwrap_err();
    assert_eq!(err.len(), 6);
    assert!(err.to_string().starts_with("6 error(s), 0 warning(s)\n3:1: error [duplicate-series]"), "{err}");
}

#[test]
fn a_large_exposition_parses_in_linear_time() {
    // 100,000 series of one family and 20,000 histograms: hashing keeps every check constant per sample.
    let mut text = String::from("# TYPE g gauge\n");
    for i in 0..100_000 {
        text.push_str(&format!("g{{id=\"{i}\",zone=\"z{}\"}} {i}\n", i % 7));
    }
    text.push_str("# TYPE h histogram\n");
    for i in 0..20_000 {
        for (le, count) in [("0.1", 1), ("1.0", 2), ("+Inf", 3)] {
            text.push_str(&format!("h_bucket{{id=\"{i}\",le=\"{le}\"}} {count}\n"));
        }
        text.push_str(&format!("h_sum{{id=\"{i}\"}} 1.5\nh_count{{id=\"{i}\"}} 3\n"));
    }
    let e = clean(&text, TEXT);
    assert_eq!(e.sample_count(), 200_000);
    assert_eq!(e.value("g", &[("zone", "z4"), ("id", "99999")]), Some(99999.0));
    assert_eq!(e.value("g", &[("zone", "z3"), ("id", "99999")]), None);
    assert_eq!(e.value("h_bucket", &[("le", "+Inf"), ("id", "19999")]), Some(3.0));
    text.push_str("g{id=\"5\",zone=\"z5\"} 1\n");
    assert_eq!(errors(&text, TEXT).len(), 2, "an interleaved duplicate");
}

#[test]
fn long_lines_are_read_in_linear_time() {
    // 20,000 labels on one line: found again by them, and a repeated one reported once, at its column.
    let labels: Vec<String> = (0..20_000).map(|i| format!("l{i}=\"v{i}\"")).collect();
    let line = format!("a{{{}}} 1\n", labels.join(","));
    let e = clean(&line, TEXT);
    let names: Vec<(String, String)> = (0..20_000).rev().map(|i| (format!("l{i}"), format!("v{i}"))).collect();
    let pairs: Vec<(&str, &str)> = names.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(e.value("a", &pairs), Some(1.0));
    assert_eq!(e.value("a", &pairs[1..]), None);
    let line = line.replace("} 1", ",l7=\"x\"} 1");
    let v = validate(&line, TEXT);
    assert_eq!(
        v.iter().map(|v| (v.line, v.column, v.rule)).collect::<Vec<_>>(),
        [(1, line.find(",l7=\"x").unwrap() + 2, Rule::DuplicateLabel)]
    );
    // 10,000 unknown escapes after non-ASCII text: each flagged at its own column, counted in characters.
    let text = format!("a{{b=\"{}\"}} 1\n# EOF\n", "ü\\t".repeat(10_000));
    let v = validate(&text, OM);
    assert_eq!(v.len(), 10_000);
    assert!(
        v.iter().enumerate().all(|(k, v)| (v.line, v.column, v.rule) == (1, 3 * k + 7, Rule::Escape)),
        "{:?}",
        &v[..2]
    );
}
