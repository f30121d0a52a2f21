use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds")]
    latency_seconds_seconds: Histogram,
}

fn main() {}
