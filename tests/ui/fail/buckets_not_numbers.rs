use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", buckets = [0.1, "1", LIMIT])]
    latency: Histogram,
}

fn main() {}
