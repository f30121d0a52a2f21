use promstruct::prelude::*;

#[metrics(namespace = "app", namespace = "other")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: Counter,
}

fn main() {}
