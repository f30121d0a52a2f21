//! AgentCube, a sandbox workload manager and router for AI agents: creates, routes to, garbage-collects
//! and deletes sandboxes, with its metrics served at `/metrics` on its own API server, beside its routes.
//!
//! Run with `cargo run --example agentcube -- --listen 127.0.0.1:8080` (flags: `--listen ADDR`,
//! `--config FILE`, `--traffic false` to serve only the API without simulated traffic, `--idle-seconds N`
//! for the garbage collector's idle limit, default 5, `--gc-every N` for its period, default 2, 0 to run it
//! only through `POST /v1/gc`).
//!
//! The API, on the same port as `/metrics`:
//!
//! ```text
//! POST   /v1/sandboxes             {"kind": "code-interpreter"}   create a sandbox (201, or 503 when it failed)
//! GET    /v1/sandboxes/{id}                                        describe it (404 when unknown)
//! DELETE /v1/sandboxes/{id}                                        delete it (204)
//! POST   /v1/sandboxes/{id}/invoke                                 route a request to it (502/504 on proxy errors)
//! POST   /v1/gc                                                    run a garbage-collection cycle now
//! ```
//!
//! A creation's provisioning time is simulated (0.5 s to over a minute, slept at 1/200 of that, so the API
//! stays quick) and observed in `agentcube_sandbox_create_duration_seconds`. A failed or timed-out creation
//! rolls back what it created. `invoke` creates a router session when called without an `x-session-id`
//! header. The garbage collector runs every 2 s, reclaiming sandboxes idle for 5 s (`--idle-seconds`) or older than
//! 30 s.
//! The first line on stdout is `agentcube: listening on http://ADDR`.

#[path = "../common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use metrics_runtime::collectors::{ProcessCollector, RuntimeCollector};
use metrics_runtime::http::{Handler, shutdown_signal};
use metrics_runtime::prelude::*;
use serde::Deserialize;
use serde_json::json;

/// Everything AgentCube measures: sandbox lifecycle, garbage collection and the request router.
#[metrics(namespace = "agentcube")]
#[labels(
    SandboxKind { CodeInterpreter = "code-interpreter", Browser = "browser", Agent = "agent" },
    CreateStatus { Success = "success", Failed = "failed", Timeout = "timeout" },
    Reason { Idle = "idle", Expired = "expired" },
    Category { NotFound = "not_found", Upstream = "upstream", Timeout = "timeout" },
)]
pub(crate) struct AgentCubeMetrics {
    /// Time to provision a sandbox, by kind and outcome.
    #[histogram(labels(kind: SandboxKind, status: CreateStatus), unit = "seconds",
                buckets = [0.5, 1, 2, 5, 10, 20, 30, 60, 120])]
    sandbox_create_duration: Histogram,

    /// Sandbox creations, by kind and outcome.
    #[counter(labels(kind: SandboxKind, status: CreateStatus))]
    sandbox_create: Counter,

    /// Sandboxes deleted, by kind (through the API or by the garbage collector).
    #[counter(labels(kind: SandboxKind))]
    sandbox_delete: Counter,

    /// Failed creations whose partly created resources were rolled back.
    #[counter]
    sandbox_rollback: Counter,

    /// Time of one garbage-collection cycle.
    #[histogram(unit = "seconds", buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1])]
    gc_cycle_duration: Histogram,

    /// Sandboxes reclaimed by the garbage collector, by reason.
    #[counter(labels(reason: Reason))]
    gc_sandboxes_reclaimed: Counter,

    /// Garbage-collection cycles that failed to reclaim a sandbox.
    #[counter]
    gc_errors: Counter,

    /// Time to route a request to a sandbox and get its answer, by sandbox kind.
    #[histogram(labels(kind: SandboxKind), unit = "seconds", buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5])]
    router_request_duration: Histogram,

    /// Requests the router could not proxy, by category.
    #[counter(labels(category: Category))]
    router_proxy_errors: Counter,

    /// Requests the router is proxying right now.
    #[gauge]
    router_concurrent_requests: Gauge,

    /// Router sessions created.
    #[counter]
    router_session_create: Counter,
}

static METRICS: LazyLock<AgentCubeMetrics> = LazyLock::new(AgentCubeMetrics::default);

const KINDS: [SandboxKind; 3] = [SandboxKind::CodeInterpreter, SandboxKind::Browser, SandboxKind::Agent];
/// Simulated seconds are slept at this fraction, so a simulated minute takes 300 ms.
const TIME_SCALE: f64 = 1.0 / 200.0;
/// A creation that would take longer than this gives up.
const CREATE_TIMEOUT_SECONDS: f64 = 60.0;
/// Sandboxes live at most this long.
const EXPIRE_AFTER: Duration = Duration::from_secs(30);

fn kind_name(kind: SandboxKind) -> &'static str {
    LabelEnum::as_str(kind)
}

fn parse_kind(name: &str) -> Option<SandboxKind> {
    KINDS.into_iter().find(|k| kind_name(*k) == name)
}

/// One sandbox the manager runs.
struct Sandbox {
    kind: SandboxKind,
    created: Instant,
    last_used: Instant,
}

/// The manager's state, shared by the API, the router, the garbage collector and the simulated traffic.
struct Cube {
    /// Sandboxes unused for this long are reclaimed.
    idle_after: Duration,
    sandboxes: Mutex<HashMap<String, Sandbox>>,
    next_id: Mutex<u64>,
    rng: Mutex<common::Rng>,
}

/// What a creation ended in.
enum Created {
    Ok(String),
    Failed(CreateStatus),
}

impl Cube {
    fn new(seed: u64, idle_after: Duration) -> Self {
        Cube {
            idle_after,
            sandboxes: Mutex::default(),
            next_id: Mutex::new(1),
            rng: Mutex::new(common::Rng::new(seed)),
        }
    }

    fn with_rng<T>(&self, f: impl FnOnce(&mut common::Rng) -> T) -> T {
        f(&mut self.rng.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn sandboxes(&self) -> std::sync::MutexGuard<'_, HashMap<String, Sandbox>> {
        self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Provisions a sandbox: a simulated image pull and boot that sometimes fails or times out.
    async fn create(&self, kind: SandboxKind) -> Created {
        let (seconds, fails) = self.with_rng(|rng| {
            let base = match kind {
                SandboxKind::CodeInterpreter => 0.8,
                SandboxKind::Browser => 3.0,
                SandboxKind::Agent => 6.0,
            };
            // Mostly quick; a cold image pull now and then takes far longer.
            let seconds = if rng.chance(0.05) { base * 15.0 } else { base * (0.5 + 2.0 * rng.unit()) };
            (seconds, rng.chance(0.04))
        });
        let status = if seconds > CREATE_TIMEOUT_SECONDS {
            CreateStatus::Timeout
        } else if fails {
            CreateStatus::Failed
        } else {
            CreateStatus::Success
        };
        let spent = seconds.min(CREATE_TIMEOUT_SECONDS);
        tokio::time::sleep(Duration::from_secs_f64(spent * TIME_SCALE)).await;
        METRICS.sandbox_create_duration(kind, status).observe(spent);
        METRICS.sandbox_create(kind, status).inc();
        if status != CreateStatus::Success {
            // The pod, volume and network created so far are released.
            METRICS.sandbox_rollback().inc();
            return Created::Failed(status);
        }
        let id = {
            let mut next = self.next_id.lock().unwrap_or_else(PoisonError::into_inner);
            *next += 1;
            format!("sbx-{:05}", *next - 1)
        };
        let now = Instant::now();
        self.sandboxes().insert(id.clone(), Sandbox { kind, created: now, last_used: now });
        Created::Ok(id)
    }

    fn delete(&self, id: &str) -> bool {
        let removed = self.sandboxes().remove(id);
        if let Some(sandbox) = &removed {
            METRICS.sandbox_delete(sandbox.kind).inc();
        }
        removed.is_some()
    }

    /// Routes one request to sandbox `id`; `Err` is the HTTP status of a proxy error.
    async fn invoke(&self, id: &str, new_session: bool) -> Result<SandboxKind, StatusCode> {
        let _inflight = METRICS.router_concurrent_requests().track_inflight();
        let kind = {
            let mut sandboxes = self.sandboxes();
            match sandboxes.get_mut(id) {
                Some(sandbox) => {
                    sandbox.last_used = Instant::now();
                    sandbox.kind
                }
                None => {
                    METRICS.router_proxy_errors(Category::NotFound).inc();
                    return Err(StatusCode::NOT_FOUND);
                }
            }
        };
        if new_session {
            METRICS.router_session_create().inc();
        }
        let _timer = METRICS.router_request_duration(kind).start_timer();
        let (millis, outcome) = self.with_rng(|rng| {
            let millis = 2 + rng.below(40) as u64;
            let outcome = match rng.below(100) {
                0 => Err(Category::Upstream),
                1 => Err(Category::Timeout),
                _ => Ok(()),
            };
            (millis, outcome)
        });
        tokio::time::sleep(Duration::from_millis(millis)).await;
        match outcome {
            Ok(()) => Ok(kind),
            Err(category) => {
                METRICS.router_proxy_errors(category).inc();
                Err(if category == Category::Timeout { StatusCode::GATEWAY_TIMEOUT } else { StatusCode::BAD_GATEWAY })
            }
        }
    }

    /// One garbage-collection cycle: reclaims idle and expired sandboxes; returns how many.
    fn gc(&self) -> usize {
        let _timer = METRICS.gc_cycle_duration().start_timer();
        let now = Instant::now();
        let mut sandboxes = self.sandboxes();
        let doomed: Vec<(String, Reason)> = sandboxes
            .iter()
            .filter_map(|(id, s)| {
                if now.duration_since(s.created) >= EXPIRE_AFTER {
                    Some((id.clone(), Reason::Expired))
                } else if now.duration_since(s.last_used) >= self.idle_after {
                    Some((id.clone(), Reason::Idle))
                } else {
                    None
                }
            })
            .collect();
        let mut reclaimed = 0;
        for (id, reason) in doomed {
            // Now and then the runtime refuses to stop a sandbox; the next cycle tries again.
            if self.with_rng(|rng| rng.chance(0.02)) {
                METRICS.gc_errors().inc();
                continue;
            }
            if let Some(sandbox) = sandboxes.remove(&id) {
                METRICS.gc_sandboxes_reclaimed(reason).inc();
                METRICS.sandbox_delete(sandbox.kind).inc();
                reclaimed += 1;
            }
        }
        reclaimed
    }
}

#[derive(Deserialize)]
struct CreateRequest {
    kind: String,
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn create_sandbox(State(cube): State<Arc<Cube>>, Json(req): Json<CreateRequest>) -> Response {
    let Some(kind) = parse_kind(&req.kind) else {
        let kinds: Vec<_> = KINDS.into_iter().map(kind_name).collect();
        return error(StatusCode::BAD_REQUEST, format!("unknown kind `{}`: expected one of {kinds:?}", req.kind));
    };
    match cube.create(kind).await {
        Created::Ok(id) => (StatusCode::CREATED, Json(json!({ "id": id, "kind": req.kind }))).into_response(),
        Created::Failed(CreateStatus::Timeout) => {
            error(StatusCode::SERVICE_UNAVAILABLE, "the sandbox was not ready in time; rolled back".into())
        }
        Created::Failed(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the sandbox failed to start; rolled back".into()),
    }
}

async fn get_sandbox(State(cube): State<Arc<Cube>>, Path(id): Path<String>) -> Response {
    match cube.sandboxes().get(&id) {
        Some(s) => Json(json!({
            "id": id,
            "kind": kind_name(s.kind),
            "age_seconds": s.created.elapsed().as_secs_f64(),
            "idle_seconds": s.last_used.elapsed().as_secs_f64(),
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no sandbox {id}")),
    }
}

async fn delete_sandbox(State(cube): State<Arc<Cube>>, Path(id): Path<String>) -> Response {
    match cube.delete(&id) {
        true => StatusCode::NO_CONTENT.into_response(),
        false => error(StatusCode::NOT_FOUND, format!("no sandbox {id}")),
    }
}

async fn invoke_sandbox(State(cube): State<Arc<Cube>>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let new_session = !headers.contains_key("x-session-id");
    match cube.invoke(&id, new_session).await {
        Ok(kind) => Json(json!({ "id": id, "kind": kind_name(kind), "result": "ok" })).into_response(),
        Err(StatusCode::NOT_FOUND) => error(StatusCode::NOT_FOUND, format!("no sandbox {id}")),
        Err(status) => error(status, format!("proxying to sandbox {id} failed")),
    }
}

async fn run_gc(State(cube): State<Arc<Cube>>) -> Response {
    Json(json!({ "reclaimed": cube.gc() })).into_response()
}

/// The application's API with the metrics handler mounted beside its routes.
fn router(cube: Arc<Cube>, metrics: Handler, metrics_path: &str) -> axum::Router {
    let scrape = move |request: Request| {
        let metrics = metrics.clone();
        async move { metrics.handle(request).await }
    };
    axum::Router::new()
        .route("/v1/sandboxes", post(create_sandbox))
        .route("/v1/sandboxes/{id}", get(get_sandbox).delete(delete_sandbox))
        .route("/v1/sandboxes/{id}/invoke", post(invoke_sandbox))
        .route("/v1/gc", post(run_gc))
        .route(metrics_path, get(scrape))
        .with_state(cube)
}

/// Agents that create sandboxes, send them requests for a while, and sometimes delete them.
async fn simulate_traffic(cube: Arc<Cube>) {
    let mut every = tokio::time::interval(Duration::from_millis(100));
    loop {
        every.tick().await;
        let (create, kind, invoke, delete) =
            cube.with_rng(|rng| (rng.chance(0.3), rng.pick(&KINDS), rng.chance(0.9), rng.chance(0.05)));
        if create {
            let cube = cube.clone();
            tokio::spawn(async move { cube.create(kind).await });
        }
        let ids: Vec<String> = cube.sandboxes().keys().cloned().collect();
        if ids.is_empty() {
            continue;
        }
        if invoke {
            for _ in 0..3 {
                let (id, new_session) = cube.with_rng(|rng| (ids[rng.below(ids.len())].clone(), rng.chance(0.2)));
                let cube = cube.clone();
                tokio::spawn(async move { cube.invoke(&id, new_session).await });
            }
        }
        if delete {
            let id = cube.with_rng(|rng| ids[rng.below(ids.len())].clone());
            cube.delete(&id);
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = common::parse_args("agentcube", &["traffic", "idle-seconds", "gc-every"]);
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
    let gc_every = seconds("gc-every", 2.0)?;
    let config = args.config;
    let registry = config.registry();
    registry.register(&*METRICS)?;
    if config.collectors.process {
        registry.register(ProcessCollector::new())?;
    }
    if config.collectors.runtime {
        registry.register(RuntimeCollector::current())?;
    }
    let metrics = Handler::new(registry, &config);

    let cube = Arc::new(Cube::new(0x0a9e_c0be, idle_after));
    if !gc_every.is_zero() {
        let gc = cube.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(gc_every);
            loop {
                every.tick().await;
                gc.gc();
            }
        });
    }
    if traffic {
        tokio::spawn(simulate_traffic(cube.clone()));
    }

    let listener = tokio::net::TcpListener::bind(config.listen_addr()).await?;
    println!("agentcube: listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(cube, metrics, &config.endpoint.path))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
