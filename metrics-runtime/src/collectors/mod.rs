//! Ready-made collectors: the process (Linux), LLM and agent metric groups.

mod llm;
#[cfg(target_os = "linux")]
mod process;

pub use llm::{AgentMetrics, LlmMetrics, llm_and_agent};

#[cfg(target_os = "linux")]
pub use process::ProcessCollector;
