use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", native(min_reset = "1 hour"))]
    latency: Histogram,

    /// Sizes.
    #[histogram(unit = "bytes", native(min_reset = "0s"))]
    size: Histogram,

    /// Waits.
    #[histogram(unit = "seconds", native(min_reset = 3600))]
    wait: Histogram,
}

fn main() {}
