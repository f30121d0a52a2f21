use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", native(factor = 1))]
    latency: Histogram,

    /// Sizes.
    #[histogram(unit = "bytes", native(factor = 0.5))]
    size: Histogram,
}

fn main() {}
