//! The workload manager: the sandboxes' create and delete lifecycle and the garbage collector that
//! reclaims expired and inactive sandboxes, with the metrics it serves on its own `/metrics`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use promstruct::http::Handler;
use promstruct::prelude::*;
use serde::Deserialize;
use serde_json::json;

use crate::{Dice, SandboxKind, TIME_SCALE, error, mount};

/// What the workload manager measures: the sandbox lifecycle and garbage collection.
#[metrics(namespace = "agentcube")]
#[labels(
    Status { Success = "success", Failure = "failure" },
    Reason { Expired = "expired", Inactive = "inactive" },
)]
pub(crate) struct WorkloadManagerMetrics {
    /// Time to create a sandbox end to end (store placeholder, Kubernetes resources, readiness wait,
    /// entrypoint probe), by kind and outcome.
    ///
    /// Multi-second buckets, with a bound at the proposal's SLO (creation p99 < 30 s) so that
    /// `histogram_quantile(0.99, ...)` can tell whether it holds.
    // SLO (the proposal's): 99 % of creations within 30 s over 30 days.
    #[histogram(
        labels(kind: SandboxKind, status: Status),
        unit = "seconds",
        buckets = [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
        slo(latency = 30, objective = 0.99)
    )]
    sandbox_create_duration: Histogram,

    /// Sandbox creations, by kind and outcome.
    // SLO (the proposal's availability): 99 % of creations succeed over 30 days.
    #[counter(labels(kind: SandboxKind, status: Status), slo(errors = status("failure"), objective = 0.99))]
    sandbox_create: Counter,

    /// Sandboxes deleted, by kind: through the API or by the garbage collector.
    #[counter(labels(kind: SandboxKind))]
    sandbox_delete: Counter,

    /// Failed creations that rolled back the resources they had created.
    #[counter]
    sandbox_rollback: Counter,

    /// Time of one garbage-collection cycle.
    // The proposal gives no buckets: native ones, which cover any duration.
    #[histogram(unit = "seconds", native(max_buckets = 160))]
    gc_cycle_duration: Histogram,

    /// Sandboxes reclaimed by the garbage collector, by reason: past their time to live, or inactive.
    #[counter(labels(reason: Reason))]
    gc_sandboxes_reclaimed: Counter,

    /// Garbage-collection cycles that failed.
    #[counter]
    gc_errors: Counter,
}

/// A creation that takes longer than this (simulated seconds) gives up and rolls back.
const CREATE_TIMEOUT_SECONDS: f64 = 60.0;
/// Simulated seconds to write a sandbox's placeholder in the store.
const STORE_SECONDS: f64 = 0.01;
/// Simulated seconds to probe a ready sandbox's entrypoint.
const PROBE_SECONDS: f64 = 0.2;

/// One sandbox the manager runs.
struct Sandbox {
    kind: SandboxKind,
    created: Instant,
    last_used: Instant,
}

/// Why a creation failed, as the API and the router report it.
pub(crate) struct Failure {
    /// What went wrong.
    pub(crate) message: &'static str,
    /// Whether the creation had created resources that it then rolled back.
    pub(crate) rolled_back: bool,
}

/// One sandbox the garbage collector reclaimed.
pub(crate) struct Reclaimed {
    id: String,
    kind: SandboxKind,
    reason: Reason,
}

/// What one garbage-collection cycle did.
#[derive(Default)]
pub(crate) struct GcCycle {
    reclaimed: Vec<Reclaimed>,
    /// The first failure of the cycle, if it failed.
    error: Option<String>,
}

/// The sandboxes, and what the manager does to them.
pub(crate) struct Manager {
    metrics: Arc<WorkloadManagerMetrics>,
    /// Sandboxes unused for this long are reclaimed as inactive.
    idle_after: Duration,
    /// Sandboxes older than this are reclaimed as expired.
    ttl: Duration,
    sandboxes: Mutex<HashMap<String, Sandbox>>,
    next_id: AtomicU64,
    dice: Dice,
}

impl Manager {
    /// A manager with no sandbox yet, updating `metrics`.
    pub(crate) fn new(metrics: Arc<WorkloadManagerMetrics>, idle_after: Duration, ttl: Duration, seed: u64) -> Self {
        Manager {
            metrics,
            idle_after,
            ttl,
            sandboxes: Mutex::default(),
            next_id: AtomicU64::new(1),
            dice: Dice::new(seed),
        }
    }

    fn sandboxes(&self) -> MutexGuard<'_, HashMap<String, Sandbox>> {
        self.sandboxes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates a sandbox: writes its placeholder in the store, creates its Kubernetes resources, waits for
    /// it to be ready and probes its entrypoint, each step simulated and now and then failing. A failure
    /// after the placeholder rolls back what was created.
    pub(crate) async fn create(&self, kind: SandboxKind) -> Result<String, Failure> {
        let (ready_seconds, store_fails, probe_fails) = self.dice.with(|rng| {
            let base = match kind {
                SandboxKind::AgentRuntime => 3.0,
                SandboxKind::CodeInterpreter => 0.8,
            };
            // Mostly seconds; a cold image pull now and then takes far longer.
            let seconds =
                if rng.chance(0.05) { base * (10.0 + 15.0 * rng.unit()) } else { base * (0.5 + 2.0 * rng.unit()) };
            (seconds, rng.chance(0.01), rng.chance(0.03))
        });
        let (spent, failure) = if store_fails {
            (
                STORE_SECONDS,
                Some(Failure { message: "writing the sandbox's placeholder to the store failed", rolled_back: false }),
            )
        } else if STORE_SECONDS + ready_seconds > CREATE_TIMEOUT_SECONDS {
            let message = "the sandbox was not ready within 60 s; rolled back";
            (CREATE_TIMEOUT_SECONDS, Some(Failure { message, rolled_back: true }))
        } else if probe_fails {
            let message = "the sandbox's entrypoint did not answer its probe; rolled back";
            (STORE_SECONDS + ready_seconds + PROBE_SECONDS, Some(Failure { message, rolled_back: true }))
        } else {
            (STORE_SECONDS + ready_seconds + PROBE_SECONDS, None)
        };
        tokio::time::sleep(Duration::from_secs_f64(spent * TIME_SCALE)).await;
        let status = if failure.is_some() { Status::Failure } else { Status::Success };
        self.metrics.sandbox_create_duration(kind, status).observe(spent);
        self.metrics.sandbox_create(kind, status).inc();
        if let Some(failure) = failure {
            if failure.rolled_back {
                // The placeholder and the pod, volume and network created so far are released.
                self.metrics.sandbox_rollback().inc();
            }
            return Err(failure);
        }
        let id = format!("sbx-{:05}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let now = Instant::now();
        self.sandboxes().insert(id.clone(), Sandbox { kind, created: now, last_used: now });
        Ok(id)
    }

    /// Deletes sandbox `id`, returning its kind, or `None` when there is no such sandbox.
    pub(crate) fn delete(&self, id: &str) -> Option<SandboxKind> {
        let kind = self.sandboxes().remove(id)?.kind;
        self.metrics.sandbox_delete(kind).inc();
        Some(kind)
    }

    /// Marks sandbox `id` used now (a request was routed to it), returning its kind.
    pub(crate) fn touch(&self, id: &str) -> Option<SandboxKind> {
        let mut sandboxes = self.sandboxes();
        let sandbox = sandboxes.get_mut(id)?;
        sandbox.last_used = Instant::now();
        Some(sandbox.kind)
    }

    /// The ids of every sandbox with its kind.
    pub(crate) fn list(&self) -> Vec<(String, SandboxKind)> {
        self.sandboxes().iter().map(|(id, s)| (id.clone(), s.kind)).collect()
    }

    /// One garbage-collection cycle: reclaims the expired and the inactive sandboxes. The cycle fails when
    /// listing the store fails, or when deleting one of them fails (the next cycle tries that one again).
    pub(crate) fn gc(&self) -> GcCycle {
        let _timer = self.metrics.gc_cycle_duration().start_timer();
        let mut cycle = GcCycle::default();
        if self.dice.with(|rng| rng.chance(0.03)) {
            cycle.error = Some("listing the sandboxes in the store failed".to_owned());
        } else {
            let now = Instant::now();
            let mut sandboxes = self.sandboxes();
            let doomed: Vec<(String, Reason)> = sandboxes
                .iter()
                .filter_map(|(id, s)| {
                    if now.duration_since(s.created) >= self.ttl {
                        Some((id.clone(), Reason::Expired))
                    } else if now.duration_since(s.last_used) >= self.idle_after {
                        Some((id.clone(), Reason::Inactive))
                    } else {
                        None
                    }
                })
                .collect();
            for (id, reason) in doomed {
                if self.dice.with(|rng| rng.chance(0.02)) {
                    cycle.error.get_or_insert_with(|| format!("deleting sandbox {id} failed"));
                    continue;
                }
                if let Some(sandbox) = sandboxes.remove(&id) {
                    self.metrics.gc_sandboxes_reclaimed(reason).inc();
                    self.metrics.sandbox_delete(sandbox.kind).inc();
                    cycle.reclaimed.push(Reclaimed { id, kind: sandbox.kind, reason });
                }
            }
        }
        if cycle.error.is_some() {
            self.metrics.gc_errors().inc();
        }
        cycle
    }
}

#[derive(Deserialize)]
struct CreateRequest {
    kind: String,
}

async fn create_sandbox(State(manager): State<Arc<Manager>>, Json(req): Json<CreateRequest>) -> Response {
    let Some(kind) = SandboxKind::parse(&req.kind) else {
        let message = format!("unknown kind `{}`: expected one of {:?}", req.kind, SandboxKind::VALUES);
        return error(StatusCode::BAD_REQUEST, message);
    };
    match manager.create(kind).await {
        Ok(id) => (StatusCode::CREATED, Json(json!({ "id": id, "kind": kind.as_str() }))).into_response(),
        Err(failure) => creation_failed(&failure),
    }
}

/// The answer to a failed creation, from the workload manager or the router: 503, with what failed and
/// whether it was rolled back.
pub(crate) fn creation_failed(failure: &Failure) -> Response {
    let body = json!({ "error": failure.message, "rolled_back": failure.rolled_back });
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

async fn get_sandbox(State(manager): State<Arc<Manager>>, Path(id): Path<String>) -> Response {
    match manager.sandboxes().get(&id) {
        Some(s) => Json(json!({
            "id": id,
            "kind": s.kind.as_str(),
            "age_seconds": s.created.elapsed().as_secs_f64(),
            "idle_seconds": s.last_used.elapsed().as_secs_f64(),
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no sandbox {id}")),
    }
}

async fn delete_sandbox(State(manager): State<Arc<Manager>>, Path(id): Path<String>) -> Response {
    match manager.delete(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(StatusCode::NOT_FOUND, format!("no sandbox {id}")),
    }
}

async fn run_gc(State(manager): State<Arc<Manager>>) -> Response {
    let cycle = manager.gc();
    let reclaimed: Vec<_> = cycle
        .reclaimed
        .iter()
        .map(|r| json!({ "id": r.id, "kind": r.kind.as_str(), "reason": r.reason.as_str() }))
        .collect();
    match cycle.error {
        None => Json(json!({ "reclaimed": reclaimed })).into_response(),
        Some(e) => {
            (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "reclaimed": reclaimed, "error": e }))).into_response()
        }
    }
}

/// The workload manager's API, with its metrics handler at `metrics_path` and its `/health` and `/ready`.
pub(crate) fn routes(manager: Arc<Manager>, metrics: Handler, metrics_path: &str) -> axum::Router {
    mount(
        axum::Router::new()
            .route("/v1/sandboxes", post(create_sandbox))
            .route("/v1/sandboxes/{id}", get(get_sandbox).delete(delete_sandbox))
            .route("/v1/gc", post(run_gc))
            .with_state(manager),
        metrics,
        metrics_path,
    )
}
