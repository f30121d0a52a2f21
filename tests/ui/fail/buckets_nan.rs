use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", buckets = [0.1, f64::NAN, 1])]
    latency: Histogram,
}

fn main() {}
