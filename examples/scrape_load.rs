//! A registry of N synthetic series served for load tests of the endpoint (`scripts/bench-http` drives it
//! with `wrk`): `cargo run --release --example scrape_load -- --series 100000 [--listen ADDR] [--config FILE]`.
//!
//! The series are counters and gauges spread over ten families of `series / 10` label sets each, about
//! 60 bytes a line. The registry's series limit is raised to fit them. The endpoint is the runtime's
//! own server with the configuration of `--config FILE` (set `cache.enabled: false` to encode on every
//! scrape; `endpoint.tls` to serve HTTPS). The first line on stdout is `scrape_load: listening on
//! http://ADDR` (`https://` with TLS); SIGTERM or Ctrl-C stops it.

mod common;

use std::error::Error;
use std::process::ExitCode;

use promstruct::Registry;
use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use promstruct::http::Server;

const FAMILIES: usize = 10;

/// Fills `registry` with `series` series (rounded down to a multiple of ten).
fn populate(registry: &Registry, series: usize) -> Result<(), Box<dyn Error>> {
    let dynamic = DynamicMetrics::new(registry)?;
    let per_family = series / FAMILIES;
    for f in 0..FAMILIES {
        let name = format!("load_family_{f}");
        let labels = ["shard", "pod"];
        if f % 2 == 0 {
            let spec = MetricSpec::new(name, "Synthetic requests, by shard and pod.", SpecKind::Counter)
                .labels(labels)
                .max_series(per_family);
            let family = dynamic.counter(&spec)?;
            for i in 0..per_family {
                family.get(&[&format!("shard-{:03}", i % 100), &format!("pod-{i:06}")]).inc_by(i as f64);
            }
        } else {
            let spec = MetricSpec::new(name, "Synthetic queue depth, by shard and pod.", SpecKind::Gauge)
                .labels(labels)
                .max_series(per_family);
            let family = dynamic.gauge(&spec)?;
            for i in 0..per_family {
                family.get(&[&format!("shard-{:03}", i % 100), &format!("pod-{i:06}")]).set(i as f64 / 8.0);
            }
        }
    }
    Ok(())
}

async fn run() -> Result<(), Box<dyn Error>> {
    let args = common::parse_args("scrape_load", &["series"]);
    let series = match args.extra.iter().rev().find(|(name, _)| name == "series") {
        Some((_, value)) => value.parse().map_err(|e| format!("--series {value}: {e}"))?,
        None => 10_000,
    };
    let config = args.config;
    let limit = config.cardinality.total_limit.max(series + 1_000);
    let registry = Registry::builder().total_series_limit(limit).build();
    populate(&registry, series)?;
    let server = Server::bind(registry, &config).await?;
    println!("scrape_load: listening on {}", server.url());
    server.run().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scrape_load: {e}");
            ExitCode::FAILURE
        }
    }
}
