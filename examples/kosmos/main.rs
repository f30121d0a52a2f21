//! KOSMOS, a multi-agent platform, instrumented as its SRE guide "Metrics & Prometheus" specifies: the
//! guide's agent, LLM and infrastructure metrics under their exact names, types, labels and buckets, the
//! `kosmos_agent` info, a `/health` endpoint in the guide's JSON shape, and simulated traffic that gives
//! every one of the guide's "Common PromQL Queries" and recording rules (`examples/kosmos/rules.yml`) data.
//!
//! Run with `cargo run --example kosmos -- --listen 127.0.0.1:9100` (flags: `--listen ADDR`,
//! `--config FILE`). The first line on stdout is `kosmos: listening on http://ADDR`.
//!
//! Routes, on one port: `/metrics` (the path is configurable), `/health`
//! (`{"status": "healthy", "metrics": {"active_sessions": N, "request_count": N}}`: the sessions open now
//! and the requests served so far, summed over every agent) and `/ready`. Kubernetes manifests that
//! scrape it the guide's two ways (a ServiceMonitor, and pod annotations) are in `deploy/kosmos/`.
//!
//! Three of the guide's gauges end in `_total` (`kosmos_storage_bytes_total`,
//! `kosmos_storage_objects_total`, `kosmos_unique_users_total`): dashboards depend on those names, so the
//! fields opt out of the `_total` convention with `allow(total_suffix)`, and `promtool check metrics`
//! reports exactly those three.

#[path = "../common/mod.rs"]
mod common;

use std::error::Error;
use std::time::Duration;

use axum::Json;
use axum::extract::Request;
use axum::routing::get;
use promstruct::collectors::ProcessCollector;
use promstruct::http::{Handler, shutdown_signal};
use promstruct::prelude::*;
use serde_json::{Value, json};

/// Everything KOSMOS measures: its agents, its LLM calls and the infrastructure under them.
#[metrics(namespace = "kosmos")]
#[labels(
    Agent { Planner = "planner", Researcher = "researcher", Coder = "coder", Reviewer = "reviewer" },
    Method { Chat = "chat", Invoke = "invoke", Stream = "stream" },
    Status { Success = "success", Error = "error" },
    // `type(e).__name__` of the exception a failed request raised.
    ErrorType {
        RateLimit = "RateLimitError",
        Timeout = "TimeoutError",
        Connection = "ConnectionError",
        Value = "ValueError",
    },
    Provider { HuggingFace = "huggingface" },
    Model { Mistral7b = "mistral-7b", Mixtral8x7b = "mixtral-8x7b" },
    Direction { Input = "input", Output = "output" },
    CacheType { Semantic = "semantic" },
    Database { Postgres = "postgres" },
    Pool { Primary = "primary", Replica = "replica" },
    Operation { Select = "select", Insert = "insert", Update = "update", Delete = "delete" },
    Cache { Dragonfly = "dragonfly" },
    Queue { Nats = "nats" },
    Stream { AgentTasks = "agent-tasks", AgentEvents = "agent-events" },
    Consumer { Orchestrator = "orchestrator", Indexer = "indexer" },
    Bucket { Documents = "kosmos-documents", Artifacts = "kosmos-artifacts" },
    StorageClass { Standard = "standard", Archive = "archive" },
)]
pub struct KosmosMetrics {
    // Agent metrics.
    /// Total number of requests to agent
    // SLO (the document's): 99.9 % availability, a 0.1 % error budget over 30 days.
    #[counter(labels(agent: Agent, method: Method, status: Status), slo(errors = status("error"), objective = 0.999))]
    agent_requests: Counter,

    /// Request duration in seconds
    #[histogram(labels(agent: Agent, method: Method), unit = "seconds",
                buckets = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])]
    agent_request_duration: Histogram,

    /// Total number of errors
    #[counter(labels(agent: Agent, error_type: ErrorType))]
    agent_errors: Counter,

    /// Number of active sessions
    #[gauge(labels(agent: Agent))]
    agent_active_sessions: Gauge,

    /// Agent information
    #[info(labels(agent: Agent))]
    agent: Info,

    // LLM metrics.
    /// Total tokens used
    #[counter(labels(provider: Provider, model: Model, direction: Direction))]
    llm_tokens: Counter,

    /// Estimated cost in dollars
    #[counter(labels(provider: Provider, model: Model), unit = "dollars")]
    llm_cost: FloatCounter,

    /// LLM response latency
    #[histogram(labels(provider: Provider, model: Model), unit = "seconds",
                buckets = [0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0])]
    llm_latency: Histogram,

    /// Semantic cache hits
    #[counter(labels(cache_type: CacheType))]
    llm_cache_hits: Counter,

    /// Semantic cache misses
    #[counter(labels(cache_type: CacheType))]
    llm_cache_misses: Counter,

    /// Rate limit hits
    #[counter(labels(provider: Provider))]
    llm_rate_limit_hits: Counter,

    // Infrastructure metrics.
    /// Active database connections
    #[gauge(labels(database: Database, pool: Pool))]
    db_connections_active: Gauge,

    /// Idle database connections
    #[gauge(labels(database: Database, pool: Pool))]
    db_connections_idle: Gauge,

    /// Database query duration
    #[histogram(labels(database: Database, operation: Operation), unit = "seconds",
                buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0])]
    db_query_duration: Histogram,

    /// Cache hit ratio
    #[gauge(labels(cache: Cache))]
    cache_hit_ratio: FloatGauge,

    /// Cache memory usage in bytes
    #[gauge(labels(cache: Cache), unit = "bytes")]
    cache_memory: Gauge,

    /// Message queue depth
    #[gauge(labels(queue: Queue, stream: Stream))]
    queue_depth: Gauge,

    /// Consumer lag in messages
    #[gauge(labels(queue: Queue, consumer: Consumer))]
    queue_consumer_lag: Gauge,

    /// Total storage used in bytes
    #[gauge(labels(bucket: Bucket, storage_class: StorageClass), allow(total_suffix))]
    storage_bytes_total: Gauge,

    /// Total number of objects
    #[gauge(labels(bucket: Bucket), allow(total_suffix))]
    storage_objects_total: Gauge,

    // From the guide's cardinality advice: unique users tracked apart from any label.
    /// Unique users
    #[gauge(allow(total_suffix))]
    unique_users_total: Gauge,
}

static METRICS: LazyLock<KosmosMetrics> = LazyLock::new(KosmosMetrics::default);

/// Connections in each database pool, in use or idle.
fn pool_size(pool: Pool) -> i64 {
    match pool {
        Pool::Primary => 20,
        Pool::Replica => 10,
    }
}

/// How a request failed: the exception `process_request` raised.
#[derive(Clone, Copy)]
struct Failure(ErrorType);

/// The starting point of every series the simulation moves, so the first scrape already reads like a
/// running system: info per agent, a few sessions, pools, caches, queues and stored objects.
fn initialize() -> Result<(), Box<dyn Error>> {
    for &agent in Agent::ALL {
        METRICS.agent(agent).set([("version", env!("CARGO_PKG_VERSION")), ("model", "mistral-7b")])?;
        METRICS.agent_active_sessions(agent).set(2);
    }
    for &database in Database::ALL {
        for &pool in Pool::ALL {
            METRICS.db_connections_active(database, pool).set(1);
            METRICS.db_connections_idle(database, pool).set(pool_size(pool) - 1);
        }
    }
    for &cache in Cache::ALL {
        METRICS.cache_hit_ratio(cache).set(0.9);
        METRICS.cache_memory(cache).set(256 << 20);
    }
    for &bucket in Bucket::ALL {
        METRICS.storage_objects_total(bucket).set(10_000);
        for &class in StorageClass::ALL {
            METRICS.storage_bytes_total(bucket, class).set(4 << 30);
        }
    }
    METRICS.unique_users_total().set(1_200);
    Ok(())
}

/// The guide's `call_llm`: the semantic cache first, then the model, whose tokens, cost and latency are
/// recorded; a rate-limited call raises `RateLimitError`.
fn call_llm(rng: &mut common::Rng, model: Model) -> Result<(), Failure> {
    if rng.chance(0.3) {
        METRICS.llm_cache_hits(CacheType::Semantic).inc();
        return Ok(());
    }
    METRICS.llm_cache_misses(CacheType::Semantic).inc();
    if rng.chance(0.03) {
        METRICS.llm_rate_limit_hits(Provider::HuggingFace).inc();
        return Err(Failure(ErrorType::RateLimit));
    }
    let duration = 0.1 + rng.unit() * rng.unit() * 20.0;
    METRICS.llm_latency(Provider::HuggingFace, model).observe(duration);
    let input_tokens = 200 + rng.below(4_000) as u64;
    let output_tokens = 50 + rng.below(1_500) as u64;
    METRICS.llm_tokens(Provider::HuggingFace, model, Direction::Input).inc_by(input_tokens);
    METRICS.llm_tokens(Provider::HuggingFace, model, Direction::Output).inc_by(output_tokens);
    // The guide's example rates.
    let cost = (input_tokens as f64 * 0.0001 + output_tokens as f64 * 0.0002) / 1000.0;
    METRICS.llm_cost(Provider::HuggingFace, model).inc_by(cost);
    Ok(())
}

/// The guide's `handle_request`: the request's duration, and its outcome counted as `success` or, with
/// the exception's type, as `error`.
fn handle_request(rng: &mut common::Rng, agent: Agent, method: Method) {
    let outcome = if rng.chance(0.03) {
        Err(Failure(rng.pick(&[ErrorType::Timeout, ErrorType::Connection, ErrorType::Value])))
    } else if method == Method::Stream && rng.chance(0.5) {
        Ok(())
    } else {
        let model = if rng.chance(0.8) { Model::Mistral7b } else { Model::Mixtral8x7b };
        call_llm(rng, model)
    };
    // The request is simulated, not timed: its duration is drawn, 10 ms to a little over 10 s.
    let duration = 0.01 + rng.unit().powi(3) * 10.5;
    METRICS.agent_request_duration(agent, method).observe(duration);
    match outcome {
        Ok(()) => METRICS.agent_requests(agent, method, Status::Success).inc(),
        Err(Failure(error_type)) => {
            METRICS.agent_requests(agent, method, Status::Error).inc();
            METRICS.agent_errors(agent, error_type).inc();
        }
    }
}

/// One tick of simulated work: sessions opening and closing, requests, queries, caches, queues, storage.
fn tick(rng: &mut common::Rng) {
    let agent = rng.pick(Agent::ALL);
    let sessions = METRICS.agent_active_sessions(agent);
    if rng.chance(0.5) && sessions.get() < 30 {
        sessions.inc();
    } else if sessions.get() > 1 {
        sessions.dec();
    }
    for _ in 0..1 + rng.below(3) {
        let (agent, method) = (rng.pick(Agent::ALL), rng.pick(Method::ALL));
        handle_request(rng, agent, method);
    }

    let pool = rng.pick(Pool::ALL);
    let active = 1 + rng.below(pool_size(pool) as usize - 1) as i64;
    METRICS.db_connections_active(Database::Postgres, pool).set(active);
    METRICS.db_connections_idle(Database::Postgres, pool).set(pool_size(pool) - active);
    for _ in 0..2 {
        let operation = if rng.chance(0.7) { Operation::Select } else { rng.pick(Operation::ALL) };
        METRICS.db_query_duration(Database::Postgres, operation).observe(0.0005 + rng.unit().powi(3) * 1.2);
    }

    METRICS.cache_hit_ratio(Cache::Dragonfly).set(0.85 + rng.unit() * 0.1);
    METRICS.cache_memory(Cache::Dragonfly).set((256 << 20) + rng.below(64 << 20) as i64);
    for &stream in Stream::ALL {
        METRICS.queue_depth(Queue::Nats, stream).set(rng.below(40) as i64);
    }
    for &consumer in Consumer::ALL {
        METRICS.queue_consumer_lag(Queue::Nats, consumer).set(rng.below(8) as i64);
    }

    let bucket = rng.pick(Bucket::ALL);
    let class = if rng.chance(0.9) { StorageClass::Standard } else { StorageClass::Archive };
    METRICS.storage_bytes_total(bucket, class).add(1 + rng.below(512 << 10) as i64);
    METRICS.storage_objects_total(bucket).inc();
    if rng.chance(0.1) {
        METRICS.unique_users_total().inc();
    }
}

/// `GET /health`: the guide's JSON, with the sessions open now and the requests served so far.
async fn health() -> Json<Value> {
    let active_sessions: i64 = Agent::ALL.iter().map(|&agent| METRICS.agent_active_sessions(agent).get()).sum();
    let mut request_count = 0;
    for &agent in Agent::ALL {
        for &method in Method::ALL {
            for &status in Status::ALL {
                request_count += METRICS.agent_requests(agent, method, status).get();
            }
        }
    }
    Json(json!({
        "status": "healthy",
        "metrics": { "active_sessions": active_sessions, "request_count": request_count },
    }))
}

/// The routes: the metrics handler at `metrics_path` and `/ready`, the guide's `/health` beside them.
fn router(metrics: Handler, metrics_path: &str) -> axum::Router {
    let mount = move |request: Request| {
        let metrics = metrics.clone();
        async move { metrics.handle(request).await }
    };
    axum::Router::new()
        .route("/health", get(health))
        .route(metrics_path, get(mount.clone()))
        .route("/ready", get(mount))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    common::export_if_asked("kosmos", || {
        promstruct::export::Observability::new("KOSMOS", "kosmos")
            .runbook_base("https://github.com/promstruct/promstruct/blob/main/examples/kosmos/observability/runbooks")
            .group("KOSMOS", KosmosMetrics::FAMILIES)
    });
    let config = common::parse_args("kosmos", &[]).config;
    let registry = config.registry();
    registry.register(&*METRICS)?;
    if config.collectors.process {
        registry.register(ProcessCollector::new())?;
    }
    initialize()?;
    let metrics = Handler::new(registry, &config);

    tokio::spawn(async {
        let mut rng = common::Rng::new(0x6b6f_736d_6f73);
        let mut every = tokio::time::interval(Duration::from_millis(50));
        loop {
            every.tick().await;
            tick(&mut rng);
        }
    });

    let listener = tokio::net::TcpListener::bind(config.listen_addr()).await?;
    println!("kosmos: listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(metrics, &config.endpoint.path)).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}
