use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics<const N: usize> {
    /// Requests.
    #[counter]
    requests: Counter,
}

fn main() {}
