use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status { Ok = 200, Error = 500 })]
pub struct AppMetrics {
    /// Requests, by status.
    #[counter(labels(status: Status))]
    requests: Counter,
}

fn main() {}
