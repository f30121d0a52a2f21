//! The router: the reverse proxy that routes user traffic into sandboxes, under a configured limit on
//! concurrent requests, creating a sandbox for a request that names no session, with the metrics it
//! serves on its own `/metrics`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use promstruct::http::Handler;
use promstruct::prelude::*;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::workload_manager::{Failure, Manager, creation_failed};
use crate::{Dice, SandboxKind, error, mount};

/// What the router measures: the reverse-proxy path into sandboxes.
#[metrics(namespace = "agentcube")]
#[labels(Category { ConnectionRefused = "connection_refused", Timeout = "timeout", Other = "other" })]
pub(crate) struct RouterMetrics {
    /// Time to proxy a request into a sandbox and get its answer, by sandbox kind.
    // The proposal gives no buckets: native ones, which cover any latency.
    #[histogram(labels(kind: SandboxKind), unit = "seconds", native(max_buckets = 160))]
    router_request_duration: Histogram,

    /// Requests the router could not proxy, by error category.
    #[counter(labels(category: Category))]
    router_proxy_errors: Counter,

    /// Requests the router is handling now, at most agentcube_router_max_concurrent_requests.
    #[gauge]
    router_concurrent_requests: Gauge,

    /// The router's configured limit on concurrent requests; it refuses requests beyond it with 429.
    #[gauge]
    router_max_concurrent_requests: Gauge,

    /// Sessions created through the router's implicit sandbox creation (a request naming no session).
    #[counter]
    router_session_create: Counter,
}

/// The header that names a session (the id of its sandbox), in requests and in the router's answers.
pub(crate) const SESSION_HEADER: &str = "x-session-id";

/// Where a request went.
pub(crate) struct Routed {
    /// The session (its sandbox's id).
    session: String,
    kind: SandboxKind,
    /// Whether the router created the session's sandbox for this request.
    created: bool,
    /// The sandbox's answer, or why proxying failed.
    proxied: Result<(), Category>,
}

/// Why the router did not route a request.
pub(crate) enum Refusal {
    /// The router was at its concurrency limit.
    Busy,
    /// No sandbox (or no session of the kind asked for) has that id.
    Unknown(String),
    /// Creating the new session's sandbox failed.
    CreationFailed(Failure),
}

/// The router's state: the workload manager it asks for sandboxes, and its concurrency limit.
pub(crate) struct Router {
    metrics: Arc<RouterMetrics>,
    manager: Arc<Manager>,
    limit: usize,
    permits: Semaphore,
    dice: Dice,
}

impl Router {
    /// A router in front of `manager` admitting at most `limit` concurrent requests, the limit exposed
    /// in `metrics`.
    pub(crate) fn new(metrics: Arc<RouterMetrics>, manager: Arc<Manager>, limit: usize, seed: u64) -> Self {
        metrics.router_max_concurrent_requests().set(i64::try_from(limit).unwrap_or(i64::MAX));
        Router { metrics, manager, limit, permits: Semaphore::new(limit), dice: Dice::new(seed) }
    }

    /// Runs `request` if the router is under its limit, counting it in the concurrency gauge meanwhile.
    async fn admit<T>(&self, request: impl Future<Output = Result<T, Refusal>>) -> Result<T, Refusal> {
        let Ok(_permit) = self.permits.try_acquire() else { return Err(Refusal::Busy) };
        let _inflight = self.metrics.router_concurrent_requests().track_inflight();
        request.await
    }

    /// Proxies one request into a sandbox of `kind` that works on it for `work` (a few milliseconds when
    /// `None`); now and then the connection is refused, times out, or fails otherwise.
    async fn proxy(&self, kind: SandboxKind, work: Option<Duration>) -> Result<(), Category> {
        let timer = self.metrics.router_request_duration(kind).start_timer();
        let (work, outcome) = self.dice.with(|rng| {
            let work = work.unwrap_or_else(|| Duration::from_millis(2 + rng.below(40) as u64));
            let outcome = match rng.below(100) {
                0 => Err(Category::ConnectionRefused),
                1 => Err(Category::Timeout),
                2 => Err(Category::Other),
                _ => Ok(()),
            };
            (work, outcome)
        });
        // Every outcome takes the request's time: a refused connection is retried until then.
        tokio::time::sleep(work).await;
        timer.observe();
        if let Err(category) = outcome {
            self.metrics.router_proxy_errors(category).inc();
        }
        outcome
    }

    /// Routes a request to sandbox `id`.
    pub(crate) async fn invoke(&self, id: &str, work: Option<Duration>) -> Result<Routed, Refusal> {
        self.admit(async {
            let kind = self.manager.touch(id).ok_or_else(|| Refusal::Unknown(format!("no sandbox {id}")))?;
            let proxied = self.proxy(kind, work).await;
            Ok(Routed { session: id.to_owned(), kind, created: false, proxied })
        })
        .await
    }

    /// Routes a request to a sandbox of `kind`: the one of `session`, or, when the request names none, a
    /// new one that the workload manager creates for a new session.
    pub(crate) async fn invoke_session(
        &self,
        kind: SandboxKind,
        session: Option<&str>,
        work: Option<Duration>,
    ) -> Result<Routed, Refusal> {
        self.admit(async {
            let (session, created) = match session {
                Some(id) => match self.manager.touch(id) {
                    Some(k) if k == kind => (id.to_owned(), false),
                    _ => return Err(Refusal::Unknown(format!("no {} session {id}", kind.as_str()))),
                },
                None => {
                    let id = self.manager.create(kind).await.map_err(Refusal::CreationFailed)?;
                    self.metrics.router_session_create().inc();
                    (id, true)
                }
            };
            let proxied = self.proxy(kind, work).await;
            Ok(Routed { session, kind, created, proxied })
        })
        .await
    }
}

/// How long the sandbox works on the request, in milliseconds (`?work_ms=N`; a few when absent).
#[derive(Deserialize)]
struct Work {
    work_ms: Option<u64>,
}

impl Work {
    fn duration(&self) -> Option<Duration> {
        self.work_ms.map(Duration::from_millis)
    }
}

fn answer(router: &Router, routed: Result<Routed, Refusal>) -> Response {
    let routed = match routed {
        Ok(routed) => routed,
        Err(Refusal::Busy) => {
            let message = format!("the router is at its limit of {} concurrent requests", router.limit);
            return error(StatusCode::TOO_MANY_REQUESTS, message);
        }
        Err(Refusal::Unknown(message)) => return error(StatusCode::NOT_FOUND, message),
        Err(Refusal::CreationFailed(failure)) => return creation_failed(&failure),
    };
    let mut response = match routed.proxied {
        Ok(()) => {
            let body = json!({ "id": routed.session, "kind": routed.kind.as_str(), "created": routed.created });
            Json(body).into_response()
        }
        Err(category) => {
            let status = match category {
                Category::Timeout => StatusCode::GATEWAY_TIMEOUT,
                Category::ConnectionRefused | Category::Other => StatusCode::BAD_GATEWAY,
            };
            let body = json!({
                "error": format!("proxying to sandbox {} failed", routed.session),
                "category": category.as_str(),
                "created": routed.created,
            });
            (status, Json(body)).into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&routed.session) {
        response.headers_mut().insert(SESSION_HEADER, value);
    }
    response
}

async fn invoke_sandbox(
    State(router): State<Arc<Router>>,
    Path(id): Path<String>,
    Query(work): Query<Work>,
) -> Response {
    let routed = router.invoke(&id, work.duration()).await;
    answer(&router, routed)
}

async fn invoke_kind(
    State(router): State<Arc<Router>>,
    Path(kind): Path<String>,
    Query(work): Query<Work>,
    headers: HeaderMap,
) -> Response {
    let Some(kind) = SandboxKind::parse(&kind) else {
        let message = format!("unknown kind `{kind}`: expected one of {:?}", SandboxKind::VALUES);
        return error(StatusCode::BAD_REQUEST, message);
    };
    let session = match headers.get(SESSION_HEADER).map(HeaderValue::to_str) {
        None => None,
        Some(Ok(session)) => Some(session),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, format!("{SESSION_HEADER} is not text")),
    };
    let routed = router.invoke_session(kind, session, work.duration()).await;
    answer(&router, routed)
}

/// The router's API, with its metrics handler at `metrics_path` and its `/health` and `/ready`.
pub(crate) fn routes(router: Arc<Router>, metrics: Handler, metrics_path: &str) -> axum::Router {
    mount(
        axum::Router::new()
            .route("/v1/sandboxes/{id}/invoke", post(invoke_sandbox))
            .route("/v1/invoke/{kind}", post(invoke_kind))
            .with_state(router),
        metrics,
        metrics_path,
    )
}
