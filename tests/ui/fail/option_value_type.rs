use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests, by agent.
    #[counter(labels(agent: String), unit = seconds, max_series = "500", name = 5)]
    requests: Counter,
}

fn main() {}
