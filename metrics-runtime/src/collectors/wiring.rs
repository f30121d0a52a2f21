//! The wiring of the ready-made collectors to a configuration: [`Config::registry_with_collectors`] and
//! [`Config::register_collectors`] register the ones its `collectors` section switches on.

use std::fmt;
use std::sync::Arc;

use super::{AgentMetrics, LlmMetrics};
use crate::config::Config;
use crate::{Registry, RegistryError, RuleError};

impl Config {
    /// A registry as [`Config::registry`] builds it, with the ready-made collectors that the `collectors`
    /// section switches on registered in it (see [`Config::register_collectors`]).
    ///
    /// ```
    /// use promstruct::config::Config;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let yaml = "prometheus_metrics:\n  collectors: { llm: true, agent: false, process: true, runtime: true }\n";
    /// let config = Config::from_yaml_str(yaml).unwrap();
    /// let (registry, collectors) = config.registry_with_collectors(Some("gateway")).unwrap();
    /// collectors.llm.as_ref().unwrap().requests("gpt-4o", "ok").inc();
    /// assert!(collectors.agent.is_none());
    /// assert!(collectors.runtime);
    /// # let _ = registry;
    /// # }
    /// ```
    pub fn registry_with_collectors(
        &self,
        namespace: Option<&str>,
    ) -> Result<(Registry, EnabledCollectors), CollectorsError> {
        let registry = self.registry();
        let enabled = self.register_collectors(&registry, namespace)?;
        Ok((registry, enabled))
    }

    /// Registers in `registry` the ready-made collectors that the `collectors` section switches on:
    ///
    /// - `llm`: [`LlmMetrics`] under `namespace`, each family bounded by `cardinality.max_per_metric`;
    /// - `agent`: [`AgentMetrics`], likewise;
    /// - `process`: the [`ProcessCollector`](crate::collectors::ProcessCollector), under the standard
    ///   `process_*` names (on Linux; elsewhere the flag has no effect and
    ///   [`EnabledCollectors::process`] says so);
    /// - `runtime`: the `RuntimeCollector` of the tokio runtime this is called from, under the standard
    ///   `tokio_runtime_*` names (with the `tokio` feature; without it the flag has no effect and
    ///   [`EnabledCollectors::runtime`] says so).
    ///
    /// The LLM and agent groups are returned, for the application to update; the others update themselves
    /// at each scrape.
    ///
    /// # Errors
    /// [`CollectorsError::NoRuntime`] when `runtime` is on (with the `tokio` feature) and this is not called
    /// inside a tokio runtime;
    /// [`CollectorsError::Namespace`] for an invalid `namespace`; [`CollectorsError::Registry`] when a
    /// collector's families clash with families registered already (registering twice, for instance).
    pub fn register_collectors(
        &self,
        registry: &Registry,
        namespace: Option<&str>,
    ) -> Result<EnabledCollectors, CollectorsError> {
        let switches = &self.collectors;
        #[cfg(feature = "tokio")]
        let runtime = match switches.runtime {
            true => Some(tokio::runtime::Handle::try_current().map_err(|_| CollectorsError::NoRuntime)?),
            false => None,
        };
        let max_series = self.cardinality.max_per_metric;
        let llm = match switches.llm {
            true => Some(Arc::new(LlmMetrics::new(namespace, max_series).map_err(CollectorsError::Namespace)?)),
            false => None,
        };
        let agent = match switches.agent {
            true => Some(Arc::new(AgentMetrics::new(namespace, max_series).map_err(CollectorsError::Namespace)?)),
            false => None,
        };
        let mut enabled = EnabledCollectors { llm: None, agent: None, process: false, runtime: false };
        if let Some(llm) = llm {
            registry.register(llm.clone()).map_err(CollectorsError::Registry)?;
            enabled.llm = Some(llm);
        }
        if let Some(agent) = agent {
            registry.register(agent.clone()).map_err(CollectorsError::Registry)?;
            enabled.agent = Some(agent);
        }
        #[cfg(target_os = "linux")]
        if switches.process {
            registry.register(crate::collectors::ProcessCollector::new()).map_err(CollectorsError::Registry)?;
            enabled.process = true;
        }
        #[cfg(feature = "tokio")]
        if let Some(handle) = runtime {
            registry.register(crate::collectors::RuntimeCollector::new(&handle)).map_err(CollectorsError::Registry)?;
            enabled.runtime = true;
        }
        Ok(enabled)
    }
}

/// The ready-made collectors that [`Config::register_collectors`] registered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EnabledCollectors {
    /// The LLM group, when `collectors.llm` is on: update it from the application.
    pub llm: Option<Arc<LlmMetrics>>,
    /// The agent group, when `collectors.agent` is on: update it from the application.
    pub agent: Option<Arc<AgentMetrics>>,
    /// Whether the process collector was registered (`collectors.process`, on Linux).
    pub process: bool,
    /// Whether the tokio runtime collector was registered (`collectors.runtime`, with the `tokio` feature).
    pub runtime: bool,
}

/// Why [`Config::register_collectors`] failed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CollectorsError {
    /// `collectors.runtime` is on, but the call was made outside a tokio runtime.
    NoRuntime,
    /// The namespace given for the LLM and agent groups is not a valid metric name prefix.
    Namespace(RuleError),
    /// A collector's families clash with families registered already.
    Registry(RegistryError),
}

impl fmt::Display for CollectorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CollectorsError::NoRuntime => write!(
                f,
                "prometheus_metrics.collectors.runtime is on but no tokio runtime is running: register the \
                 collectors from inside the runtime, or switch the runtime collector off"
            ),
            CollectorsError::Namespace(e) => write!(f, "collectors: {e}"),
            CollectorsError::Registry(e) => write!(f, "collectors: {e}"),
        }
    }
}

impl std::error::Error for CollectorsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CollectorsError::NoRuntime => None,
            CollectorsError::Namespace(e) => Some(e),
            CollectorsError::Registry(e) => Some(e),
        }
    }
}

#[cfg(all(test, not(feature = "tokio")))]
mod tests {
    use super::*;

    #[test]
    fn without_the_tokio_feature_the_runtime_switch_has_no_effect() {
        let config = Config::default();
        assert!(config.collectors.runtime);
        let (registry, enabled) = config.registry_with_collectors(None).unwrap();
        assert!(!enabled.runtime, "no runtime collector is registered, and none is asked of the caller");
        assert!(enabled.llm.is_some() && enabled.agent.is_some());
        let mut buf = Vec::new();
        registry.encode(crate::Format::Text, &mut buf).unwrap();
        assert!(!String::from_utf8(buf).unwrap().contains("tokio_runtime_"));
    }
}
