use promstruct::prelude::*;

#[metrics(namespace = "app", subsystem = "Http")]
pub struct AppMetrics {
    /// Requests.
    #[counter]
    requests: Counter,
}

fn main() {}
