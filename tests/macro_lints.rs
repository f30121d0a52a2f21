//! The code `#[metrics]` and `#[derive(LabelEnum)]` generate is lint-clean: this file is compiled under
//! `#![deny(warnings, clippy::all, clippy::pedantic)]` and `missing_docs` by `cargo clippy --all-targets`,
//! with every kind of family, label and option the macros take.
//!
//! Clippy skips the code a procedural macro generates, so the macros' output for the declarations below is
//! also kept as plain code in `macro_lints/expanded.rs`, where clippy lints it like hand-written code; a test
//! of `promstruct-macros` (`lint_snapshot`) fails when that file is not what the macros generate.
#![deny(warnings, missing_docs, clippy::all, clippy::pedantic)]

use promstruct::MetricType;
use promstruct::prelude::*;

/// Regions, a label set shared by several structs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, LabelEnum)]
#[label(rename_all = "kebab-case")]
pub enum Region {
    /// Europe.
    EuWest,
    /// America.
    #[label(rename = "us")]
    UsEast,
}

/// Everything the macro takes, in one struct.
#[derive(Debug)]
#[metrics(namespace = "lint", subsystem = "check")]
#[labels(
    /// Outcomes.
    Outcome {
        /// It worked.
        Ok = "ok",
        /// It did not.
        Failed,
    },
)]
pub struct LintMetrics {
    /// Requests, by region and outcome.
    #[counter(labels(region: Region, outcome: Outcome), slo(errors = outcome("failed"), objective = 0.999, window = "28d"))]
    requests: Counter,

    /// Spend.
    #[counter(unit = "dollars")]
    spend: FloatCounter,

    /// Queue depth.
    #[gauge]
    queue: Gauge,

    /// Temperature.
    #[gauge(labels(room: String), unit = "celsius", max_series = 10, ttl = "5m")]
    temperature: FloatGauge,

    /// Latency.
    #[histogram(labels(region: Region), unit = "seconds", buckets = exponential(0.01, 2, 8), slo(latency = 0.32, objective = 0.99))]
    latency: Histogram,

    /// Sizes.
    #[histogram(labels(kind: &str, outcome: Outcome), unit = "bytes", buckets = linear(100, 100, 5))]
    sizes: Histogram,

    /// Build facts.
    #[info]
    build: Info,

    #[gauge(name = "workers", help = "Workers running.", labels(r#type: Outcome))]
    worker_count: Gauge,
}

#[test]
fn every_accessor_works_under_pedantic_lints() {
    let m = LintMetrics::new();
    m.requests(Region::EuWest, Outcome::Failed).inc();
    assert!(m.spend().inc_by(1.5));
    m.queue().set(3);
    m.temperature("kitchen").set(21.5);
    m.latency(Region::UsEast).observe(0.02);
    m.sizes("upload", Outcome::Ok).observe(150.0);
    m.build().set([("version", "1.0")]).unwrap();
    m.worker_count(Outcome::Ok).inc();
    assert_eq!(m.requests(Region::EuWest, Outcome::Failed).get(), 1);
    assert_eq!(LintMetrics::FAMILIES.len(), 8);
    assert_eq!(LintMetrics::FAMILIES[7].name(), "lint_check_workers");
    assert_eq!(LintMetrics::FAMILIES[1].kind(), MetricType::Counter);
}

/// What the macros generate for the declarations above, written out as plain code for clippy to lint.
#[path = "macro_lints/expanded.rs"]
pub mod expanded;

#[test]
fn the_expansion_written_out_is_the_same_metrics() {
    use expanded::{LintMetrics as Expanded, Outcome as ExpandedOutcome, Region as ExpandedRegion};

    let m = Expanded::new();
    m.requests(ExpandedRegion::EuWest, ExpandedOutcome::Failed).inc();
    assert!(m.spend().inc_by(1.5));
    m.queue().set(3);
    m.temperature("kitchen").set(21.5);
    m.latency(ExpandedRegion::UsEast).observe(0.02);
    m.sizes("upload", ExpandedOutcome::Ok).observe(150.0);
    m.build().set([("version", "1.0")]).unwrap();
    m.worker_count(ExpandedOutcome::Ok).inc();
    assert_eq!(m.requests(ExpandedRegion::EuWest, ExpandedOutcome::Failed).get(), 1);
    let names = |families: &[promstruct::FamilySchema]| -> Vec<String> {
        families.iter().map(|f| format!("{} {:?}", f.name(), f.kind())).collect()
    };
    assert_eq!(names(Expanded::FAMILIES), names(LintMetrics::FAMILIES));
}
