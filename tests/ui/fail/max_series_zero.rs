use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Runs, by agent.
    #[counter(labels(agent: String), max_series = 0)]
    runs: Counter,
}

fn main() {}
