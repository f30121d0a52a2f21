use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", unit = "seconds", buckets = [1, 2], buckets = [1, 2])]
    latency: Histogram,
}

fn main() {}
