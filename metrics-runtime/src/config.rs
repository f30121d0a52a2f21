//! Configuration of the endpoint: the `prometheus_metrics` schema, read from a YAML file, environment
//! variables or a builder.
//!
//! ```yaml
//! prometheus_metrics:
//!   enabled: true
//!   endpoint: { path: "/metrics", host: "127.0.0.1", port: 9090 }
//!   cache: { enabled: true, ttl_ms: 1000 }
//!   cardinality: { max_per_metric: 1000, total_limit: 10000 }
//!   compression: { enabled: true, min_size_bytes: 1024 }
//!   collectors: { llm: true, agent: true, process: true, runtime: true }
//!   auth:
//!     enabled: true
//!     tokens: [{ token: "s3cr3t-token", scopes: ["metrics:read"] }]
//!   rate_limit: { enabled: true, requests_per_second: 10.0, burst: 20 }
//!   limits: { max_header_bytes: 16384, max_connections: 256, request_timeout_ms: 10000,
//!             header_read_timeout_ms: 10000, shutdown_timeout_ms: 10000 }
//! ```
//!
//! Every key is optional and defaults to the value shown, except that authentication and the rate limit
//! are off by default. Unknown keys are errors, so a typo does not silently keep a default. Other top-level
//! keys of the file are ignored: the section can live in an application's own configuration file.
//!
//! Environment variables override the file: `PROMETHEUS_METRICS_ENABLED`, and
//! `PROMETHEUS_METRICS_<SECTION>_<KEY>` for the others (`PROMETHEUS_METRICS_CACHE_TTL_MS=500`,
//! `PROMETHEUS_METRICS_RATE_LIMIT_BURST=5`). Values are read as YAML scalars, so lists work too:
//! `PROMETHEUS_METRICS_AUTH_TOKENS='[{token: "…", scopes: ["metrics:read"]}]'`.
//!
//! ```
//! use metrics_runtime::config::Config;
//!
//! let config = Config::from_yaml_str("prometheus_metrics:\n  cache: { ttl_ms: 250 }\n").unwrap();
//! assert_eq!(config.cache.ttl_ms, 250);
//!
//! let err = Config::from_yaml_str("prometheus_metrics:\n  cache: { ttl_ms: soon }\n").unwrap_err();
//! assert_eq!(err.key(), Some("prometheus_metrics.cache.ttl_ms"));
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_norway::{Mapping, Value};

use std::sync::Arc;

use crate::collectors::{AgentMetrics, LlmMetrics};
use crate::{Registry, RegistryError, RuleError};

/// The prefix of the environment variables read by [`Config::from_env`] and [`Config::load`].
pub const ENV_PREFIX: &str = "PROMETHEUS_METRICS_";

/// The key under which the schema lives in a YAML document.
pub const ROOT_KEY: &str = "prometheus_metrics";

/// The scope a bearer token needs to read the scrape path.
pub const SCOPE_METRICS_READ: &str = "metrics:read";

/// The sections of the schema, as environment variables name them (`PROMETHEUS_METRICS_<SECTION>_<KEY>`).
const SECTIONS: [&str; 8] =
    ["endpoint", "cache", "cardinality", "compression", "collectors", "auth", "rate_limit", "limits"];

/// The endpoint's configuration: the `prometheus_metrics` section.
///
/// Fields are public to read and to adjust after loading; [`Config::validate`] checks a hand-edited value
/// (the loaders and [`ConfigBuilder::build`] call it), and [`serve`](crate::http::serve) refuses an invalid one.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Config {
    /// Whether to serve at all; when false [`serve`](crate::http::serve) returns at once.
    pub enabled: bool,
    /// Where to listen and the scrape path.
    pub endpoint: EndpointConfig,
    /// The cache of serialized scrapes.
    pub cache: CacheConfig,
    /// Series limits, for the registry and families created from this configuration.
    pub cardinality: CardinalityConfig,
    /// gzip compression of scrape responses.
    pub compression: CompressionConfig,
    /// Which ready-made collectors an application registers.
    pub collectors: CollectorsConfig,
    /// Bearer-token authentication of the scrape path.
    pub auth: AuthConfig,
    /// The rate limit of the scrape path.
    pub rate_limit: RateLimitConfig,
    /// Limits on requests and connections.
    pub limits: LimitsConfig,
}

/// Where the endpoint listens: `endpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// The scrape path (default `/metrics`); `/health` and `/ready` are fixed.
    pub path: String,
    /// The address to bind (default `127.0.0.1`; `0.0.0.0` to be scraped from other hosts).
    pub host: IpAddr,
    /// The port (default 9090; 0 picks a free one).
    pub port: u16,
}

/// The cache of serialized scrapes: `cache`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CacheConfig {
    /// Whether to reuse a serialized body (default true).
    pub enabled: bool,
    /// How long a serialized body is served before the registry is encoded again (default 1000).
    pub ttl_ms: u64,
}

/// Series limits: `cardinality`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CardinalityConfig {
    /// The most series of one family with open labels (default 1000).
    pub max_per_metric: usize,
    /// The most series of the whole registry (default 10,000).
    pub total_limit: usize,
}

/// gzip compression: `compression`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CompressionConfig {
    /// Whether to gzip responses when the request accepts it (default true).
    pub enabled: bool,
    /// Smaller bodies are sent as they are (default 1024).
    pub min_size_bytes: usize,
}

/// Ready-made collectors: `collectors`. The endpoint does not read these; an application registers the
/// collectors they switch on with [`Config::registry_with_collectors`] or [`Config::register_collectors`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CollectorsConfig {
    /// LLM metrics (default true).
    pub llm: bool,
    /// Agent metrics (default true).
    pub agent: bool,
    /// Process metrics (default true).
    pub process: bool,
    /// Async runtime metrics (default true).
    pub runtime: bool,
}

/// Bearer-token authentication: `auth`. Applies to the scrape path only: `/health` and `/ready` stay open
/// for probes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct AuthConfig {
    /// Whether a token is required (default false).
    pub enabled: bool,
    /// The accepted tokens and their scopes; a scrape needs one with [`SCOPE_METRICS_READ`].
    pub tokens: Vec<TokenConfig>,
}

/// One accepted bearer token. Its `Debug` output hides the token.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TokenConfig {
    /// The secret, as sent in `Authorization: Bearer <token>`.
    pub token: String,
    /// What it allows, as `resource:action` (`metrics:read`).
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl TokenConfig {
    /// A token with `scopes`.
    pub fn new(token: impl Into<String>, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        TokenConfig { token: token.into(), scopes: scopes.into_iter().map(Into::into).collect() }
    }
}

impl fmt::Debug for TokenConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenConfig").field("token", &"<redacted>").field("scopes", &self.scopes).finish()
    }
}

/// The rate limit of the scrape path: `rate_limit`. A token bucket shared by all clients; past it the
/// endpoint answers 429 with `Retry-After`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct RateLimitConfig {
    /// Whether to limit (default false).
    pub enabled: bool,
    /// The sustained rate (default 10).
    pub requests_per_second: f64,
    /// How many scrapes may come at once after a quiet period (default 20).
    pub burst: u32,
}

/// Limits on requests and connections: `limits`. Together they keep a slow or malformed client from
/// stalling others.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct LimitsConfig {
    /// The largest request head; a larger one gets 431 (default 16384, at least 8192).
    pub max_header_bytes: usize,
    /// Connections served at once; more wait to be accepted (default 256).
    pub max_connections: usize,
    /// The longest a request may take to answer; past it, 503 (default 10000).
    pub request_timeout_ms: u64,
    /// The longest a client may take to send a request head, and the longest an idle connection is kept
    /// (default 10000).
    pub header_read_timeout_ms: u64,
    /// How long shutdown waits for in-flight requests (default 10000).
    pub shutdown_timeout_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            enabled: true,
            endpoint: EndpointConfig::default(),
            cache: CacheConfig::default(),
            cardinality: CardinalityConfig::default(),
            compression: CompressionConfig::default(),
            collectors: CollectorsConfig::default(),
            auth: AuthConfig::default(),
            rate_limit: RateLimitConfig::default(),
            limits: LimitsConfig::default(),
        }
    }
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig { path: "/metrics".into(), host: IpAddr::V4(Ipv4Addr::LOCALHOST), port: 9090 }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { enabled: true, ttl_ms: 1000 }
    }
}

impl Default for CardinalityConfig {
    fn default() -> Self {
        CardinalityConfig { max_per_metric: 1000, total_limit: 10_000 }
    }
}

impl Default for CompressionConfig {
    fn default() -> Self {
        CompressionConfig { enabled: true, min_size_bytes: 1024 }
    }
}

impl Default for CollectorsConfig {
    fn default() -> Self {
        CollectorsConfig { llm: true, agent: true, process: true, runtime: true }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig { enabled: false, requests_per_second: 10.0, burst: 20 }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_header_bytes: 16 * 1024,
            max_connections: 256,
            request_timeout_ms: 10_000,
            header_read_timeout_ms: 10_000,
            shutdown_timeout_ms: 10_000,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not YAML.
    Syntax {
        /// Where the text came from: a file's path.
        origin: String,
        /// The parser's message, with line and column.
        reason: String,
    },
    /// A key has a value the schema refuses, or is not in the schema.
    Invalid {
        /// Where the value came from: a file's path, an environment variable, or `configuration`.
        origin: String,
        /// The key, as a path from the document's root (`prometheus_metrics.cache.ttl_ms`).
        key: String,
        /// Why it was refused.
        reason: String,
    },
}

impl ConfigError {
    /// The key at fault, if the error is about one.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }

    fn invalid(key: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError::Invalid { origin: "configuration".into(), key: key.into(), reason: reason.into() }
    }

    fn with_origin(self, new_origin: &str) -> Self {
        match self {
            ConfigError::Invalid { key, reason, .. } => ConfigError::Invalid { origin: new_origin.into(), key, reason },
            ConfigError::Syntax { reason, .. } => ConfigError::Syntax { origin: new_origin.into(), reason },
            other => other,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            ConfigError::Syntax { origin, reason } => write!(f, "{origin}: not valid YAML: {reason}"),
            ConfigError::Invalid { origin, key, reason } => write!(f, "{origin}: `{key}`: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Config {
    /// A builder starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder { config: Config::default() }
    }

    /// Reads the `prometheus_metrics` section of a YAML document (defaults if it is absent).
    pub fn from_yaml_str(yaml: &str) -> Result<Config, ConfigError> {
        Self::from_sources(Some(("YAML", yaml)), std::iter::empty::<(String, String)>())
    }

    /// Reads the `prometheus_metrics` section of a YAML file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        Self::load(Some(path.as_ref()), std::iter::empty::<(String, String)>())
    }

    /// The defaults, overridden by the process's `PROMETHEUS_METRICS_*` environment variables.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::load(None, std::env::vars())
    }

    /// The file, if given, then the variables among `vars` that start with [`ENV_PREFIX`] over it: pass
    /// `std::env::vars()` for the process's environment.
    pub fn load<K, V>(file: Option<&Path>, vars: impl IntoIterator<Item = (K, V)>) -> Result<Config, ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let text = match file {
            Some(path) => Some(
                std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?,
            ),
            None => None,
        };
        let origin = file.map(|p| p.display().to_string());
        Self::from_sources(origin.as_deref().zip(text.as_deref()), vars)
    }

    /// A YAML document (`(origin, text)`, the origin naming it in errors) with environment variables over it.
    fn from_sources<K, V>(
        yaml: Option<(&str, &str)>,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Config, ConfigError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut section = match yaml {
            Some((origin, text)) => {
                let doc: Value = serde_norway::from_str(text)
                    .map_err(|e| ConfigError::Syntax { origin: origin.into(), reason: e.to_string() })?;
                section_of(doc).map_err(|e| e.with_origin(origin))?
            }
            None => Value::Mapping(Mapping::new()),
        };
        let mut from_env = Vec::new();
        for (name, value) in vars {
            let (name, value) = (name.as_ref(), value.as_ref());
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else { continue };
            let path = env_key(rest).ok_or_else(|| ConfigError::Invalid {
                origin: format!("environment variable {name}"),
                key: format!("{ROOT_KEY}.{}", rest.to_ascii_lowercase()),
                reason: format!(
                    "not a setting: expected {ENV_PREFIX}ENABLED or {ENV_PREFIX}<SECTION>_<KEY> with SECTION one of {}",
                    SECTIONS.join(", ").to_ascii_uppercase()
                ),
            })?;
            let value: Value = if value.is_empty() {
                Value::String(String::new())
            } else {
                serde_norway::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()))
            };
            // Checked alone first, so that an error names the variable rather than the file.
            let mut alone = Value::Mapping(Mapping::new());
            insert_path(&mut alone, &path, value.clone());
            let origin = format!("environment variable {name}");
            deserialize(alone).map_err(|e| e.with_origin(&origin))?;
            from_env.push((path, value));
        }
        for (path, value) in from_env {
            insert_path(&mut section, &path, value);
        }
        let config = deserialize(section).map_err(|e| match yaml {
            Some((origin, _)) => e.with_origin(origin),
            None => e,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the rules the types cannot: paths, positive limits, tokens and their scopes.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let key = |k: &str| format!("{ROOT_KEY}.{k}");
        let path = &self.endpoint.path;
        if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c == '?' || c == '#') {
            return Err(ConfigError::invalid(
                key("endpoint.path"),
                format!("`{path}` is not an absolute URL path (it must start with `/`, without spaces, `?` or `#`)"),
            ));
        }
        if path == "/health" || path == "/ready" {
            return Err(ConfigError::invalid(key("endpoint.path"), format!("`{path}` is taken by the probe route")));
        }
        if self.cache.enabled && self.cache.ttl_ms == 0 {
            return Err(ConfigError::invalid(
                key("cache.ttl_ms"),
                "must be at least 1 while the cache is enabled (set cache.enabled: false to turn it off)",
            ));
        }
        if self.cardinality.total_limit == 0 {
            return Err(ConfigError::invalid(key("cardinality.total_limit"), "must be at least 1"));
        }
        if self.cardinality.max_per_metric == 0 {
            return Err(ConfigError::invalid(key("cardinality.max_per_metric"), "must be at least 1"));
        }
        if self.cardinality.max_per_metric > self.cardinality.total_limit {
            return Err(ConfigError::invalid(
                key("cardinality.max_per_metric"),
                format!(
                    "{} is above cardinality.total_limit ({})",
                    self.cardinality.max_per_metric, self.cardinality.total_limit
                ),
            ));
        }
        if self.auth.enabled && self.auth.tokens.is_empty() {
            return Err(ConfigError::invalid(key("auth.tokens"), "auth is enabled but no token is configured"));
        }
        for (i, token) in self.auth.tokens.iter().enumerate() {
            if token.token.is_empty() || token.token.chars().any(|c| !c.is_ascii_graphic()) {
                return Err(ConfigError::invalid(
                    key(&format!("auth.tokens[{i}].token")),
                    "must be non-empty printable ASCII without spaces",
                ));
            }
            if self.auth.tokens[..i].iter().any(|t| t.token == token.token) {
                return Err(ConfigError::invalid(key(&format!("auth.tokens[{i}].token")), "duplicates another token"));
            }
            if token.scopes.is_empty() {
                return Err(ConfigError::invalid(key(&format!("auth.tokens[{i}].scopes")), "must name a scope"));
            }
            for scope in &token.scopes {
                if !valid_scope(scope) {
                    return Err(ConfigError::invalid(
                        key(&format!("auth.tokens[{i}].scopes")),
                        format!("`{scope}` is not a scope: expected `resource:action`, such as `{SCOPE_METRICS_READ}`"),
                    ));
                }
            }
        }
        let rate = &self.rate_limit;
        if rate.enabled && !(rate.requests_per_second.is_finite() && rate.requests_per_second > 0.0) {
            return Err(ConfigError::invalid(key("rate_limit.requests_per_second"), "must be a positive number"));
        }
        if rate.enabled && rate.burst == 0 {
            return Err(ConfigError::invalid(key("rate_limit.burst"), "must be at least 1"));
        }
        let limits = &self.limits;
        if limits.max_header_bytes < 8192 {
            return Err(ConfigError::invalid(key("limits.max_header_bytes"), "must be at least 8192"));
        }
        for (name, value) in [
            ("limits.max_connections", limits.max_connections as u64),
            ("limits.request_timeout_ms", limits.request_timeout_ms),
            ("limits.header_read_timeout_ms", limits.header_read_timeout_ms),
        ] {
            if value == 0 {
                return Err(ConfigError::invalid(key(name), "must be at least 1"));
            }
        }
        Ok(())
    }

    /// The address to bind.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.endpoint.host, self.endpoint.port)
    }

    /// How long a serialized scrape is reused, or `None` when the cache is off.
    pub fn cache_ttl(&self) -> Option<Duration> {
        self.cache.enabled.then(|| Duration::from_millis(self.cache.ttl_ms))
    }

    /// A registry whose total series limit is `cardinality.total_limit`, with no collector registered: see
    /// [`Config::registry_with_collectors`] for one holding the collectors the configuration switches on.
    pub fn registry(&self) -> Registry {
        Registry::builder()
            .total_series_limit(self.cardinality.total_limit)
            .max_series_per_family(self.cardinality.max_per_metric)
            .build()
    }

    /// A registry as [`Config::registry`] builds it, with the ready-made collectors that the `collectors`
    /// section switches on registered in it (see [`Config::register_collectors`]).
    ///
    /// ```
    /// use metrics_runtime::config::Config;
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
    /// - `runtime`: the [`RuntimeCollector`](crate::collectors::RuntimeCollector) of the tokio runtime
    ///   this is called from, under the standard `tokio_runtime_*` names.
    ///
    /// The LLM and agent groups are returned, for the application to update; the others update themselves
    /// at each scrape.
    ///
    /// # Errors
    /// [`CollectorsError::NoRuntime`] when `runtime` is on and this is not called inside a tokio runtime;
    /// [`CollectorsError::Namespace`] for an invalid `namespace`; [`CollectorsError::Registry`] when a
    /// collector's families clash with families registered already (registering twice, for instance).
    pub fn register_collectors(
        &self,
        registry: &Registry,
        namespace: Option<&str>,
    ) -> Result<EnabledCollectors, CollectorsError> {
        let switches = &self.collectors;
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
    /// Whether the tokio runtime collector was registered (`collectors.runtime`).
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

fn valid_scope(scope: &str) -> bool {
    let part = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
    };
    matches!(scope.split_once(':'), Some((resource, action)) if part(resource) && part(action))
}

/// The `prometheus_metrics` mapping of a document (an empty one if the document has none).
fn section_of(doc: Value) -> Result<Value, ConfigError> {
    match doc {
        Value::Null => Ok(Value::Mapping(Mapping::new())),
        Value::Mapping(mut root) => match root.remove(ROOT_KEY) {
            None | Some(Value::Null) => Ok(Value::Mapping(Mapping::new())),
            Some(section @ Value::Mapping(_)) => Ok(section),
            Some(_) => Err(ConfigError::invalid(ROOT_KEY, "must be a mapping of the settings")),
        },
        _ => Err(ConfigError::invalid("(document)", format!("must be a mapping with a `{ROOT_KEY}` key"))),
    }
}

/// The schema path an environment variable names (without the prefix): `CACHE_TTL_MS` -> `cache.ttl_ms`.
fn env_key(rest: &str) -> Option<Vec<String>> {
    let lower = rest.to_ascii_lowercase();
    if lower == "enabled" {
        return Some(vec![lower]);
    }
    SECTIONS.iter().find_map(|section| {
        let key = lower.strip_prefix(section)?.strip_prefix('_')?;
        (!key.is_empty()).then(|| vec![(*section).to_owned(), key.to_owned()])
    })
}

fn insert_path(target: &mut Value, path: &[String], value: Value) {
    let Value::Mapping(map) = target else { return };
    match path {
        [] => {}
        [last] => {
            map.insert(Value::String(last.clone()), value);
        }
        [first, rest @ ..] => {
            let entry = map.entry(Value::String(first.clone())).or_insert_with(|| Value::Mapping(Mapping::new()));
            if !entry.is_mapping() {
                *entry = Value::Mapping(Mapping::new());
            }
            insert_path(entry, rest, value);
        }
    }
}

fn deserialize(section: Value) -> Result<Config, ConfigError> {
    serde_path_to_error::deserialize::<_, Config>(section).map_err(|e| {
        let path = e.path().to_string();
        let key = if path == "." || path.is_empty() { ROOT_KEY.to_owned() } else { format!("{ROOT_KEY}.{path}") };
        ConfigError::invalid(key, e.into_inner().to_string())
    })
}

/// Builds a [`Config`] in code, starting from the defaults.
///
/// ```
/// use metrics_runtime::config::Config;
/// use std::time::Duration;
///
/// let config = Config::builder()
///     .listen("127.0.0.1:0".parse().unwrap())
///     .cache_ttl(Duration::from_millis(500))
///     .token("s3cr3t", ["metrics:read"])
///     .rate_limit(5.0, 10)
///     .build()
///     .unwrap();
/// assert!(config.auth.enabled);
/// ```
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    config: Config,
}

impl From<Config> for ConfigBuilder {
    fn from(config: Config) -> Self {
        ConfigBuilder { config }
    }
}

impl ConfigBuilder {
    /// Whether to serve at all.
    pub fn enabled(mut self, on: bool) -> Self {
        self.config.enabled = on;
        self
    }

    /// The scrape path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.config.endpoint.path = path.into();
        self
    }

    /// The address and port to bind.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.config.endpoint.host = addr.ip();
        self.config.endpoint.port = addr.port();
        self
    }

    /// Turns the cache off.
    pub fn no_cache(mut self) -> Self {
        self.config.cache.enabled = false;
        self
    }

    /// Turns the cache on with `ttl` (whole milliseconds).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.config.cache = CacheConfig { enabled: true, ttl_ms: ttl.as_millis().try_into().unwrap_or(u64::MAX) };
        self
    }

    /// Series limits: per family with open labels, and for the registry.
    pub fn cardinality(mut self, max_per_metric: usize, total_limit: usize) -> Self {
        self.config.cardinality = CardinalityConfig { max_per_metric, total_limit };
        self
    }

    /// gzip responses of at least `min_size_bytes` when the request accepts it.
    pub fn compression(mut self, min_size_bytes: usize) -> Self {
        self.config.compression = CompressionConfig { enabled: true, min_size_bytes };
        self
    }

    /// Never compresses.
    pub fn no_compression(mut self) -> Self {
        self.config.compression.enabled = false;
        self
    }

    /// Which ready-made collectors to register.
    pub fn collectors(mut self, collectors: CollectorsConfig) -> Self {
        self.config.collectors = collectors;
        self
    }

    /// Accepts a bearer token with `scopes`, and turns authentication on.
    pub fn token(mut self, token: impl Into<String>, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.config.auth.enabled = true;
        self.config.auth.tokens.push(TokenConfig::new(token, scopes));
        self
    }

    /// Limits scrapes to `requests_per_second`, with bursts of up to `burst`.
    pub fn rate_limit(mut self, requests_per_second: f64, burst: u32) -> Self {
        self.config.rate_limit = RateLimitConfig { enabled: true, requests_per_second, burst };
        self
    }

    /// The largest request head accepted (at least 8192).
    pub fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.config.limits.max_header_bytes = bytes;
        self
    }

    /// Connections served at once.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.config.limits.max_connections = n;
        self
    }

    /// The longest a request may take to answer.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.limits.request_timeout_ms = timeout.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// The longest a client may take to send a request head, and to keep a connection idle.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.limits.header_read_timeout_ms = timeout.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// How long shutdown waits for in-flight requests.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.config.limits.shutdown_timeout_ms = timeout.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// The configuration, if valid.
    pub fn build(self) -> Result<Config, ConfigError> {
        self.config.validate()?;
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_schema_of_the_design_reads_back() {
        let yaml = r#"
other_app_setting: 3
prometheus_metrics:
  enabled: true
  endpoint: { path: "/metrics", port: 9090 }
  cache: { enabled: true, ttl_ms: 1000 }
  cardinality: { max_per_metric: 1000, total_limit: 10000 }
  compression: { enabled: true, min_size_bytes: 1024 }
  collectors: { llm: true, agent: true, process: true, runtime: true }
"#;
        assert_eq!(Config::from_yaml_str(yaml).unwrap(), Config::default());
        assert_eq!(Config::from_yaml_str("").unwrap(), Config::default());
    }

    #[test]
    fn every_section_is_read() {
        let yaml = r#"
prometheus_metrics:
  enabled: false
  endpoint: { path: "/m", host: "0.0.0.0", port: 9100 }
  cache: { enabled: false, ttl_ms: 0 }
  cardinality: { max_per_metric: 5, total_limit: 50 }
  compression: { enabled: false, min_size_bytes: 1 }
  collectors: { llm: false, agent: true, process: false, runtime: true }
  auth: { enabled: true, tokens: [{ token: "abc", scopes: ["metrics:read"] }] }
  rate_limit: { enabled: true, requests_per_second: 2.5, burst: 3 }
  limits: { max_header_bytes: 9000, max_connections: 4, request_timeout_ms: 5, header_read_timeout_ms: 6, shutdown_timeout_ms: 7 }
"#;
        let c = Config::from_yaml_str(yaml).unwrap();
        assert!(!c.enabled);
        assert_eq!(c.listen_addr(), "0.0.0.0:9100".parse().unwrap());
        assert_eq!(c.endpoint.path, "/m");
        assert_eq!(c.cache_ttl(), None);
        assert_eq!((c.cardinality.max_per_metric, c.cardinality.total_limit), (5, 50));
        assert_eq!((c.compression.enabled, c.compression.min_size_bytes), (false, 1));
        assert_eq!(c.collectors, CollectorsConfig { llm: false, agent: true, process: false, runtime: true });
        assert_eq!(c.auth.tokens, vec![TokenConfig::new("abc", ["metrics:read"])]);
        assert_eq!(c.rate_limit, RateLimitConfig { enabled: true, requests_per_second: 2.5, burst: 3 });
        assert_eq!(c.limits.max_header_bytes, 9000);
        assert_eq!(c.limits.max_connections, 4);
        assert_eq!(
            (c.limits.request_timeout_ms, c.limits.header_read_timeout_ms, c.limits.shutdown_timeout_ms),
            (5, 6, 7)
        );
    }

    #[test]
    fn errors_name_the_key_and_the_reason() {
        let cases = [
            ("prometheus_metrics:\n  cache: { ttl_ms: soon }\n", "prometheus_metrics.cache.ttl_ms", "invalid type"),
            (
                "prometheus_metrics:\n  cache: { tll_ms: 5 }\n",
                "prometheus_metrics.cache.tll_ms",
                "unknown field `tll_ms`",
            ),
            ("prometheus_metrics:\n  endpoint: { port: 70000 }\n", "prometheus_metrics.endpoint.port", "70000"),
            ("prometheus_metrics:\n  endpoint: { host: localhost }\n", "prometheus_metrics.endpoint.host", "IP"),
            ("prometheus_metrics:\n  endpoint: { path: metrics }\n", "prometheus_metrics.endpoint.path", "absolute"),
            ("prometheus_metrics:\n  endpoint: { path: /ready }\n", "prometheus_metrics.endpoint.path", "probe"),
            ("prometheus_metrics:\n  cache: { ttl_ms: 0 }\n", "prometheus_metrics.cache.ttl_ms", "at least 1"),
            ("prometheus_metrics:\n  auth: { enabled: true }\n", "prometheus_metrics.auth.tokens", "no token"),
            (
                "prometheus_metrics:\n  auth: { tokens: [{ token: a, scopes: [read] }] }\n",
                "prometheus_metrics.auth.tokens[0].scopes",
                "resource:action",
            ),
            (
                "prometheus_metrics:\n  auth: { tokens: [{ token: a, scopes: [metrics:read] }, { token: a, scopes: [metrics:read] }] }\n",
                "prometheus_metrics.auth.tokens[1].token",
                "duplicates",
            ),
            (
                "prometheus_metrics:\n  cardinality: { max_per_metric: 20, total_limit: 10 }\n",
                "prometheus_metrics.cardinality.max_per_metric",
                "above",
            ),
            (
                "prometheus_metrics:\n  rate_limit: { enabled: true, requests_per_second: 0 }\n",
                "prometheus_metrics.rate_limit.requests_per_second",
                "positive",
            ),
            (
                "prometheus_metrics:\n  limits: { max_header_bytes: 100 }\n",
                "prometheus_metrics.limits.max_header_bytes",
                "8192",
            ),
            ("prometheus_metrics: 3\n", "prometheus_metrics", "mapping"),
        ];
        for (yaml, key, reason) in cases {
            let err = Config::from_yaml_str(yaml).unwrap_err();
            assert_eq!(err.key(), Some(key), "{yaml}: {err}");
            assert!(err.to_string().contains(reason), "{yaml}: {err}");
            assert!(err.to_string().contains(key), "{yaml}: {err}");
        }
        let err = Config::from_yaml_str("prometheus_metrics: [\n").unwrap_err();
        assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
        assert!(err.to_string().contains("line"), "{err}");
    }

    #[test]
    fn environment_variables_override_the_file() {
        let yaml = "prometheus_metrics:\n  cache: { ttl_ms: 100 }\n  endpoint: { port: 1 }\n";
        let vars = env(&[
            ("PROMETHEUS_METRICS_CACHE_TTL_MS", "250"),
            ("PROMETHEUS_METRICS_ENABLED", "false"),
            ("PROMETHEUS_METRICS_ENDPOINT_PATH", "/scrape"),
            ("PROMETHEUS_METRICS_RATE_LIMIT_ENABLED", "true"),
            ("PROMETHEUS_METRICS_RATE_LIMIT_BURST", "7"),
            ("PROMETHEUS_METRICS_AUTH_TOKENS", r#"[{token: "t0k", scopes: ["metrics:read"]}]"#),
            ("PROMETHEUS_METRICS_AUTH_ENABLED", "true"),
            ("UNRELATED", "x"),
        ]);
        let c = Config::from_sources(Some(("file.yaml", yaml)), vars).unwrap();
        assert_eq!(c.cache.ttl_ms, 250);
        assert_eq!(c.endpoint.port, 1);
        assert!(!c.enabled);
        assert_eq!(c.endpoint.path, "/scrape");
        assert!(c.rate_limit.enabled);
        assert_eq!(c.rate_limit.burst, 7);
        assert_eq!(c.auth.tokens, vec![TokenConfig::new("t0k", ["metrics:read"])]);
    }

    #[test]
    fn a_bad_variable_is_named() {
        let err = Config::from_sources(None, env(&[("PROMETHEUS_METRICS_CACHE_TTL_MS", "soon")])).unwrap_err();
        assert_eq!(err.key(), Some("prometheus_metrics.cache.ttl_ms"));
        assert!(err.to_string().contains("PROMETHEUS_METRICS_CACHE_TTL_MS"), "{err}");
        let err = Config::from_sources(None, env(&[("PROMETHEUS_METRICS_CACHE_TLL", "1")])).unwrap_err();
        assert!(err.to_string().contains("PROMETHEUS_METRICS_CACHE_TLL"), "{err}");
        let err = Config::from_sources(None, env(&[("PROMETHEUS_METRICS_NOPE_X", "1")])).unwrap_err();
        assert!(err.to_string().contains("not a setting"), "{err}");
    }

    #[test]
    fn tokens_are_not_shown_by_debug() {
        let c = Config::builder().token("very-secret-token", ["metrics:read"]).build().unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn builder_validates() {
        assert!(Config::builder().path("nope").build().is_err());
        assert!(Config::builder().max_connections(0).build().is_err());
        let c =
            Config::builder().cache_ttl(Duration::from_millis(5)).compression(0).rate_limit(1.0, 1).build().unwrap();
        assert_eq!(c.cache_ttl(), Some(Duration::from_millis(5)));
        assert_eq!(c.compression.min_size_bytes, 0);
    }

    #[test]
    fn files_are_read_and_missing_files_reported() {
        let dir = std::env::temp_dir().join(format!("metrics-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("c.yaml");
        std::fs::write(&file, "prometheus_metrics:\n  compression: { min_size_bytes: 7 }\n").unwrap();
        assert_eq!(Config::from_file(&file).unwrap().compression.min_size_bytes, 7);
        std::fs::write(&file, "prometheus_metrics:\n  compression: { min_size_bytes: -7 }\n").unwrap();
        let err = Config::from_file(&file).unwrap_err();
        assert!(err.to_string().starts_with(&file.display().to_string()), "{err}");
        assert_eq!(err.key(), Some("prometheus_metrics.compression.min_size_bytes"));
        let missing = dir.join("missing.yaml");
        assert!(matches!(Config::from_file(&missing), Err(ConfigError::Read { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
