//! Ready-made collectors: the process (Linux), the tokio runtime (feature `tokio`), and the LLM and agent
//! metric groups.
//!
//! `Config::registry_with_collectors` (features `config` or `http`) registers the ones the configuration's
//! `collectors` section switches on.

mod llm;
#[cfg(target_os = "linux")]
mod process;
#[cfg(feature = "tokio")]
mod runtime;
#[cfg(any(feature = "config", feature = "http"))]
mod wiring;

pub use llm::{AgentMetrics, LlmMetrics, llm_and_agent};

#[cfg(target_os = "linux")]
pub use process::ProcessCollector;
#[cfg(feature = "tokio")]
pub use runtime::RuntimeCollector;
#[cfg(any(feature = "config", feature = "http"))]
pub use wiring::{CollectorsError, EnabledCollectors};
