use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", buckets = linear(0, 0, 5))]
    latency: Histogram,

    /// Sizes.
    #[histogram(unit = "bytes", buckets = exponential(100, 1, 5))]
    size: Histogram,

    /// Waits.
    #[histogram(unit = "seconds", buckets = quadratic(1, 2, 3))]
    wait: Histogram,
}

fn main() {}
