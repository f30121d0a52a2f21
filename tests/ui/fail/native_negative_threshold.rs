use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", native(zero_threshold = -1e-9))]
    latency: Histogram,

    /// Sizes.
    #[histogram(unit = "bytes", native(max_zero_threshold = -1))]
    size: Histogram,

    /// Waits.
    #[histogram(unit = "seconds", native(zero_threshold = 0.01, max_zero_threshold = 0.001))]
    wait: Histogram,
}

fn main() {}
