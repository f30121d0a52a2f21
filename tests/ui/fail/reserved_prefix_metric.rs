use promstruct::prelude::*;

#[metrics()]
pub struct AppMetrics {
    /// Requests.
    #[counter(name = "__requests")]
    requests: Counter,
}

fn main() {}
