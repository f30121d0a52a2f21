use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status { Ok = "ok", Error = "error" })]
pub struct AppMetrics {
    /// Requests, by outcome.
    #[counter(labels(status: Status), slo(errors = status("error", "timeout"), objective = 0.999))]
    requests: Counter,
}

fn main() {}
