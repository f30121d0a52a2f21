use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    #[counter]
    requests: Counter,
}

fn main() {}
