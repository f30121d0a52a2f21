//! An LLM gateway and agent runtime with simulated traffic, serving its metrics for Prometheus.
//!
//! ```text
//! cargo run --example llm_service                       # http://127.0.0.1:9090/metrics
//! cargo run --example llm_service -- --listen 0.0.0.0:9100 --config prometheus_metrics.yaml
//! cargo run --example llm_service -- --deterministic    # fixed values, no traffic (for tests)
//! ```
//!
//! The families are those of seed 000's data-flow diagram, declared with `#[metrics]` as in DESIGN.md, in
//! its two collector adapters:
//!
//! ```text
//! LLM collector    llmdevops_llm_requests_total{model,status}            counter
//!                  llmdevops_llm_tokens_total{model,type}                counter
//!                  llmdevops_llm_request_duration_seconds{model}         histogram
//! Agent collector  llmdevops_agent_executions_total{agent,status}        counter
//!                  llmdevops_agent_steps_total{agent,step_type}          counter
//!                  llmdevops_agent_tool_calls_total{agent,tool}          counter
//! ```
//!
//! with DESIGN.md's label values (`model` gpt-4o, claude-3-5-sonnet, llama-3-70b; `status` ok, error,
//! timeout; `type` input, output) and buckets (0.1 to 60 seconds); `step_type` is plan, act or reflect, and
//! `agent` and `tool` are open sets bounded to 500 series. Beside them: requests in flight
//! (`llmdevops_llm_inflight`), estimated spend (`llmdevops_llm_cost_dollars_total{model}`) and agent runs in
//! progress (`llmdevops_agent_active_runs`), and the process and tokio runtime collectors. A background task
//! plays requests to the three models and runs of four agents, every label value among them.
//!
//! Each simulated request runs in a `tracing` span, `request`, with a 32-hex-digit `trace_id` and a
//! 16-hex-digit `span_id`; the request counter and the request-duration histogram take them as their
//! exemplar (`inc_with_current_trace`, `observe_with_current_trace`, through `promstruct::TraceIdsLayer`),
//! and a log line on stderr, `request done`, names the request's trace id, so that a trace found from a
//! latency bucket in Grafana is found in the logs too.
//!
//! `--config FILE` reads the `prometheus_metrics` schema (environment variables `PROMETHEUS_METRICS_*`
//! override it; `collectors.llm` and `collectors.agent` switch the two groups) and `--listen ADDR`
//! overrides its address; port 0 picks a free one. The first line on stdout is `listening on http://ADDR`
//! (`https://ADDR` with `endpoint.tls`, `unix:PATH` with `endpoint.unix_socket`).
//! SIGTERM or Ctrl-C stops the server after in-flight scrapes finish. `RUST_LOG=promstruct=debug`
//! shows a line per scrape.

mod common;

use std::error::Error;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use promstruct::collectors::{ProcessCollector, RuntimeCollector};
use promstruct::config::Config;
use promstruct::export::Observability;
use promstruct::http::Server;
use promstruct::prelude::*;
use tracing::Instrument;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The outcome of an LLM request or an agent execution: both collectors' `status` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, LabelEnum)]
pub enum Status {
    /// Completed.
    Ok,
    /// Failed.
    Error,
    /// Gave up waiting.
    Timeout,
}

/// The LLM collector: what the LLM engine emits when a request completes.
#[metrics(namespace = "llmdevops")]
#[labels(
    Model { Gpt = "gpt-4o", Claude = "claude-3-5-sonnet", Llama = "llama-3-70b" },
    TokenType { Input = "input", Output = "output" },
)]
pub struct LlmMetrics {
    /// LLM requests, by model and outcome.
    // SLO: 99 % of requests succeed (`error` and `timeout` spend the budget) over 30 days.
    #[counter(labels(model: Model, status: Status), slo(errors = status("error", "timeout"), objective = 0.99))]
    llm_requests: Counter, // llmdevops_llm_requests_total

    /// Tokens processed, by model and type (input or output).
    #[counter(labels(model: Model, r#type: TokenType))]
    llm_tokens: Counter, // llmdevops_llm_tokens_total

    /// End-to-end request latency.
    // SLO: 99 % of requests answer within 10 s over 30 days. Classic buckets for the text formats and the
    // SLO's exact threshold, native ones (8 per power of two, at most 160) for protobuf scrapers.
    #[histogram(
        labels(model: Model),
        unit = "seconds",
        buckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        native(factor = 1.1, max_buckets = 160, min_reset = "1h"),
        slo(latency = 10, objective = 0.99)
    )]
    llm_request_duration: Histogram, // llmdevops_llm_request_duration_seconds

    /// Requests in flight.
    #[gauge]
    llm_inflight: Gauge, // llmdevops_llm_inflight

    /// Estimated spend.
    #[counter(labels(model: Model), unit = "dollars")]
    llm_cost: FloatCounter, // llmdevops_llm_cost_dollars_total
}

/// The agent collector: what the agent runtime emits as executions, steps and tool calls finish.
#[metrics(namespace = "llmdevops")]
#[labels(StepType { Plan = "plan", Act = "act", Reflect = "reflect" })]
pub struct AgentMetrics {
    /// Agent executions, by agent name (an open set, bounded) and outcome.
    #[counter(labels(agent: String, status: Status), max_series = 500)]
    agent_executions: Counter, // llmdevops_agent_executions_total

    /// Agent steps, by agent and step type.
    #[counter(labels(agent: String, step_type: StepType), max_series = 500)]
    agent_steps: Counter, // llmdevops_agent_steps_total

    /// Tool calls made by agents, by agent and tool.
    #[counter(labels(agent: String, tool: String), max_series = 500)]
    agent_tool_calls: Counter, // llmdevops_agent_tool_calls_total

    /// Agent runs in progress.
    #[gauge]
    agent_active_runs: Gauge, // llmdevops_agent_active_runs
}

static LLM: LazyLock<LlmMetrics> = LazyLock::new(LlmMetrics::default);
static AGENTS: LazyLock<AgentMetrics> = LazyLock::new(AgentMetrics::default);

const MODELS: [Model; 3] = [Model::Gpt, Model::Claude, Model::Llama];
/// Dollars per thousand tokens, by model.
const PRICE_PER_1K: [f64; 3] = [0.01, 0.006, 0.001];
const AGENT_NAMES: [&str; 4] = ["planner", "coder", "reviewer", "researcher"];
const TOOLS: [&str; 4] = ["search", "python", "browser", "shell"];

/// The command line.
struct Args {
    listen: Option<SocketAddr>,
    config: Option<PathBuf>,
    deterministic: bool,
}

const USAGE: &str = "usage: llm_service [--listen ADDR] [--config FILE] [--deterministic] | --export DIR";

fn parse_args() -> Result<Args, String> {
    let mut args = Args { listen: None, config: None, deterministic: false };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--listen" => {
                let v = it.next().ok_or("--listen needs an address such as 127.0.0.1:9090")?;
                args.listen = Some(v.parse().map_err(|e| format!("--listen {v}: {e}"))?);
            }
            "--config" => args.config = Some(it.next().ok_or("--config needs a file")?.into()),
            "--deterministic" => args.deterministic = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(args)
}

/// The fixed values of `--deterministic`, which the end-to-end tests compare with what Prometheus stored.
/// Every label value the example uses appears on at least one series.
fn set_deterministic_values() {
    LLM.llm_requests(Model::Gpt, Status::Ok).inc_by(42);
    LLM.llm_requests(Model::Claude, Status::Error).inc_by(3);
    LLM.llm_requests(Model::Llama, Status::Timeout).inc();
    LLM.llm_tokens(Model::Gpt, TokenType::Input).inc_by(1200);
    LLM.llm_tokens(Model::Gpt, TokenType::Output).inc_by(812);
    LLM.llm_tokens(Model::Claude, TokenType::Input).inc_by(640);
    LLM.llm_tokens(Model::Llama, TokenType::Input).inc_by(90);
    for seconds in [0.2, 0.7, 3.0] {
        LLM.llm_request_duration(Model::Claude).observe(seconds);
    }
    LLM.llm_request_duration(Model::Gpt).observe(1.5);
    LLM.llm_request_duration(Model::Llama).observe(45.0);
    LLM.llm_inflight().set(2);
    LLM.llm_cost(Model::Gpt).inc_by(1.25);
    AGENTS.agent_executions("planner", Status::Ok).inc_by(5);
    AGENTS.agent_executions("coder", Status::Error).inc_by(2);
    AGENTS.agent_executions("researcher", Status::Timeout).inc();
    AGENTS.agent_steps("planner", StepType::Plan).inc_by(7);
    AGENTS.agent_steps("coder", StepType::Act).inc_by(6);
    AGENTS.agent_steps("reviewer", StepType::Reflect).inc_by(2);
    AGENTS.agent_tool_calls("coder", "python").inc_by(4);
    AGENTS.agent_tool_calls("researcher", "search").inc_by(3);
    AGENTS.agent_active_runs().set(1);
}

/// A small xorshift generator: the traffic only needs to look varied.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One simulated LLM call in a span of its own with a fresh trace id, as a traced service's handler runs.
async fn llm_call(rng: &mut Rng) -> Status {
    // Never zero, which W3C trace context reserves for an invalid id.
    let trace_id = (u128::from(rng.next()) << 64 | u128::from(rng.next())) | 1;
    let span_id = rng.next() | 1;
    let span =
        tracing::info_span!("request", trace_id = %format!("{trace_id:032x}"), span_id = %format!("{span_id:016x}"));
    traced_llm_call(rng).instrument(span).await
}

/// The call itself: tokens, cost, latency (scaled down 100 times), outcome, which it returns. The request
/// counter and the duration histogram keep the current span's trace id as their exemplar.
async fn traced_llm_call(rng: &mut Rng) -> Status {
    let i = rng.below(3) as usize;
    let model = MODELS[i];
    let _inflight = LLM.llm_inflight().track_inflight();
    let input = 200 + rng.below(2000);
    let output = 50 + rng.below(1000);
    let latency = 0.05 + rng.unit() * rng.unit() * 20.0;
    tokio::time::sleep(Duration::from_secs_f64(latency / 100.0)).await;
    let status = match rng.below(100) {
        0..=2 => Status::Timeout,
        3..=7 => Status::Error,
        _ => Status::Ok,
    };
    // The exemplars hold 62 code points of the 128 allowed: they are never refused.
    let _ = LLM.llm_requests(model, status).inc_with_current_trace();
    LLM.llm_tokens(model, TokenType::Input).inc_by(input);
    let output = if status == Status::Ok { output } else { 0 };
    LLM.llm_tokens(model, TokenType::Output).inc_by(output);
    let _ = LLM.llm_request_duration(model).observe_with_current_trace(latency);
    tracing::info!(model = model.as_str(), status = ?status, latency, "request done");
    LLM.llm_cost(model).inc_by((input + output) as f64 / 1000.0 * PRICE_PER_1K[i]);
    status
}

/// One step of an agent execution: the step counted, then its LLM call, whose outcome worsens `outcome`
/// (a timeout over an error over success).
async fn agent_step(rng: &mut Rng, agent: &str, step_type: StepType, outcome: &mut Status) {
    AGENTS.agent_steps(agent, step_type).inc();
    match llm_call(rng).await {
        Status::Ok => {}
        Status::Error => {
            if *outcome == Status::Ok {
                *outcome = Status::Error;
            }
        }
        Status::Timeout => *outcome = Status::Timeout,
    }
}

/// One simulated agent execution: a plan, a few tool calls each followed by an action, a reflection. It
/// times out when one of its LLM calls did, and fails when one failed or, now and then, on its own.
async fn agent_run(rng: &mut Rng) {
    let agent = AGENT_NAMES[rng.below(AGENT_NAMES.len() as u64) as usize];
    let _active = AGENTS.agent_active_runs().track_inflight();
    let mut outcome = Status::Ok;
    agent_step(rng, agent, StepType::Plan, &mut outcome).await;
    for _ in 0..rng.below(4) {
        AGENTS.agent_tool_calls(agent, TOOLS[rng.below(TOOLS.len() as u64) as usize]).inc();
        agent_step(rng, agent, StepType::Act, &mut outcome).await;
    }
    agent_step(rng, agent, StepType::Reflect, &mut outcome).await;
    if outcome == Status::Ok && rng.below(10) == 0 {
        outcome = Status::Error;
    }
    AGENTS.agent_executions(agent, outcome).inc();
}

/// Plays traffic forever: a few concurrent workers, each alternating LLM calls and agent runs.
fn spawn_traffic() {
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
    for worker in 0..4u64 {
        tokio::spawn(async move {
            let mut rng = Rng((seed ^ (worker + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1);
            loop {
                if rng.below(3) == 0 {
                    agent_run(&mut rng).await;
                } else {
                    llm_call(&mut rng).await;
                }
                tokio::time::sleep(Duration::from_millis(20 + rng.below(80))).await;
            }
        });
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("llm_service: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The dashboard, rules and alerts of `--export DIR` (committed in `examples/llm_service/observability/`).
fn observability() -> Observability {
    Observability::new("LLM DevOps platform", "llmdevops")
        .runbook_base("https://github.com/promstruct/promstruct/blob/main/examples/llm_service/observability/runbooks")
        .group("LLM engine", LlmMetrics::FAMILIES)
        .group("Agent runtime", AgentMetrics::FAMILIES)
}

async fn run() -> Result<(), Box<dyn Error>> {
    common::export_if_asked("llm_service", observability);
    // `RUST_LOG` filters the log lines only: the `request` spans, and so the exemplars, exist whatever it says.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_filter(filter),
        )
        .with(promstruct::TraceIdsLayer::new())
        .init();
    let args = parse_args()?;
    let mut config = Config::load(args.config.as_deref(), std::env::vars())?;
    if let Some(addr) = args.listen {
        config = promstruct::config::ConfigBuilder::from(config).listen(addr).build()?;
    }
    if !config.enabled {
        println!("metrics disabled by configuration");
        return Ok(());
    }

    let registry = config.registry();
    if config.collectors.llm {
        registry.register(&*LLM)?;
    }
    if config.collectors.agent {
        registry.register(&*AGENTS)?;
    }
    if config.collectors.process {
        registry.register(ProcessCollector::new())?;
    }
    if config.collectors.runtime {
        registry.register(RuntimeCollector::current())?;
    }
    if args.deterministic {
        set_deterministic_values();
    } else {
        spawn_traffic();
    }

    let server = Server::bind(registry, &config).await?;
    println!("listening on {}", server.url());
    server.run().await?;
    Ok(())
}
