use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status { Ok = "ok", Error = "error" })]
pub struct AppMetrics {
    /// Requests, by status.
    #[counter(labels(status: Status), max_series = 100)]
    requests: Counter,

    /// In flight.
    #[gauge(ttl = "5m")]
    inflight: Gauge,
}

fn main() {}
