use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    #[counter(help = "  ")]
    requests: Counter,
}

fn main() {}
