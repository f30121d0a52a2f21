//! Native histograms: `native` alone, with options, and beside classic buckets; their schemas.

use promstruct::prelude::*;
use promstruct::{Format, NativeSnapshot};

#[metrics(namespace = "app")]
#[labels(Model { Small = "small", Large = "large" })]
pub struct AppMetrics {
    /// Time to first token.
    #[histogram(unit = "seconds", native)]
    first_token: Histogram,

    /// Request latency, by model.
    #[histogram(
        labels(model: Model),
        unit = "seconds",
        buckets = [0.1, 0.5, 1],
        native(factor = 1.1, max_buckets = 160, min_reset = "1h", max_zero_threshold = 0.001)
    )]
    latency: Histogram,

    /// Sizes.
    #[histogram(unit = "bytes", native(schema = -2, zero_threshold = 0))]
    size: Histogram,
}

fn main() {
    let m: &'static AppMetrics = Box::leak(Box::new(AppMetrics::new()));
    m.first_token().observe(0.2);
    m.latency(Model::Small).observe(0.3);
    m.size().observe(1500.0);

    let first = &AppMetrics::FAMILIES[0];
    assert_eq!(first.buckets(), None, "native only");
    assert_eq!(first.native().map(|n| n.schema()), Some(3));
    let latency = &AppMetrics::FAMILIES[1];
    assert_eq!(latency.buckets(), Some(&[0.1, 0.5, 1.0][..]));
    let native = latency.native().unwrap();
    assert_eq!((native.schema(), native.max_buckets(), native.max_zero_threshold()), (3, Some(160), 0.001));
    assert_eq!(native.min_reset(), Some(std::time::Duration::from_secs(3600)));
    let size = AppMetrics::FAMILIES[2].native().unwrap();
    assert_eq!((size.schema(), size.zero_threshold()), (-2, 0.0));

    let mut snapshot = NativeSnapshot::new();
    assert!(m.latency(Model::Small).native_snapshot_into(&mut snapshot));
    assert_eq!((snapshot.count(), snapshot.classic_cumulative()), (1, &[0, 1, 1, 1][..]));

    let registry = Registry::new();
    registry.register(m).unwrap();
    let mut body = Vec::new();
    registry.encode(Format::Text, &mut body).unwrap();
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("app_first_token_seconds_bucket{le=\"+Inf\"} 1"), "{text}");
    assert!(text.contains("app_first_token_seconds_count 1"), "{text}");
    assert!(text.contains("app_latency_seconds_bucket{model=\"small\",le=\"0.5\"} 1"), "{text}");
}
