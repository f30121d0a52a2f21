use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", native(schema = 9))]
    latency: Histogram,

    /// Sizes.
    #[histogram(unit = "bytes", native(schema = 1.5))]
    size: Histogram,
}

fn main() {}
