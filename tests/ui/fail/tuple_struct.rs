use metrics_runtime::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics(#[counter] Counter);

fn main() {}
