//! The example of DESIGN.md, as written: declare the metrics of an LLM gateway, update them, print the
//! exposition. Run with `cargo run --example design_example`.
//!
//! Output (`Format::Text`; `_created` samples and the registry's own `promstruct_*` families are
//! left out here):
//!
//! ```text
//! # HELP llmdevops_llm_requests_total LLM requests, by model and outcome.
//! # TYPE llmdevops_llm_requests_total counter
//! llmdevops_llm_requests_total{model="gpt-4o",status="ok"} 1
//! llmdevops_llm_requests_total{model="gpt-4o",status="error"} 0
//! ... (every model x status pair is exposed from the start, at 0)
//! # HELP llmdevops_llm_tokens_total Tokens processed, by model and type (input or output).
//! # TYPE llmdevops_llm_tokens_total counter
//! llmdevops_llm_tokens_total{model="gpt-4o",type="input"} 0
//! llmdevops_llm_tokens_total{model="gpt-4o",type="output"} 812
//! ...
//! # HELP llmdevops_llm_request_duration_seconds End-to-end request latency.
//! # TYPE llmdevops_llm_request_duration_seconds histogram
//! llmdevops_llm_request_duration_seconds_bucket{model="gpt-4o",le="0.1"} 0
//! ...
//! llmdevops_llm_request_duration_seconds_bucket{model="gpt-4o",le="60.0"} 0
//! llmdevops_llm_request_duration_seconds_bucket{model="gpt-4o",le="+Inf"} 0
//! llmdevops_llm_request_duration_seconds_sum{model="gpt-4o"} 0.0
//! llmdevops_llm_request_duration_seconds_count{model="gpt-4o"} 0
//! ... (claude-3-5-sonnet's timer is still running when the scrape is taken, so it reads 0 too)
//! # HELP llmdevops_llm_inflight Requests in flight.
//! # TYPE llmdevops_llm_inflight gauge
//! llmdevops_llm_inflight 1
//! # HELP llmdevops_llm_cost_dollars_total Estimated spend.
//! # TYPE llmdevops_llm_cost_dollars_total counter
//! llmdevops_llm_cost_dollars_total{model="gpt-4o"} 0.0
//! ...
//! # HELP llmdevops_agent_executions_total Agent executions, by agent name (an open set, bounded).
//! # TYPE llmdevops_agent_executions_total counter
//! llmdevops_agent_executions_total{agent="planner",status="error"} 1
//! ```

use std::error::Error;

use promstruct::prelude::*;

/// The metrics of an LLM gateway.
#[metrics(namespace = "llmdevops")]
#[labels(
    Model { Gpt = "gpt-4o", Claude = "claude-3-5-sonnet", Llama = "llama-3-70b" },
    Status { Ok = "ok", Error = "error", Timeout = "timeout" },
    TokenType { Input = "input", Output = "output" },
)]
pub struct LlmMetrics {
    /// LLM requests, by model and outcome.
    #[counter(labels(model: Model, status: Status))]
    llm_requests: Counter, // llmdevops_llm_requests_total

    /// Tokens processed, by model and type (input or output).
    #[counter(labels(model: Model, r#type: TokenType))] // a Rust keyword as a label name: raw identifier
    llm_tokens: Counter, // llmdevops_llm_tokens_total

    /// End-to-end request latency.
    #[histogram(labels(model: Model), unit = "seconds", buckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])]
    llm_request_duration: Histogram, // llmdevops_llm_request_duration_seconds

    /// Requests in flight.
    #[gauge]
    llm_inflight: Gauge,

    /// Estimated spend.
    #[counter(labels(model: Model), unit = "dollars")]
    llm_cost: FloatCounter, // llmdevops_llm_cost_dollars_total

    /// Agent executions, by agent name (an open set, bounded).
    #[counter(labels(agent: String, status: Status), max_series = 500)]
    agent_executions: Counter,
}

static METRICS: LazyLock<LlmMetrics> = LazyLock::new(LlmMetrics::default);

fn main() -> Result<(), Box<dyn Error>> {
    METRICS.llm_requests(Model::Gpt, Status::Ok).inc();
    METRICS.llm_tokens(Model::Gpt, TokenType::Output).inc_by(812);
    let _t = METRICS.llm_request_duration(Model::Claude).start_timer(); // observes on drop
    let _g = METRICS.llm_inflight().track_inflight(); // +1 now, -1 on drop
    METRICS.agent_executions("planner", Status::Error).inc();

    let registry = Registry::new();
    registry.register(&*METRICS)?;
    let mut buf = Vec::new();
    registry.encode(Format::Text, &mut buf)?;
    print!("{}", String::from_utf8(buf)?);
    Ok(())
}
