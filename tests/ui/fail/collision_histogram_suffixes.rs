use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Payload sizes.
    #[histogram(buckets = [100, 1000, 10000])]
    payload: Histogram,

    /// Payloads in the largest bucket.
    #[gauge]
    payload_bucket: Gauge,

    /// Payloads seen.
    #[gauge]
    payload_count: Gauge,

    /// Payload bytes seen.
    #[gauge]
    payload_sum: Gauge,
}

fn main() {}
