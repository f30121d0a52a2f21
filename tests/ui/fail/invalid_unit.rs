use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[gauge(unit = "Seconds")]
    latency: Gauge,
}

fn main() {}
