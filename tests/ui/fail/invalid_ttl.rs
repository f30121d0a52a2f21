use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Sessions, by user.
    #[gauge(labels(user: String), ttl = "30 seconds")]
    sessions: Gauge,

    /// Runs, by agent.
    #[counter(labels(agent: String), ttl = "0s")]
    runs: Counter,
}

fn main() {}
