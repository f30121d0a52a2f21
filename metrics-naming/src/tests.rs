use crate::*;

#[test]
fn identifiers() {
    assert!(check_family_name("http_requests", MetricType::Counter, None).is_ok());
    assert!(matches!(check_family_name("", MetricType::Gauge, None), Err(RuleError::Empty { .. })));
    assert!(matches!(
        check_family_name("9lives", MetricType::Gauge, None),
        Err(RuleError::InvalidChar { ch: '9', at: 0, .. })
    ));
    assert!(matches!(
        check_family_name("httpRequests", MetricType::Gauge, None),
        Err(RuleError::InvalidChar { ch: 'R', at: 4, .. })
    ));
    assert!(matches!(check_family_name("a:b", MetricType::Gauge, None), Err(RuleError::InvalidChar { ch: ':', .. })));
    assert!(matches!(check_family_name("__x", MetricType::Gauge, None), Err(RuleError::ReservedPrefix { .. })));
    let msg = check_family_name("httpRequests", MetricType::Gauge, None).unwrap_err().to_string();
    assert!(msg.contains("http_requests"), "{msg}");
    let msg = check_prefix("namespace", "My App").unwrap_err().to_string();
    assert!(msg.contains("write `my_app`"), "{msg}");
    let msg = check_family_name("jobs_total", MetricType::Counter, None).unwrap_err().to_string();
    assert!(msg.contains("so `jobs` is exposed as `jobs_total`"), "{msg}");
}

#[test]
fn suffixes_and_words() {
    assert!(matches!(check_family_name("x_total", MetricType::Counter, None), Err(RuleError::CounterTotal { .. })));
    assert!(matches!(
        check_family_name("x_total", MetricType::Gauge, None),
        Err(RuleError::ReservedSuffix { suffix: "_total", .. })
    ));
    assert!(matches!(
        check_family_name("x_count", MetricType::Gauge, None),
        Err(RuleError::ReservedSuffix { suffix: "_count", .. })
    ));
    assert!(matches!(
        check_family_name("x_gauge", MetricType::Gauge, None),
        Err(RuleError::TypeInName { word: "gauge", .. })
    ));
    assert!(matches!(
        check_family_name("latency_ms", MetricType::Gauge, None),
        Err(RuleError::NonBaseUnit { base: "seconds", .. })
    ));
    assert!(check_family_name("accounting", MetricType::Gauge, None).is_ok());
}

#[test]
fn units() {
    assert!(check_unit("seconds").is_ok());
    assert!(check_unit("bytes").is_ok());
    assert!(check_unit("dollars").is_ok());
    for (bad, base) in [("ms", "seconds"), ("milliseconds", "seconds"), ("kb", "bytes"), ("percent", "ratio")] {
        assert_eq!(check_unit(bad), Err(RuleError::NonBaseUnit { unit: bad.into(), base }));
    }
    assert!(matches!(check_unit("Seconds"), Err(RuleError::InvalidUnit { .. })));
    assert_eq!(
        family_name(Some("ns"), None, "latency", MetricType::Histogram, Some("seconds")).unwrap(),
        "ns_latency_seconds"
    );
    assert_eq!(
        family_name(None, Some("sub"), "latency_seconds", MetricType::Histogram, Some("seconds")).unwrap(),
        "sub_latency_seconds"
    );
    assert!(matches!(
        family_name(None, None, "latency_seconds_seconds", MetricType::Histogram, Some("seconds")),
        Err(RuleError::UnitTwice { .. })
    ));
    assert!(matches!(
        family_name(None, None, "build", MetricType::Info, Some("seconds")),
        Err(RuleError::UnitNotAllowed { .. })
    ));
}

#[test]
fn labels() {
    assert!(check_label_name("model", MetricType::Counter).is_ok());
    assert!(matches!(check_label_name("le", MetricType::Histogram), Err(RuleError::ReservedLabel { .. })));
    assert!(matches!(check_label_name("quantile", MetricType::Gauge), Err(RuleError::ReservedLabel { .. })));
    assert!(matches!(check_label_name("__name", MetricType::Gauge), Err(RuleError::ReservedPrefix { .. })));
}

#[test]
fn label_sets() {
    assert!(check_label_names(&["model", "status"], MetricType::Counter).is_ok());
    assert_eq!(
        check_label_names(&["model", "status", "model"], MetricType::Counter),
        Err((2, RuleError::DuplicateLabel { name: "model".into() }))
    );
    assert!(matches!(
        check_label_names(&["model", "le"], MetricType::Histogram),
        Err((1, RuleError::ReservedLabel { .. }))
    ));
    assert!(check_label_names(&[], MetricType::Gauge).is_ok());
}

#[test]
fn label_values() {
    assert!(check_label_value("gpt-4o").is_ok());
    assert!(check_label_value("with \"quotes\" and \n").is_ok());
    assert!(matches!(check_label_value(""), Err(RuleError::InvalidLabelValue { .. })));
    assert!(matches!(check_label_value(OVERFLOW_VALUE), Err(RuleError::InvalidLabelValue { .. })));
    assert!(check_label_values(&["ok", "error"]).is_ok());
    assert_eq!(
        check_label_values(&["ok", "error", "ok"]),
        Err((2, RuleError::DuplicateLabelValue { value: "ok".into() }))
    );
    assert!(matches!(check_label_values(&["ok", ""]), Err((1, RuleError::InvalidLabelValue { .. }))));
    let msg = check_label_values(&["a", "a"]).unwrap_err().1.to_string();
    assert!(msg.contains("distinct"), "{msg}");
}

#[test]
fn default_buckets_are_valid() {
    assert!(check_buckets(DEFAULT_BUCKETS).is_ok());
}

#[test]
fn collisions() {
    assert!(names_collide("foo", MetricType::Counter, "foo_total", MetricType::Gauge));
    assert!(names_collide("foo", MetricType::Counter, "foo_created", MetricType::Gauge));
    assert!(names_collide("foo", MetricType::Histogram, "foo_count", MetricType::Gauge));
    assert!(names_collide("foo", MetricType::Gauge, "foo", MetricType::Gauge));
    assert!(names_collide("foo", MetricType::Info, "foo_info", MetricType::Gauge));
    assert!(!names_collide("foo", MetricType::Gauge, "foo_bar", MetricType::Gauge));
    assert!(!names_collide("foo", MetricType::Counter, "foobar", MetricType::Counter));
}

#[test]
fn buckets() {
    assert_eq!(check_buckets(&[]), Err(RuleError::BucketsEmpty));
    assert_eq!(check_buckets(&[1.0, f64::NAN]), Err(RuleError::BucketNotFinite { index: 1 }));
    assert_eq!(check_buckets(&[f64::INFINITY]), Err(RuleError::BucketNotFinite { index: 0 }));
    assert!(matches!(check_buckets(&[1.0, 1.0]), Err(RuleError::BucketsUnsorted { index: 1, .. })));
    assert!(matches!(check_buckets(&[2.0, 1.0]), Err(RuleError::BucketsUnsorted { index: 1, .. })));
    assert_eq!(linear_buckets(1.0, 2.0, 3).unwrap(), vec![1.0, 3.0, 5.0]);
    assert_eq!(exponential_buckets(1.0, 2.0, 4).unwrap(), vec![1.0, 2.0, 4.0, 8.0]);
    assert!(linear_buckets(0.0, 0.0, 3).is_err());
    assert!(exponential_buckets(0.0, 2.0, 3).is_err());
    assert!(exponential_buckets(1.0, 1.0, 3).is_err());
}

#[test]
fn limits() {
    assert_eq!(check_series_limit("max_series", 0), Err(RuleError::ZeroLimit { what: "max_series" }));
    assert!(check_series_limit("max_series", 1).is_ok());
    assert_eq!(check_ttl(std::time::Duration::ZERO), Err(RuleError::ZeroTtl));
    assert!(check_ttl(std::time::Duration::from_millis(1)).is_ok());
    assert!(check_label_count(MAX_LABELS).is_ok());
    assert_eq!(check_label_count(MAX_LABELS + 1), Err(RuleError::TooManyLabels { count: 9, max: 8 }));
    let msg = RuleError::ZeroLimit { what: "max_series" }.to_string();
    assert!(msg.starts_with("`max_series` must be at least 1"), "{msg}");
    assert!(RuleError::ZeroTtl.is_invalid() && RuleError::TooManyLabels { count: 9, max: 8 }.is_invalid());
}
