use promstruct::prelude::*;
use promstruct::{SloIndicator, SloSchema};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, LabelEnum)]
pub enum Outcome {
    Ok,
    Failed,
}

#[metrics(namespace = "app")]
#[labels(Status { Ok = "ok", Error = "error", Timeout = "timeout" })]
pub struct AppMetrics {
    /// Request latency.
    #[histogram(unit = "seconds", buckets = [0.1, 0.5, 1], slo(latency = 0.5, objective = 0.99))]
    latency: Histogram,
    /// Requests, by outcome.
    #[counter(labels(status: Status), slo(errors = status("error", "timeout"), objective = 0.999, window = "28d"))]
    requests: Counter,
    /// Jobs, by outcome.
    #[counter(labels(outcome: Outcome), slo(errors = outcome("failed"), objective = 0.95))]
    jobs: Counter,
}

fn main() {
    let slo = |i: usize| *AppMetrics::FAMILIES[i].slo().unwrap();
    assert_eq!(slo(0), SloSchema::new(SloIndicator::Latency { threshold: 0.5 }, 0.99));
    assert_eq!(
        slo(1),
        SloSchema::new(SloIndicator::Errors { label: "status", values: &["error", "timeout"] }, 0.999)
            .with_window(Duration::from_secs(28 * 86_400))
    );
    assert_eq!(slo(1).window(), Duration::from_secs(28 * 86_400));
    assert_eq!(slo(2).window(), promstruct::DEFAULT_SLO_WINDOW);
    assert!((slo(2).error_budget() - 0.05).abs() < 1e-12);
    AppMetrics::new().requests(Status::Timeout).inc();
}
