use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", buckets = [0.1, 0.5, 0.5, 1])]
    latency: Histogram,
}

fn main() {}
