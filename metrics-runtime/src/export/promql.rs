//! PromQL text: string literals and label matchers, the filters on the dashboard's variables, rate and
//! quantile expressions, the `le` text of a bucket bound, durations, and the names of recording rules.

use crate::encoding::canonical_float;
use crate::{FamilySchema, LabelSchema};

/// The label of the scrape target every expression keeps: rules aggregate by it, the dashboard filters
/// on it.
pub(super) const JOB: &str = "job";

/// The window of the rates the panels draw.
pub(super) const PANEL_WINDOW_SECS: u64 = 300;

/// A PromQL double-quoted string literal holding `text`.
pub(super) fn string_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` with the metacharacters of RE2 (the regex engine of `=~`) escaped, so it matches itself only.
pub(super) fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A matcher selecting any of `values` of `label`: `label="v"` for one value, `label=~"a|b"` for more.
pub(super) fn matcher_any(label: &str, values: &[&str]) -> String {
    match values {
        [value] => format!("{label}={}", string_literal(value)),
        values => {
            let alternation: Vec<String> = values.iter().map(|v| regex_escape(v)).collect();
            format!("{label}=~{}", string_literal(&alternation.join("|")))
        }
    }
}

/// `metric{m1, m2}`, or `metric` without matchers.
pub(super) fn selector(metric: &str, matchers: &[String]) -> String {
    if matchers.is_empty() { metric.to_owned() } else { format!("{metric}{{{}}}", matchers.join(", ")) }
}

/// `sum by (l1, l2) (expr)`, or `sum(expr)` without labels.
pub(super) fn sum_by(labels: &[&str], expr: &str) -> String {
    if labels.is_empty() { format!("sum({expr})") } else { format!("sum by ({}) ({expr})", labels.join(", ")) }
}

/// `rate(selector[window])`.
pub(super) fn rate(selector: &str, window_secs: u64) -> String {
    format!("rate({selector}[{}])", duration(window_secs))
}

/// `histogram_quantile(q, expr)`.
pub(super) fn histogram_quantile(quantile: f64, expr: &str) -> String {
    format!("histogram_quantile({}, {expr})", number(quantile))
}

/// A PromQL number literal: the shortest text that reads back as `value` (`0.99`, `14.4`, `6`).
pub(super) fn number(value: f64) -> String {
    format!("{value}")
}

/// The `le` label text of a bucket bound, exactly as the encoder writes it (`0.5`, `30.0`, `1e+06`).
pub(super) fn le_text(bound: f64) -> String {
    canonical_float(bound)
}

/// A duration in Prometheus' notation, largest units first: `5m`, `1h`, `3d`, `1d1h10m`.
pub(super) fn duration(secs: u64) -> String {
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// The enum labels of a family, in declaration order: the labels panels break down by and the
/// dashboard has variables for. Open labels take unbounded values and are summed away.
pub(super) fn enum_labels(family: &FamilySchema) -> Vec<&'static LabelSchema> {
    family.labels().iter().filter(|l| !l.is_open()).collect()
}

/// The names of the enum labels of a family.
pub(super) fn enum_label_names(family: &FamilySchema) -> Vec<&'static str> {
    enum_labels(family).iter().map(|l| l.name()).collect()
}

/// The labels a panel's recording rule keeps: `job`, then the enum labels.
pub(super) fn kept_labels(family: &FamilySchema) -> Vec<&'static str> {
    let mut labels = vec![JOB];
    labels.extend(enum_label_names(family));
    labels
}

/// A recording rule name after the Prometheus convention `level:metric:operations`, the level being the
/// labels kept joined with `_`.
pub(super) fn record_name(level: &[&str], metric: &str, operations: &str) -> String {
    format!("{}:{metric}:{operations}", level.join("_"))
}

/// The recorded per-second rate of a counter, by `job` and its enum labels:
/// `job_model:shop_checkouts:rate5m`.
pub(super) fn counter_rate_record(family: &FamilySchema) -> String {
    record_name(&kept_labels(family), family.name(), &format!("rate{}", duration(PANEL_WINDOW_SECS)))
}

/// The recorded per-second rate of a histogram's buckets, by `job`, its enum labels and `le`:
/// `job_model_le:shop_latency_seconds_bucket:rate5m`.
pub(super) fn bucket_rate_record(family: &FamilySchema) -> String {
    let mut level = kept_labels(family);
    level.push("le");
    record_name(&level, &format!("{}_bucket", family.name()), &format!("rate{}", duration(PANEL_WINDOW_SECS)))
}

/// Whether a histogram has native buckets only: its series are native histograms in a Prometheus that
/// scrapes protobuf, queried without `_bucket` and `le`.
pub(super) fn native_only(family: &FamilySchema) -> bool {
    family.kind() == crate::MetricType::Histogram && family.buckets().is_none() && family.native().is_some()
}

/// The recorded per-second rate of a native histogram, by `job` and its enum labels (a native histogram
/// itself): `job_model:shop_latency_seconds:rate5m`.
pub(super) fn native_rate_record(family: &FamilySchema) -> String {
    record_name(&kept_labels(family), family.name(), &format!("rate{}", duration(PANEL_WINDOW_SECS)))
}

/// The filters a panel applies from the dashboard's variables: `job=~"$job"` and one `label=~"$label"`
/// per enum label.
pub(super) fn variable_filters(family: &FamilySchema) -> Vec<String> {
    let mut filters = vec![format!("{JOB}=~\"${JOB}\"")];
    filters.extend(enum_label_names(family).iter().map(|l| format!("{l}=~\"${l}\"")));
    filters
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricType;

    const LABELS: &[LabelSchema] = &[LabelSchema::new("model", Some(&["a", "b"])), LabelSchema::open("agent")];

    #[test]
    fn string_literals_escape_quotes_backslashes_and_newlines() {
        assert_eq!(string_literal(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(string_literal("x\ny"), r#""x\ny""#);
    }

    #[test]
    fn one_value_matches_exactly_and_several_by_an_escaped_alternation() {
        assert_eq!(matcher_any("status", &["error"]), r#"status="error""#);
        assert_eq!(matcher_any("model", &["gpt-4.1", "a|b"]), r#"model=~"gpt-4\\.1|a\\|b""#);
    }

    #[test]
    fn selectors_and_sums_without_parts_stay_bare() {
        assert_eq!(selector("up", &[]), "up");
        assert_eq!(selector("up", &["a=\"1\"".into(), "b=\"2\"".into()]), r#"up{a="1", b="2"}"#);
        assert_eq!(sum_by(&[], "x"), "sum(x)");
        assert_eq!(sum_by(&["job", "model"], "x"), "sum by (job, model) (x)");
        assert_eq!(rate("x_total", 300), "rate(x_total[5m])");
        assert_eq!(histogram_quantile(0.99, "x"), "histogram_quantile(0.99, x)");
    }

    #[test]
    fn numbers_are_the_shortest_round_trip_text() {
        assert_eq!(number(14.4), "14.4");
        assert_eq!(number(6.0), "6");
        assert_eq!(number(0.999), "0.999");
    }

    #[test]
    fn le_text_is_the_encoders() {
        assert_eq!(le_text(30.0), "30.0");
        assert_eq!(le_text(0.5), "0.5");
        assert_eq!(le_text(1e6), "1e+06");
        assert_eq!(le_text(f64::INFINITY), "+Inf");
    }

    #[test]
    fn durations_use_the_largest_units() {
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(3_600), "1h");
        assert_eq!(duration(259_200), "3d");
        assert_eq!(duration(86_400 + 3_600 + 600), "1d1h10m");
        assert_eq!(duration(90), "1m30s");
        assert_eq!(duration(0), "0s");
    }

    #[test]
    fn records_keep_job_and_the_enum_labels_only() {
        let counter = FamilySchema::new("app_calls", MetricType::Counter, "Calls.").with_labels(LABELS);
        assert_eq!(counter_rate_record(&counter), "job_model:app_calls:rate5m");
        let bare = FamilySchema::new("app_calls", MetricType::Counter, "Calls.");
        assert_eq!(counter_rate_record(&bare), "job:app_calls:rate5m");
        let histogram = FamilySchema::new("app_latency_seconds", MetricType::Histogram, "Latency.").with_labels(LABELS);
        assert_eq!(bucket_rate_record(&histogram), "job_model_le:app_latency_seconds_bucket:rate5m");
        assert!(!native_only(&histogram));
        let native = histogram.with_native(crate::NativeSchema::new(3));
        assert!(native_only(&native), "native buckets and no classic ones");
        assert_eq!(native_rate_record(&native), "job_model:app_latency_seconds:rate5m");
        assert!(!native_only(&native.with_buckets(&[1.0])), "both");
        assert_eq!(variable_filters(&histogram), [r#"job=~"$job""#, r#"model=~"$model""#]);
    }
}
