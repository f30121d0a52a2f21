use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    #[gauge]
    requests: Counter,
}

fn main() {}
