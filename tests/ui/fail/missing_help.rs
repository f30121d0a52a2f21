use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    #[counter]
    requests: Counter,
}

fn main() {}
