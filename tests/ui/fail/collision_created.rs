use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Jobs run.
    #[counter]
    jobs: Counter,

    /// When the jobs started.
    #[gauge]
    jobs_created: Gauge,
}

fn main() {}
