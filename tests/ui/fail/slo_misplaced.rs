use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(Status { Ok = "ok", Error = "error" })]
pub struct AppMetrics {
    /// Requests, by agent.
    #[counter(labels(agent: String), slo(errors = agent("x"), objective = 0.999))]
    by_agent: Counter,
    /// Requests, by outcome.
    #[counter(labels(status: Status), slo(errors = code("error"), objective = 0.999))]
    no_such_label: Counter,
    /// Queue depth.
    #[gauge(slo(latency = 1, objective = 0.99))]
    queue: Gauge,
    /// Latency.
    #[histogram(buckets = [1, 2], slo(latency = 1, objective = 1.5))]
    latency: Histogram,
    /// Latency, no objective.
    #[histogram(buckets = [1, 2], slo(latency = 1, window = "30s"))]
    latency_too: Histogram,
}

fn main() {}
