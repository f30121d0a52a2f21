use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Jobs run.
    #[counter]
    jobs: Counter,

    /// Jobs waiting.
    #[gauge(name = "jobs")]
    jobs_waiting: Gauge,

    /// Jobs run, again.
    #[counter(name = "jobs")]
    jobs_again: Counter,
}

fn main() {}
