use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: Gauge,

    /// Latency.
    #[gauge(unit = "seconds")]
    latency: Histogram,
}

fn main() {}
