use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter(name = "httpRequests")]
    requests: Counter,
}

fn main() {}
