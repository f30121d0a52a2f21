use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status { Ok = "ok", Error = "error" })]
pub struct AppMetrics {
    /// Requests, by status.
    #[counter(lables(status: Status))]
    requests: Counter,

    /// Latency.
    #[histogram(unit = "seconds", bucket = [1, 2])]
    latency: Histogram,
}

fn main() {}
