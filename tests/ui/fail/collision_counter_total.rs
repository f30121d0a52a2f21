use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Jobs run.
    #[counter]
    jobs: Counter,

    /// Jobs run so far, as a gauge.
    #[gauge]
    jobs_total: Gauge,
}

fn main() {}
