use promstruct::prelude::*;

#[metrics(namespace = "My App")]
#[labels(Status { Ok = "ok", Fine = "ok" })]
pub struct AppMetrics {
    /// Requests.
    #[counter(labels(status: Status, status: Status))]
    requests_total: Counter,

    #[gauge(colour = "red")]
    inflight: Gauge,

    /// Latency.
    #[histogram(unit = "ms", buckets = [1, 0.5])]
    latency: Histogram,

    /// Jobs waiting.
    #[gauge(name = "latency_ms")]
    waiting: Gauge,
}

fn main() {}
