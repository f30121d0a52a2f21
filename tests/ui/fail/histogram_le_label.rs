use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Tier { Fast = "fast", Slow = "slow" })]
pub struct AppMetrics {
    /// Latency, by tier.
    #[histogram(labels(le: Tier), unit = "seconds")]
    latency: Histogram,
}

fn main() {}
