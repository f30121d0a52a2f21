use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status { Ok = "ok", Fine = "ok", Error = "error" })]
pub struct AppMetrics {
    /// Requests, by status.
    #[counter(labels(status: Status))]
    requests: Counter,
}

fn main() {}
