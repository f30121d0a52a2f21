use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Responses, by status code.
    #[counter(labels(code: u16))]
    responses: Counter,
}

fn main() {}
