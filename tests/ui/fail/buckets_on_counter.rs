use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter(buckets = [1, 2, 3])]
    requests: Counter,
}

fn main() {}
