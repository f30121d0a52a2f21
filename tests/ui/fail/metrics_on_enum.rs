use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub enum AppMetrics {
    Requests,
}

fn main() {}
