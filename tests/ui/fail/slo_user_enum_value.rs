use promstruct::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, LabelEnum)]
pub enum Outcome {
    Ok,
    Failed,
}

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Jobs, by outcome.
    #[counter(labels(outcome: Outcome), slo(errors = outcome("error"), objective = 0.99))]
    jobs: Counter,
}

fn main() {}
