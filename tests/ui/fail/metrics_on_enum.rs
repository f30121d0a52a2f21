use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub enum AppMetrics {
    Requests,
}

fn main() {}
