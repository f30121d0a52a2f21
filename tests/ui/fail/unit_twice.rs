use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds")]
    latency_seconds_seconds: Histogram,
}

fn main() {}
