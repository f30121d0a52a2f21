//! The expansion is clean under the strictest rustc lints a user may set, `missing_docs` included: every
//! generated public item (enums, variants, accessors, `new`, `FAMILIES`) is documented.
#![deny(warnings, missing_docs, missing_debug_implementations, unused, rust_2018_idioms, unreachable_pub)]
#![deny(clippy::all, clippy::pedantic)]

use promstruct::prelude::*;

/// A user's own label set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, LabelEnum)]
#[label(rename_all = "kebab-case")]
pub enum Region {
    /// Europe.
    EuWest,
    /// America.
    UsEast,
}

/// The metrics of a service.
#[derive(Debug)]
#[metrics(namespace = "svc", subsystem = "api")]
#[labels(
    Model { Gpt = "gpt-4o", Claude = "claude" },
    Outcome { Ok = "ok", Error },
)]
pub struct ApiMetrics {
    /// Requests, by model and outcome.
    #[counter(labels(model: Model, outcome: Outcome))]
    requests: Counter,

    /// Spend.
    #[counter(labels(region: Region), unit = "dollars")]
    spend: FloatCounter,

    /// Calls, by tool and outcome.
    #[counter(labels(tool: String, outcome: Outcome), max_series = 50, ttl = "10m")]
    calls: Counter,

    /// Queue depth.
    #[gauge]
    queue: Gauge,

    /// Load.
    #[gauge(labels(host: &str))]
    load: FloatGauge,

    /// Latency.
    #[histogram(labels(model: Model), unit = "seconds")]
    latency: Histogram,

    /// Build.
    #[info]
    build: Info,
}

fn main() {
    let m = ApiMetrics::new();
    m.requests(Model::Claude, Outcome::Error).inc();
    let _ = m.spend(Region::UsEast).inc_by(0.5);
    m.calls("search", Outcome::Ok).inc();
    m.queue().set(1);
    m.load("a").set(0.5);
    m.latency(Model::Gpt).observe(0.1);
    m.build().set([("version", "1")]).unwrap();
    assert_eq!(ApiMetrics::FAMILIES.len(), 7);
    assert_eq!(format!("{:?}", Region::EuWest), "EuWest");
}
