use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter(native)]
    requests: Counter,

    /// Latency.
    #[histogram(unit = "seconds", native(bucket_factor = 1.1))]
    latency: Histogram,

    /// Latency with an SLO on native buckets only.
    #[histogram(unit = "seconds", native, slo(latency = 0.5, objective = 0.99))]
    slow: Histogram,
}

fn main() {}
