use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", native(max_buckets = 0))]
    latency: Histogram,
}

fn main() {}
