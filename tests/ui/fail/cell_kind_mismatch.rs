use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: Gauge,

    /// Latency.
    #[gauge(unit = "seconds")]
    latency: Histogram,
}

fn main() {}
