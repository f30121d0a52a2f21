use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Request latency.
    #[histogram(unit = "seconds", buckets = [0.1, 0.5, 1.0], slo(latency = 0.45, objective = 0.99))]
    latency: Histogram,
}

fn main() {}
