//! Ready-made metric groups for LLM engines and agent runtimes, with a configurable namespace.
//!
//! Model, agent and tool names are open sets that differ between deployments, so every label here is an
//! open string, bounded by `max_series` per family: past it, updates go to the family's overflow series
//! and are counted. Register a group in a [`Registry`](crate::Registry) like any collector.

use std::sync::Arc;

use crate::cell::{Counter, Histogram};
use crate::encoding::Encoder;
use crate::family::{OpenFamily, OpenOptions, SeriesBudget, SeriesRef};
use crate::registry::Collect;
use crate::schema::SchemaConfig;
use crate::{Descriptor, FamilySchema, LabelSchema, MetricType, RuleError};

const LLM_REQUESTS: FamilySchema =
    FamilySchema::new("llm_requests", MetricType::Counter, "LLM requests, by model and outcome.")
        .with_labels(&[LabelSchema::open("model"), LabelSchema::open("status")]);
const LLM_TOKENS: FamilySchema =
    FamilySchema::new("llm_tokens", MetricType::Counter, "LLM tokens processed, by model and type (input or output).")
        .with_labels(&[LabelSchema::open("model"), LabelSchema::open("type")]);
const LLM_REQUEST_DURATION: FamilySchema =
    FamilySchema::new("llm_request_duration", MetricType::Histogram, "LLM request latency, end to end.")
        .with_unit("seconds")
        .with_labels(&[LabelSchema::open("model")])
        // 50 ms to 2 minutes.
        .with_buckets(&[0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0]);
const AGENT_EXECUTIONS: FamilySchema =
    FamilySchema::new("agent_executions", MetricType::Counter, "Agent executions, by agent and outcome.")
        .with_labels(&[LabelSchema::open("agent"), LabelSchema::open("status")]);
const AGENT_STEPS: FamilySchema =
    FamilySchema::new("agent_steps", MetricType::Counter, "Agent steps, by agent and step type.")
        .with_labels(&[LabelSchema::open("agent"), LabelSchema::open("step_type")]);
const AGENT_TOOL_CALLS: FamilySchema =
    FamilySchema::new("agent_tool_calls", MetricType::Counter, "Agent tool calls, by agent and tool.")
        .with_labels(&[LabelSchema::open("agent"), LabelSchema::open("tool")]);

/// The open family `schema` describes, under `namespace`, bounded by `options`.
fn family<C: crate::cell::Metric>(
    schema: &FamilySchema,
    namespace: Option<&str>,
    options: OpenOptions,
) -> Result<OpenFamily<C>, RuleError>
where
    C::Config: SchemaConfig,
{
    Ok(OpenFamily::new(schema.descriptor_in(namespace)?, C::Config::from_schema(schema), options))
}

/// LLM engine metrics: `llm_requests_total{model,status}`, `llm_tokens_total{model,type}` and
/// `llm_request_duration_seconds{model}`, each under an optional namespace.
///
/// ```
/// use promstruct::collectors::LlmMetrics;
/// use promstruct::Registry;
/// use std::sync::Arc;
///
/// let llm = Arc::new(LlmMetrics::new(Some("gateway"), 500).unwrap());
/// Registry::new().register(llm.clone()).unwrap();
/// llm.requests("gpt-4o", "ok").inc();
/// llm.tokens("gpt-4o", "output").inc_by(812);
/// llm.request_duration("gpt-4o").observe(1.25);
/// ```
#[derive(Debug)]
pub struct LlmMetrics {
    requests: OpenFamily<Counter>,
    tokens: OpenFamily<Counter>,
    duration: OpenFamily<Histogram>,
}

impl LlmMetrics {
    /// The group under `namespace` (`<ns>_llm_requests_total`), each family bounded to `max_series`.
    pub fn new(namespace: Option<&str>, max_series: usize) -> Result<Self, RuleError> {
        let options = OpenOptions::new().max_series(max_series);
        Ok(LlmMetrics {
            requests: family(&LLM_REQUESTS, namespace, options)?,
            tokens: family(&LLM_TOKENS, namespace, options)?,
            duration: family(&LLM_REQUEST_DURATION, namespace, options)?,
        })
    }

    /// The requests counter of `model` with `status`.
    pub fn requests(&self, model: &str, status: &str) -> SeriesRef<Counter> {
        self.requests.get(&[model, status])
    }

    /// The tokens counter of `model` for token type `kind` (`input`, `output`, ...).
    pub fn tokens(&self, model: &str, kind: &str) -> SeriesRef<Counter> {
        self.tokens.get(&[model, kind])
    }

    /// The latency histogram of `model`.
    pub fn request_duration(&self, model: &str) -> SeriesRef<Histogram> {
        self.duration.get(&[model])
    }
}

/// Agent runtime metrics: `agent_executions_total{agent,status}`, `agent_steps_total{agent,step_type}` and
/// `agent_tool_calls_total{agent,tool}`, each under an optional namespace.
#[derive(Debug)]
pub struct AgentMetrics {
    executions: OpenFamily<Counter>,
    steps: OpenFamily<Counter>,
    tool_calls: OpenFamily<Counter>,
}

impl AgentMetrics {
    /// The group under `namespace`, each family bounded to `max_series`.
    pub fn new(namespace: Option<&str>, max_series: usize) -> Result<Self, RuleError> {
        let options = OpenOptions::new().max_series(max_series);
        Ok(AgentMetrics {
            executions: family(&AGENT_EXECUTIONS, namespace, options)?,
            steps: family(&AGENT_STEPS, namespace, options)?,
            tool_calls: family(&AGENT_TOOL_CALLS, namespace, options)?,
        })
    }

    /// The executions counter of `agent` with `status`.
    pub fn executions(&self, agent: &str, status: &str) -> SeriesRef<Counter> {
        self.executions.get(&[agent, status])
    }

    /// The steps counter of `agent` for `step_type`.
    pub fn steps(&self, agent: &str, step_type: &str) -> SeriesRef<Counter> {
        self.steps.get(&[agent, step_type])
    }

    /// The tool-calls counter of `agent` for `tool`.
    pub fn tool_calls(&self, agent: &str, tool: &str) -> SeriesRef<Counter> {
        self.tool_calls.get(&[agent, tool])
    }
}

macro_rules! forward_collect {
    ($ty:ty: $($field:ident),+) => {
        impl Collect for $ty {
            fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
                $( self.$field.describe(out); )+
            }

            fn collect(&self, enc: &mut Encoder<'_>) {
                $( self.$field.collect(enc); )+
            }

            fn bind(&self, budget: &SeriesBudget) {
                $( self.$field.bind(budget); )+
            }
        }
    };
}

forward_collect!(LlmMetrics: requests, tokens, duration);
forward_collect!(AgentMetrics: executions, steps, tool_calls);

/// Both groups under one namespace, for services that are both.
pub fn llm_and_agent(
    namespace: Option<&str>,
    max_series: usize,
) -> Result<(Arc<LlmMetrics>, Arc<AgentMetrics>), RuleError> {
    Ok((Arc::new(LlmMetrics::new(namespace, max_series)?), Arc::new(AgentMetrics::new(namespace, max_series)?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Format, Registry};

    #[test]
    fn names_follow_the_namespace_and_values_are_exposed() {
        let registry = Registry::builder().self_metrics(false).build();
        let (llm, agent) = llm_and_agent(Some("acme"), 10).unwrap();
        registry.register(llm.clone()).unwrap();
        registry.register(agent.clone()).unwrap();
        llm.requests("gpt-4o", "ok").inc();
        llm.tokens("gpt-4o", "input").inc_by(100);
        llm.request_duration("gpt-4o").observe(0.3);
        agent.executions("planner", "ok").inc();
        agent.steps("planner", "reason").inc_by(3);
        agent.tool_calls("planner", "search").inc();
        let mut buf = Vec::new();
        registry.encode(Format::Text, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        for line in [
            "acme_llm_requests_total{model=\"gpt-4o\",status=\"ok\"} 1",
            "acme_llm_tokens_total{model=\"gpt-4o\",type=\"input\"} 100",
            "acme_llm_request_duration_seconds_bucket{model=\"gpt-4o\",le=\"0.5\"} 1",
            "acme_agent_executions_total{agent=\"planner\",status=\"ok\"} 1",
            "acme_agent_steps_total{agent=\"planner\",step_type=\"reason\"} 3",
            "acme_agent_tool_calls_total{agent=\"planner\",tool=\"search\"} 1",
        ] {
            assert!(text.contains(line), "missing {line}:\n{text}");
        }
        let plain = LlmMetrics::new(None, 10).unwrap();
        assert_eq!(plain.requests.descriptor().name(), "llm_requests");
        assert!(LlmMetrics::new(Some("Bad"), 10).is_err());
    }
}
