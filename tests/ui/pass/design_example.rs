// The example of DESIGN.md, verbatim: declaration, call shapes and registration.
use promstruct::prelude::*;

#[metrics(namespace = "llmdevops")]
#[labels(
    Model { Gpt = "gpt-4o", Claude = "claude-3-5-sonnet", Llama = "llama-3-70b" },
    Status { Ok = "ok", Error = "error", Timeout = "timeout" },
    TokenType { Input = "input", Output = "output" },
)]
pub struct LlmMetrics {
    /// LLM requests, by model and outcome.
    #[counter(labels(model: Model, status: Status))]
    llm_requests: Counter,                       // llmdevops_llm_requests_total

    /// Tokens processed, by model and type (input or output).
    #[counter(labels(model: Model, r#type: TokenType))]    // a Rust keyword as a label name: raw identifier
    llm_tokens: Counter,                         // llmdevops_llm_tokens_total

    /// End-to-end request latency.
    #[histogram(labels(model: Model), unit = "seconds", buckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60])]
    llm_request_duration: Histogram,             // llmdevops_llm_request_duration_seconds

    /// Requests in flight.
    #[gauge]
    llm_inflight: Gauge,

    /// Estimated spend.
    #[counter(labels(model: Model), unit = "dollars")]
    llm_cost: FloatCounter,                      // llmdevops_llm_cost_dollars_total

    /// Agent executions, by agent name (an open set, bounded).
    #[counter(labels(agent: String, status: Status), max_series = 500)]
    agent_executions: Counter,
}

static METRICS: LazyLock<LlmMetrics> = LazyLock::new(LlmMetrics::default);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    METRICS.llm_requests(Model::Gpt, Status::Ok).inc();
    METRICS.llm_tokens(Model::Gpt, TokenType::Output).inc_by(812);
    let _t = METRICS.llm_request_duration(Model::Claude).start_timer();   // observes on drop
    let _g = METRICS.llm_inflight().track_inflight();                      // +1 now, -1 on drop
    METRICS.agent_executions("planner", Status::Error).inc();

    let registry = Registry::new();
    registry.register(&*METRICS)?;                       // Err names the family on a duplicate name
    let mut buf = Vec::new();
    registry.encode(Format::OpenMetrics, &mut buf)?;     // or Format::Text (0.0.4)
    let text = String::from_utf8(buf)?;
    assert!(text.contains("llmdevops_llm_requests_total{model=\"gpt-4o\",status=\"ok\"} 1\n"));
    Ok(())
}
