use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    requests: Counter,

    /// Not a metric.
    name: String,
}

fn main() {}
