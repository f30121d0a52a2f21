use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// New accounts.
    #[counter]
    new: Counter,
}

fn main() {}
