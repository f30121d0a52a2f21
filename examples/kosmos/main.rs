//! Kosmos, a multi-agent research platform: agent, LLM (tokens, cost, latency, cache hits and misses,
//! rate-limit hits) and infrastructure metrics (database connections and query latency, cache, queues,
//! storage), with an `Info` metric and timers, served with simulated traffic. Its recording rules are in
//! `examples/kosmos/rules.yml` (`promtool check rules examples/kosmos/rules.yml`).
//!
//! Run with `cargo run --example kosmos -- --listen 127.0.0.1:9100`.

#[path = "../common/mod.rs"]
mod common;

use std::error::Error;
use std::time::Duration;

use metrics_runtime::collectors::ProcessCollector;
use metrics_runtime::http::Server;
use metrics_runtime::prelude::*;

/// Everything Kosmos measures.
#[metrics(namespace = "kosmos")]
#[labels(
    Agent { Planner = "planner", Researcher = "researcher", Coder = "coder", Reviewer = "reviewer" },
    Outcome { Success = "success", Failure = "failure" },
    Provider { OpenAi = "openai", Anthropic = "anthropic", Local = "local" },
    TokenKind { Input = "input", Output = "output" },
    Pool { Primary = "primary", Replica = "replica" },
    Queue { Tasks = "tasks", Events = "events" },
)]
pub struct KosmosMetrics {
    /// Agent tasks finished, by agent and outcome.
    #[counter(labels(agent: Agent, outcome: Outcome))]
    agent_tasks: Counter,

    /// Time an agent spends on one task.
    #[histogram(labels(agent: Agent), unit = "seconds", buckets = exponential(0.1, 2, 10))]
    agent_task_duration: Histogram,

    /// Agents working on a task right now.
    #[gauge(labels(agent: Agent))]
    agents_active: Gauge,

    /// LLM tokens, by provider and kind.
    #[counter(labels(provider: Provider, kind: TokenKind))]
    llm_tokens: Counter,

    /// Estimated LLM spend.
    #[counter(labels(provider: Provider), unit = "dollars")]
    llm_cost: FloatCounter,

    /// LLM call latency.
    #[histogram(labels(provider: Provider), unit = "seconds", buckets = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32])]
    llm_latency: Histogram,

    /// LLM responses served from the prompt cache.
    #[counter]
    llm_cache_hits: Counter,

    /// LLM prompts the prompt cache did not hold.
    #[counter]
    llm_cache_misses: Counter,

    /// LLM calls refused by the provider's rate limit.
    #[counter(labels(provider: Provider))]
    llm_rate_limit_hits: Counter,

    /// Database connections in use.
    #[gauge(labels(pool: Pool))]
    db_connections: Gauge,

    /// Database query latency.
    #[histogram(labels(pool: Pool), unit = "seconds", buckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1])]
    db_query_duration: Histogram,

    /// Application cache lookups that found the entry.
    #[counter]
    cache_hits: Counter,

    /// Application cache lookups that did not.
    #[counter]
    cache_misses: Counter,

    /// Messages waiting, by queue.
    #[gauge(labels(queue: Queue))]
    queue_depth: Gauge,

    /// Bytes of research artifacts stored.
    #[gauge(unit = "bytes")]
    storage_used: Gauge,

    /// The build of this service.
    #[info]
    build: Info,
}

static METRICS: LazyLock<KosmosMetrics> = LazyLock::new(KosmosMetrics::default);

/// One tick of simulated work: a task per agent now and then, LLM calls, queries, cache lookups.
fn tick(rng: &mut common::Rng) {
    let agent = rng.pick(Agent::ALL);
    let _busy = METRICS.agents_active(agent).track_inflight();
    let task = METRICS.agent_task_duration(agent).start_timer();
    for _ in 0..1 + rng.below(3) {
        let provider = rng.pick(Provider::ALL);
        if rng.chance(0.05) {
            METRICS.llm_rate_limit_hits(provider).inc();
            continue;
        }
        if rng.chance(0.3) {
            METRICS.llm_cache_hits().inc();
            continue;
        }
        METRICS.llm_cache_misses().inc();
        let input = 200 + rng.below(4000) as u64;
        let output = 50 + rng.below(1500) as u64;
        METRICS.llm_tokens(provider, TokenKind::Input).inc_by(input);
        METRICS.llm_tokens(provider, TokenKind::Output).inc_by(output);
        let price = match provider {
            Provider::OpenAi => 2.5e-6,
            Provider::Anthropic => 3e-6,
            Provider::Local => 0.0,
        };
        METRICS.llm_cost(provider).inc_by(price * (input + 4 * output) as f64);
        METRICS.llm_latency(provider).observe(0.2 + rng.unit() * 6.0);
    }
    let pool = if rng.chance(0.7) { Pool::Replica } else { Pool::Primary };
    METRICS.db_connections(pool).set(2 + rng.below(18) as i64);
    METRICS.db_query_duration(pool).observe(rng.unit() * rng.unit() * 0.4);
    if rng.chance(0.8) {
        METRICS.cache_hits().inc()
    } else {
        METRICS.cache_misses().inc()
    }
    METRICS.queue_depth(Queue::Tasks).set(rng.below(50) as i64);
    METRICS.queue_depth(Queue::Events).set(rng.below(500) as i64);
    METRICS.storage_used().add(rng.below(64 * 1024) as i64);
    let outcome = if rng.chance(0.92) { Outcome::Success } else { Outcome::Failure };
    METRICS.agent_tasks(agent, outcome).inc();
    // A simulated task takes 0.1 to 25 s; the timer sees only the microseconds spent here, so record the
    // simulated duration instead.
    task.discard();
    METRICS.agent_task_duration(agent).observe(0.1 + rng.unit() * rng.unit() * 25.0);
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args = common::parse_args("kosmos", &[]);
    let registry = args.config.registry();
    registry.register(&*METRICS)?;
    if args.config.collectors.process {
        registry.register(ProcessCollector::new())?;
    }
    METRICS.build().set([("version", env!("CARGO_PKG_VERSION")), ("service", "kosmos")])?;
    METRICS.storage_used().set(512 << 20);

    tokio::spawn(async {
        let mut rng = common::Rng::new(0x6b6f_736d_6f73);
        let mut every = tokio::time::interval(Duration::from_millis(50));
        loop {
            every.tick().await;
            tick(&mut rng);
        }
    });

    let path = args.config.endpoint.path.clone();
    let server = Server::bind(registry, &args.config).await?;
    println!("kosmos: serving http://{}{path}", server.local_addr());
    server.run().await?;
    Ok(())
}
