use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status { Ok = "ok", Error = "error" })]
pub struct AppMetrics {
    /// Requests, by status.
    #[counter(labels(__status: Status))]
    requests: Counter,
}

fn main() {}
