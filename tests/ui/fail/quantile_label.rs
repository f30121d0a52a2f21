use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Q { P50 = "0.5", P99 = "0.99" })]
pub struct AppMetrics {
    /// Requests, by quantile.
    #[gauge(labels(quantile: Q))]
    latency: Gauge,
}

fn main() {}
