use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter(name = "httpRequests")]
    requests: Counter,
}

fn main() {}
