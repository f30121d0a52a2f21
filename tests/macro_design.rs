//! The example of DESIGN.md, compiled and run as written, and the exposition it produces.

use promstruct::MetricType;
use promstruct::prelude::*;

/// The metrics of the DESIGN.md example.
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

fn encode(registry: &Registry, format: Format) -> String {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn the_design_example_compiles_and_behaves_as_written() {
    let registry = Registry::builder().self_metrics(false).build();
    registry.register(&*METRICS).unwrap();

    METRICS.llm_requests(Model::Gpt, Status::Ok).inc();
    METRICS.llm_tokens(Model::Gpt, TokenType::Output).inc_by(812);
    let t = METRICS.llm_request_duration(Model::Claude).start_timer(); // observes on drop
    let g = METRICS.llm_inflight().track_inflight(); // +1 now, -1 on drop
    METRICS.agent_executions("planner", Status::Error).inc();
    METRICS.llm_cost(Model::Llama).inc_by(0.25);

    let text = encode(&registry, Format::Text);
    let l = lines(&text);
    for want in [
        "# HELP llmdevops_llm_requests_total LLM requests, by model and outcome.",
        "# TYPE llmdevops_llm_requests_total counter",
        r#"llmdevops_llm_requests_total{model="gpt-4o",status="ok"} 1"#,
        r#"llmdevops_llm_requests_total{model="llama-3-70b",status="timeout"} 0"#,
        r#"llmdevops_llm_tokens_total{model="gpt-4o",type="output"} 812"#,
        "# TYPE llmdevops_llm_request_duration_seconds histogram",
        r#"llmdevops_llm_request_duration_seconds_count{model="claude-3-5-sonnet"} 0"#,
        "# HELP llmdevops_llm_inflight Requests in flight.",
        "llmdevops_llm_inflight 1",
        r#"llmdevops_llm_cost_dollars_total{model="llama-3-70b"} 0.25"#,
        "# HELP llmdevops_agent_executions_total Agent executions, by agent name (an open set, bounded).",
        r#"llmdevops_agent_executions_total{agent="planner",status="error"} 1"#,
    ] {
        assert!(l.contains(&want), "missing {want:?} in\n{text}");
    }
    // Every combination of enum labels exists from the start: 3 models x 3 statuses.
    assert_eq!(l.iter().filter(|s| s.starts_with("llmdevops_llm_requests_total{")).count(), 9);
    // Families appear in declaration order.
    let order: Vec<&str> = l.iter().filter_map(|s| s.strip_prefix("# TYPE ")).collect();
    assert_eq!(
        order,
        [
            "llmdevops_llm_requests_total counter",
            "llmdevops_llm_tokens_total counter",
            "llmdevops_llm_request_duration_seconds histogram",
            "llmdevops_llm_inflight gauge",
            "llmdevops_llm_cost_dollars_total counter",
            "llmdevops_agent_executions_total counter",
        ]
    );

    drop(t);
    drop(g);
    let text = encode(&registry, Format::Text);
    let l = lines(&text);
    assert!(l.contains(&r#"llmdevops_llm_request_duration_seconds_count{model="claude-3-5-sonnet"} 1"#), "{text}");
    assert!(l.contains(&r#"llmdevops_llm_request_duration_seconds_bucket{model="claude-3-5-sonnet",le="+Inf"} 1"#));
    assert!(l.contains(&"llmdevops_llm_inflight 0"), "{text}");

    let om = encode(&registry, Format::OpenMetrics);
    let l = lines(&om);
    assert!(l.contains(&"# TYPE llmdevops_llm_requests counter"), "{om}");
    assert!(l.contains(&"# UNIT llmdevops_llm_request_duration_seconds seconds"), "{om}");
    assert!(l.contains(&"# UNIT llmdevops_llm_cost_dollars dollars"), "{om}");
    assert!(l.contains(&r#"llmdevops_llm_requests_total{model="gpt-4o",status="ok"} 1"#), "{om}");
    assert!(om.ends_with("# EOF\n"));

    // A second registration of the same families is refused, naming the family.
    let err = registry.register(&*METRICS).unwrap_err();
    assert!(err.to_string().contains("llmdevops_llm_requests"), "{err}");
}

#[test]
fn the_label_enums_carry_their_values() {
    assert_eq!(Model::Gpt.as_str(), "gpt-4o");
    assert_eq!(Model::Claude.as_str(), "claude-3-5-sonnet");
    assert_eq!(<Model as promstruct::LabelEnum>::CARDINALITY, 3);
    assert_eq!(<Status as promstruct::LabelEnum>::ALL, &[Status::Ok, Status::Error, Status::Timeout]);
    assert_eq!(<TokenType as promstruct::LabelEnum>::VALUES, &["input", "output"]);
    assert_eq!(Status::Timeout.ordinal(), 2);
    assert_eq!(Model::from_ordinal(2), Some(Model::Llama));
    // The derives the issue lists: Debug, Clone, Copy, PartialEq, Eq, Hash.
    let set: std::collections::HashSet<Model> = [Model::Gpt, Model::Gpt, Model::Claude].into_iter().collect();
    assert_eq!(set.len(), 2);
    assert_eq!(format!("{:?}", TokenType::Input), "Input");
}

#[test]
fn the_static_descriptors_describe_every_family() {
    let f = LlmMetrics::FAMILIES;
    let names: Vec<&str> = f.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        [
            "llmdevops_llm_requests",
            "llmdevops_llm_tokens",
            "llmdevops_llm_request_duration_seconds",
            "llmdevops_llm_inflight",
            "llmdevops_llm_cost_dollars",
            "llmdevops_agent_executions",
        ]
    );
    let requests = &f[0];
    assert_eq!(requests.kind(), MetricType::Counter);
    assert_eq!(requests.help(), "LLM requests, by model and outcome.");
    assert_eq!(requests.unit(), None);
    assert_eq!(requests.labels().len(), 2);
    assert_eq!(requests.labels()[0].name(), "model");
    assert_eq!(requests.labels()[0].values(), Some(&["gpt-4o", "claude-3-5-sonnet", "llama-3-70b"][..]));
    assert_eq!(requests.labels()[1].values(), Some(&["ok", "error", "timeout"][..]));
    assert_eq!(requests.cardinality(), Some(9));
    assert_eq!(requests.sample_name(), "llmdevops_llm_requests_total");
    assert_eq!(requests.max_series(), None);

    // The raw identifier `r#type` exposes the label `type`, with the token types' values.
    let tokens = &f[1];
    assert_eq!(tokens.help(), "Tokens processed, by model and type (input or output).");
    let token_labels: Vec<&str> = tokens.labels().iter().map(|l| l.name()).collect();
    assert_eq!(token_labels, ["model", "type"]);
    assert_eq!(tokens.labels()[1].values(), Some(&["input", "output"][..]));
    assert_eq!(tokens.cardinality(), Some(6));

    let duration = &f[2];
    assert_eq!(duration.kind(), MetricType::Histogram);
    assert_eq!(duration.unit(), Some("seconds"));
    assert_eq!(duration.buckets(), Some(&[0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0][..]));

    assert_eq!(f[3].kind(), MetricType::Gauge);
    assert_eq!(f[3].labels(), &[]);
    assert_eq!(f[3].cardinality(), Some(1));
    assert_eq!(f[4].unit(), Some("dollars"));

    let agents = &f[5];
    assert!(agents.labels()[0].is_open());
    assert_eq!(agents.labels()[1].values(), Some(&["ok", "error", "timeout"][..]));
    assert_eq!(agents.max_series(), Some(500));
    assert_eq!(agents.cardinality(), None);
    assert_eq!(agents.ttl(), None);
}
