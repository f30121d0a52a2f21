use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[gauge]
    latency_ms: Gauge,
}

fn main() {}
