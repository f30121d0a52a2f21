//! AgentCube, a sandbox platform for AI agents, as its two API servers in one program: the workload
//! manager (creates, deletes and garbage-collects sandboxes) and the router (proxies user traffic into
//! them), each serving its own metrics at `/metrics` beside `/health` and `/ready` on its own port, as the
//! proposal "Add Prometheus Metrics for Workload Manager and Router Observability" (seed 001) names them.
//!
//! Run with `cargo run --example agentcube -- --listen 127.0.0.1:8080 --router-listen 127.0.0.1:8081`.
//! Flags: `--listen ADDR` (the workload manager), `--router-listen ADDR` (the router; by default the
//! workload manager's host and the next port, port 0 picking a free one), `--config FILE`
//! (`prometheus_metrics` schema, for both servers), `--traffic false` to serve the APIs without simulated
//! traffic, `--idle-seconds N` (sandboxes unused this long are reclaimed as `inactive`, default 5),
//! `--ttl-seconds N` (sandboxes older than this are reclaimed as `expired`, default 30), `--gc-every N`
//! (the garbage collector's period, default 2; 0 runs it only through `POST /v1/gc`) and
//! `--max-concurrent-requests N` (the router's limit, default 64).
//!
//! The workload manager's API (its families: `agentcube_sandbox_*`, `agentcube_gc_*`):
//!
//! ```text
//! POST   /v1/sandboxes        {"kind": "CodeInterpreter"}  create a sandbox: 201, or 503 {"error", "rolled_back"}
//! GET    /v1/sandboxes/{id}                                describe it (404 when unknown)
//! DELETE /v1/sandboxes/{id}                                delete it (204)
//! POST   /v1/gc                                            run a garbage-collection cycle now: 200, or 500 when it failed
//! ```
//!
//! The router's API (its families: `agentcube_router_*`):
//!
//! ```text
//! POST /v1/sandboxes/{id}/invoke[?work_ms=N]  route a request to sandbox {id}
//! POST /v1/invoke/{kind}[?work_ms=N]          route a request to the session named by `x-session-id`, or,
//!                                             without that header, to a new sandbox of {kind} (a new session)
//! ```
//!
//! A routed request answers 200, or 502/504 with the proxy error's `category`; 404 for an unknown sandbox
//! or session, 429 beyond `--max-concurrent-requests`, 503 when a new session's sandbox failed to start.
//! Answers name the session in `x-session-id`. `work_ms` is how long the sandbox works on the request.
//!
//! A creation's steps (store placeholder, Kubernetes resources, readiness wait, entrypoint probe) are
//! simulated, from half a second to over a minute, slept at 1/200 of that so that the API stays quick, and
//! observed in simulated seconds. The proposal names no bounds: creation takes multi-second buckets up
//! to 120 s with one at its SLO (p99 < 30 s), the other histograms the default buckets (5 ms to 10 s). The first two lines on stdout are `agentcube: workload manager listening on
//! http://ADDR` and `agentcube: router listening on http://ADDR`.

#[path = "../common/mod.rs"]
mod common;
mod router;
mod workload_manager;

use std::error::Error;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Json;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use promstruct::Collect;
use promstruct::collectors::{ProcessCollector, RuntimeCollector};
use promstruct::config::Config;
use promstruct::http::{Handler, shutdown_signal};
use promstruct::prelude::*;
use serde_json::json;

use crate::router::{Router, RouterMetrics};
use crate::workload_manager::{Manager, WorkloadManagerMetrics};

/// The kinds of sandbox AgentCube runs: the `kind` label of both servers' families.
#[derive(Debug, Clone, Copy, PartialEq, Eq, LabelEnum)]
pub(crate) enum SandboxKind {
    /// An agent's runtime.
    #[label(rename = "AgentRuntime")]
    AgentRuntime,
    /// A code interpreter.
    #[label(rename = "CodeInterpreter")]
    CodeInterpreter,
}

impl SandboxKind {
    /// The kind whose label value (and API name) is `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

/// Simulated seconds are slept at this fraction, so a simulated minute takes 300 ms.
pub(crate) const TIME_SCALE: f64 = 1.0 / 200.0;

/// A random source shared by tasks.
pub(crate) struct Dice(Mutex<common::Rng>);

impl Dice {
    /// A source seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Dice(Mutex::new(common::Rng::new(seed)))
    }

    /// Runs `f` with the generator.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut common::Rng) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// An error answer: `status` with `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// `api` with the metrics handler mounted at `metrics_path`, `/health` and `/ready` (the handler answers
/// other methods itself, with 405).
pub(crate) fn mount(api: axum::Router, metrics: Handler, metrics_path: &str) -> axum::Router {
    let handle = move |request: Request| {
        let metrics = metrics.clone();
        async move { metrics.handle(request).await }
    };
    api.route(metrics_path, any(handle.clone())).route("/health", any(handle.clone())).route("/ready", any(handle))
}

/// A registry for one server with `metrics` and the collectors `config` switches on, and its handler.
fn serve_metrics(config: &Config, metrics: impl Collect + 'static) -> Result<Handler, Box<dyn Error>> {
    let registry = config.registry();
    registry.register(metrics)?;
    if config.collectors.process {
        registry.register(ProcessCollector::new())?;
    }
    if config.collectors.runtime {
        registry.register(RuntimeCollector::current())?;
    }
    Ok(Handler::new(registry, config))
}

/// Agents at work: they create sandboxes through the workload manager and through the router's new
/// sessions, send requests into them, delete some, and leave the rest to the garbage collector.
async fn simulate_traffic(manager: Arc<Manager>, router: Arc<Router>) {
    let dice = Dice::new(0x07ea_0ffc);
    let mut every = tokio::time::interval(Duration::from_millis(100));
    loop {
        every.tick().await;
        let (create, new_session, kind, delete) =
            dice.with(|rng| (rng.chance(0.3), rng.chance(0.1), rng.pick(SandboxKind::ALL), rng.chance(0.05)));
        if create {
            let manager = manager.clone();
            tokio::spawn(async move { manager.create(kind).await });
        }
        if new_session {
            let router = router.clone();
            tokio::spawn(async move { router.invoke_session(kind, None, None).await });
        }
        let sandboxes = manager.list();
        if sandboxes.is_empty() {
            continue;
        }
        for _ in 0..3 {
            let ((id, kind), by_session) =
                dice.with(|rng| (sandboxes[rng.below(sandboxes.len())].clone(), rng.chance(0.5)));
            let router = router.clone();
            tokio::spawn(async move {
                match by_session {
                    true => router.invoke_session(kind, Some(&id), None).await,
                    false => router.invoke(&id, None).await,
                }
            });
        }
        if delete {
            let id = dice.with(|rng| sandboxes[rng.below(sandboxes.len())].0.clone());
            manager.delete(&id);
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    common::export_if_asked("agentcube", || {
        promstruct::export::Observability::new("AgentCube", "agentcube")
            .runbook_base(
                "https://github.com/promstruct/promstruct/blob/main/examples/agentcube/observability/runbooks",
            )
            .group("Workload manager", WorkloadManagerMetrics::FAMILIES)
            .group("Router", RouterMetrics::FAMILIES)
    });
    let own = ["router-listen", "traffic", "idle-seconds", "ttl-seconds", "gc-every", "max-concurrent-requests"];
    let args = common::parse_args("agentcube", &own);
    let flag = |name: &str| args.extra.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let traffic = match flag("traffic") {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => return Err(format!("--traffic {other}: expected true or false").into()),
    };
    let seconds = |name: &str, default: f64| match flag(name).map(str::parse::<f64>) {
        None => Ok(Duration::from_secs_f64(default)),
        Some(Ok(seconds)) if seconds.is_finite() && seconds >= 0.0 => Ok(Duration::from_secs_f64(seconds)),
        Some(_) => Err(format!("--{name}: expected a number of seconds")),
    };
    let idle_after = seconds("idle-seconds", 5.0)?;
    let ttl = seconds("ttl-seconds", 30.0)?;
    let gc_every = seconds("gc-every", 2.0)?;
    let limit = match flag("max-concurrent-requests").map(str::parse::<usize>) {
        None => 64,
        Some(Ok(limit)) if limit >= 1 => limit,
        Some(_) => return Err("--max-concurrent-requests: expected a whole number, at least 1".into()),
    };
    let config = args.config;
    let manager_addr = config.listen_addr();
    let router_addr: SocketAddr = match flag("router-listen") {
        Some(addr) => addr.parse().map_err(|e| format!("--router-listen {addr}: {e} (expected IP:PORT)"))?,
        None if manager_addr.port() == 0 => manager_addr,
        None => SocketAddr::new(manager_addr.ip(), manager_addr.port().checked_add(1).ok_or("no port after 65535")?),
    };

    let manager_metrics = Arc::new(WorkloadManagerMetrics::default());
    let router_metrics = Arc::new(RouterMetrics::default());
    let manager_handler = serve_metrics(&config, Arc::clone(&manager_metrics))?;
    let router_handler = serve_metrics(&config, Arc::clone(&router_metrics))?;
    let manager = Arc::new(Manager::new(manager_metrics, idle_after, ttl, 0x0a9e_c0be));
    let router = Arc::new(Router::new(router_metrics, manager.clone(), limit, 0x0020_47e5));

    if !gc_every.is_zero() {
        let manager = manager.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(gc_every);
            loop {
                every.tick().await;
                manager.gc();
            }
        });
    }
    if traffic {
        tokio::spawn(simulate_traffic(manager.clone(), router.clone()));
    }

    let manager_listener = tokio::net::TcpListener::bind(manager_addr).await?;
    let router_listener = tokio::net::TcpListener::bind(router_addr).await?;
    println!("agentcube: workload manager listening on http://{}", manager_listener.local_addr()?);
    println!("agentcube: router listening on http://{}", router_listener.local_addr()?);

    // One signal stops both servers, each after its in-flight requests.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.send_replace(true);
    });
    let until_stopped = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let path = &config.endpoint.path;
    let manager_server = axum::serve(manager_listener, workload_manager::routes(manager, manager_handler, path))
        .with_graceful_shutdown(until_stopped(stopped.clone()));
    let router_server = axum::serve(router_listener, router::routes(router, router_handler, path))
        .with_graceful_shutdown(until_stopped(stopped));
    tokio::try_join!(manager_server.into_future(), router_server.into_future())?;
    Ok(())
}
