use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status { Ok = "ok", Error = "error" })]
pub struct AppMetrics {
    /// Requests, by status.
    #[counter(labels(statusCode: Status))]
    requests: Counter,
}

fn main() {}
