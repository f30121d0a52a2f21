use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Requests.
    #[cfg(feature = "extra")]
    #[counter]
    requests: Counter,
}

fn main() {}
