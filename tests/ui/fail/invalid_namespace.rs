use promstruct::prelude::*;

#[metrics(namespace = "my-app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: Counter,
}

fn main() {}
