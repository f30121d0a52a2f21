use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Model { Gpt = "gpt-4o", Claude = "claude" })]
pub struct AppMetrics {
    /// Requests, by model.
    #[counter(labels(model: Model, model: Model))]
    requests: Counter,
}

fn main() {}
