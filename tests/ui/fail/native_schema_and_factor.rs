use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "seconds", native(factor = 1.1, schema = 3))]
    latency: Histogram,
}

fn main() {}
