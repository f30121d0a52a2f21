use metrics_runtime::prelude::*;

#[metrics(namespace = "app", namespace = "other")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: Counter,
}

fn main() {}
