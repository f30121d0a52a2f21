use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests_counter: Counter,
}

fn main() {}
