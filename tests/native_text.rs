//! Native histograms in the text formats, as client_golang exposes them: a histogram with classic buckets
//! beside its native ones shows the classic buckets, one with native buckets only its `_sum`, its `_count`
//! and a `+Inf` bucket; our strict parser, promtool and Python's OpenMetrics parser accept both, and a
//! histogram that observed negative values is written, in OpenMetrics, without its `_sum` and `_count`.

use std::sync::LazyLock;

use promstruct::prelude::*;
use promstruct::{Format, NativeSnapshot};
use suite::exposition::{parse_strictly, value};
use suite::validators::{find_sample, promtool_check, python_parse};

/// The families of a shop, each histogram kind once.
#[metrics(namespace = "shop")]
#[labels(Route { Cart = "cart", Pay = "pay" })]
pub struct ShopMetrics {
    /// Time to answer, by route.
    #[histogram(labels(route: Route), unit = "seconds", native(max_buckets = 40))]
    answer: Histogram,

    /// Time to pay, in classic buckets and native ones.
    #[histogram(unit = "seconds", buckets = [0.1, 1, 10], native(schema = 2))]
    pay: Histogram,

    /// Temperature drift, either side of zero.
    #[histogram(unit = "celsius", native(zero_threshold = 0.01))]
    drift: Histogram,
}

static METRICS: LazyLock<ShopMetrics> = LazyLock::new(ShopMetrics::new);

fn scrape(registry: &Registry, format: Format) -> String {
    let mut body = Vec::new();
    registry.encode(format, &mut body).unwrap();
    String::from_utf8(body).unwrap()
}

#[test]
fn text_formats_show_classic_buckets_or_the_inf_bucket_alone() {
    let registry = Registry::builder().self_metrics(false).build();
    registry.register(&*METRICS).unwrap();
    for v in [0.05, 0.3, 0.3, 2.0, 40.0] {
        METRICS.answer(Route::Cart).observe(v);
        METRICS.pay().observe(v);
    }
    for v in [-2.5, 0.0, 0.004, 1.5, f64::INFINITY] {
        METRICS.drift().observe(v);
    }
    for format in [Format::Text, Format::OpenMetrics] {
        let text = scrape(&registry, format);
        let e = parse_strictly(&text, format);
        let cart = [("route", "cart")];
        assert_eq!(value(&e, "shop_answer_seconds_count", &cart), 5.0, "{text}");
        assert_eq!(value(&e, "shop_answer_seconds_bucket", &[("route", "cart"), ("le", "+Inf")]), 5.0);
        assert_eq!(value(&e, "shop_answer_seconds_sum", &cart), 0.05 + 0.3 + 0.3 + 2.0 + 40.0);
        let buckets: Vec<_> = e.samples_named("shop_answer_seconds_bucket").collect();
        assert_eq!(buckets.len(), 2, "only the +Inf bucket of each series: {text}");
        assert_eq!(value(&e, "shop_answer_seconds_count", &[("route", "pay")]), 0.0, "every series exists");
        assert_eq!(value(&e, "shop_pay_seconds_bucket", &[("le", "0.1")]), 1.0);
        assert_eq!(value(&e, "shop_pay_seconds_bucket", &[("le", "1.0")]), 3.0);
        assert_eq!(value(&e, "shop_pay_seconds_bucket", &[("le", "10.0")]), 4.0);
        assert_eq!(value(&e, "shop_pay_seconds_bucket", &[("le", "+Inf")]), 5.0);
        assert_eq!(value(&e, "shop_pay_seconds_count", &[]), 5.0);
        assert_eq!(value(&e, "shop_drift_celsius_bucket", &[("le", "+Inf")]), 5.0);
        if format == Format::Text {
            assert_eq!(value(&e, "shop_drift_celsius_count", &[]), 5.0);
            assert_eq!(value(&e, "shop_drift_celsius_sum", &[]), f64::INFINITY);
            promtool_check(text.as_bytes()).unwrap_or_else(|e| panic!("promtool: {e}\n{text}"));
        } else {
            // OpenMetrics has `_sum` only for histograms whose observations cannot be negative: one that
            // observed a negative value is written as one with a negative bound.
            assert!(e.samples_named("shop_drift_celsius_sum").next().is_none(), "{text}");
            let families = python_parse(text.as_bytes(), true).unwrap_or_else(|e| panic!("python: {e}\n{text}"));
            let inf = find_sample(&families, "shop_answer_seconds_bucket", &[("route", "cart"), ("le", "+Inf")]);
            assert_eq!(inf.map(|s| s.value), Some(5.0));
        }
    }
    // The native buckets a protobuf scrape would carry.
    let mut s = NativeSnapshot::new();
    assert!(METRICS.drift().native_snapshot_into(&mut s));
    assert_eq!((s.zero_count(), s.zero_threshold(), s.count()), (2, 0.01, 5));
    assert_eq!(s.negative().len(), 1);
    assert_eq!(s.positive().len(), 2, "1.5 and +Inf");
}
