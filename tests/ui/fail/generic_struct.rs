use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics<const N: usize> {
    /// Requests.
    #[counter]
    requests: Counter,
}

fn main() {}
