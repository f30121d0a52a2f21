//! Ready-made collectors: the process (Linux), the tokio runtime, and the LLM and agent metric groups.
//!
//! [`Config::registry_with_collectors`](crate::config::Config::registry_with_collectors) registers the ones
//! the configuration's `collectors` section switches on.

mod llm;
#[cfg(target_os = "linux")]
mod process;
#[cfg(feature = "http")]
mod runtime;
#[cfg(feature = "http")]
mod wiring;

pub use llm::{AgentMetrics, LlmMetrics, llm_and_agent};

#[cfg(target_os = "linux")]
pub use process::ProcessCollector;
#[cfg(feature = "http")]
pub use runtime::RuntimeCollector;
#[cfg(feature = "http")]
pub use wiring::{CollectorsError, EnabledCollectors};
