use promstruct::prelude::*;

#[metrics(namespce = "app")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: Counter,
}

fn main() {}
