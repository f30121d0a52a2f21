use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: u64,

    /// Latency.
    #[histogram(unit = "seconds")]
    latency: Vec<Histogram>,
}

fn main() {}
