use promstruct::prelude::*;

#[metrics(namespace = "__app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: Counter,
}

fn main() {}
