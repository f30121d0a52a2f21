use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    #[counter(help = "  ")]
    requests: Counter,
}

fn main() {}
