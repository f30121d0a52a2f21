use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status [Ok, Error])]
pub struct AppMetrics {
    /// Requests, by status.
    #[counter(labels(status: Status))]
    requests: Counter,
}

fn main() {}
