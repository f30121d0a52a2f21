use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Jobs waiting.
    #[gauge]
    jobs_count: Gauge,

    /// Requests.
    #[gauge(name = "requests_total")]
    requests: Gauge,
}

fn main() {}
