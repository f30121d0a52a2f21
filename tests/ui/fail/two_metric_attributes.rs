use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    #[gauge]
    requests: Counter,
}

fn main() {}
