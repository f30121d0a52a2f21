//! An Argo Workflows controller simulator: it reads Argo Workflow manifests and the workflow-controller
//! ConfigMap in Argo's own formats, runs the workflows over simulated pods, and serves Argo's controller
//! metrics (`argo_workflows_count`, `argo_workflows_queue_latency`, ... declared with `#[metrics]`) beside
//! the custom metrics the workflows define (`spec.metrics.prometheus`, `templates[].metrics.prometheus`,
//! defined at run time through `promstruct::dynamic`).
//!
//! Run with `cargo run --example argo -- --workflows examples/argo/workflows.yml --controller-config
//! examples/argo/controller-config.yml` and read `http://127.0.0.1:8080/metrics` (the ConfigMap's port;
//! 9090 without it).
//!
//! Flags:
//! - `--workflows FILE`: Workflow manifests, one or more YAML documents (default `examples/argo/workflows.yml`,
//!   the examples of Argo's metrics documentation).
//! - `--controller-config FILE`: the workflow-controller ConfigMap; its `metricsConfig` (`enabled`, `path`,
//!   `port`, `metricsTTL`, `ignoreErrors`, `secure`) applies. `secure: true` serves HTTPS with a
//!   self-signed certificate generated at start, as Argo does (scrape it with `insecure_skip_verify`),
//!   unless the serving configuration (`--config`) names a certificate of its own in `endpoint.tls`.
//! - `--listen ADDR` (over the ConfigMap's port), `--config FILE` (this library's serving configuration).
//! - `--runs N`: submit each workflow N times, then stop submitting (default: forever); `--interval MS`
//!   between submissions (default 500); `--failure-rate P`, how often a pod fails where its template does
//!   not say (default 0.1); `--seed N`; `--keep-completed N`, finished workflows kept before the oldest is
//!   deleted (default 50); `--events FILE`, a JSON line per completed node and workflow (what ran, for
//!   checking the metrics against).
//!
//! A template may tune its simulated pods with annotations on its `metadata` (Argo passes them to the pod):
//! `simulator/failure-rate: "0.66"` and `simulator/run-seconds: "0.5-3"`. Output parameters get a random
//! integer from 1 to 10 unless they have a `value`.
//!
//! A bad manifest or metric stops the controller before it serves (exit 2) with an error naming the
//! metric, unless `ignoreErrors: true`, which logs it (a tracing warning) and skips it. The first line on
//! stdout is `argo: serving http://ADDR/PATH` (`https://` with `secure: true`); with `enabled: false` it
//! is `argo: metrics disabled`, and the controller exits once its `--runs` are done.

#[path = "../common/mod.rs"]
mod common;
mod controller;
mod controller_config;
mod custom;
mod expr;
mod manifest;
mod metrics;
mod queue;

use std::path::{Path, PathBuf};
use std::process::exit;
use std::sync::Arc;
use std::time::Duration;

use promstruct::collectors::{ProcessCollector, RuntimeCollector};
use promstruct::config::TlsConfig;
use promstruct::dynamic::DynamicMetrics;
use promstruct::http::Server;

use controller::{Controller, Document, Settings};
use controller_config::MetricsConfig;
use custom::CustomMetrics;

/// The manifests bundled with the example.
const DEFAULT_WORKFLOWS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/argo/workflows.yml");

/// Locks `m`, also after a thread panicked holding it (the simulation's state stays usable).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Prints `message` and exits with status 2, as for any mistake in the input.
fn refuse(message: &str) -> ! {
    eprintln!("argo: {message}");
    exit(2)
}

/// The value of flag `name`, parsed, or `default`.
fn flag<T: std::str::FromStr>(extra: &[(String, String)], name: &str, default: T) -> T {
    match extra.iter().rev().find(|(n, _)| n == name) {
        None => default,
        Some((_, v)) => v.parse().unwrap_or_else(|_| refuse(&format!("--{name} {v}: not a valid value"))),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::export_if_asked("argo", || {
        promstruct::export::Observability::new("Argo Workflows controller", "argo-workflows")
            .runbook_base("https://github.com/promstruct/promstruct/blob/main/examples/argo/observability/runbooks")
            .group("Workflows", metrics::WorkflowsMetrics::FAMILIES)
            .group("Pods", metrics::PodMetrics::FAMILIES)
    });
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let own =
        ["workflows", "controller-config", "runs", "interval", "failure-rate", "seed", "keep-completed", "events"];
    let args = common::parse_args("argo", &own);
    let listen_given = std::env::args().any(|a| a == "--listen");
    let text = |name: &str| args.extra.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.clone());

    let metrics_config = match text("controller-config") {
        Some(path) => controller_config::load(Path::new(&path)).unwrap_or_else(|e| refuse(&e)),
        None => MetricsConfig::default(),
    };
    let failure_rate: f64 = flag(&args.extra, "failure-rate", 0.1);
    if !(0.0..=1.0).contains(&failure_rate) {
        refuse(&format!("--failure-rate {failure_rate}: not between 0 and 1"));
    }
    let settings = Settings {
        interval: Duration::from_millis(flag(&args.extra, "interval", 500u64).max(1)),
        runs: text("runs").map(|_| flag(&args.extra, "runs", 1usize)),
        seed: flag(&args.extra, "seed", 0xa460u64),
        keep_completed: flag(&args.extra, "keep-completed", 50usize),
    };
    let workflows_path = text("workflows").map_or_else(|| PathBuf::from(DEFAULT_WORKFLOWS), PathBuf::from);
    let workflows = manifest::load(&workflows_path).unwrap_or_else(|e| refuse(&e));

    let mut config = args.config;
    config.endpoint.path = metrics_config.path.clone();
    if !listen_given {
        config.endpoint.port = metrics_config.port;
    }
    if metrics_config.secure && config.endpoint.tls.is_none() {
        config.endpoint.tls = Some(TlsConfig::self_signed());
    }
    let registry = config.registry();
    registry.register(&*metrics::WORKFLOWS)?;
    registry.register(&*metrics::PODS)?;
    if config.collectors.process {
        registry.register(ProcessCollector::new())?;
    }
    if config.collectors.runtime {
        registry.register(RuntimeCollector::current())?;
    }
    let custom = Arc::new(CustomMetrics::new(DynamicMetrics::new(&registry)?, metrics_config.ttl));
    let plans = custom.plan(&workflows, metrics_config.ignore_errors).unwrap_or_else(|errors| {
        for e in &errors {
            eprintln!("argo: {}: {e}", workflows_path.display());
        }
        exit(2)
    });
    let mut docs = Vec::with_capacity(workflows.len());
    for (i, (workflow, plan)) in workflows.into_iter().zip(plans).enumerate() {
        let prefix = workflow.name_prefix();
        let doc = Document::new(workflow, plan, failure_rate).unwrap_or_else(|e| {
            refuse(&format!("{}: document {} (workflow `{prefix}`): {e}", workflows_path.display(), i + 1))
        });
        docs.push(doc);
    }
    let events = text("events").map(PathBuf::from);
    let controller = Controller::new(docs, custom, settings, events.as_deref()).unwrap_or_else(|e| refuse(&e));
    controller.start();

    if !metrics_config.enabled {
        println!("argo: metrics disabled (metricsConfig.enabled: false); simulating without serving");
        controller.all_finished().await;
        return Ok(());
    }
    let server = Server::bind(registry, &config).await?;
    println!("argo: serving {}{}", server.url(), config.endpoint.path);
    server.run().await?;
    Ok(())
}
