//! Configuration of the endpoint: the `prometheus_metrics` schema, read from a YAML file or environment
//! variables (feature `config`), or written with a builder.
//!
//! The schema's types, [`ConfigBuilder`] and [`Config::validate`] come with either the `config` or the
//! `http` feature: the endpoint needs no serde. The loaders (`Config::from_yaml_str`, `from_file`,
//! `from_env`, `load`) need `config`.
//!
//! ```yaml
//! prometheus_metrics:
//!   enabled: true
//!   endpoint:
//!     path: "/metrics"
//!     host: "127.0.0.1"
//!     port: 9090
//!     # tls:                              # HTTPS only when set (feature `tls`)
//!     #   cert_file: /etc/tls/tls.crt     # PEM chain, re-read when it changes
//!     #   key_file: /etc/tls/tls.key
//!     #   client_ca_file: /etc/tls/ca.crt # require client certificates signed by this CA (mTLS)
//!     #   self_signed: false              # true: generate a certificate at start
//!     #   reload_interval_ms: 10000
//!     # unix_socket: /run/app/metrics.sock  # serve on this socket instead of TCP
//!     # unix_socket_mode: "0660"
//!   cache: { enabled: true, ttl_ms: 1000 }
//!   cardinality: { max_per_metric: 1000, total_limit: 10000 }
//!   compression: { enabled: true, min_size_bytes: 1024 }
//!   exposition: { openmetrics_created: false }  # true: OpenMetrics `_created` lines (a series each)
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
//! are off by default, and TLS and the Unix socket are unset. Unknown keys are errors, so a typo does not silently keep a default. Other top-level
//! keys of the file are ignored: the section can live in an application's own configuration file.
//!
//! Environment variables override the file: `PROMETHEUS_METRICS_ENABLED`, and
//! `PROMETHEUS_METRICS_<SECTION>_<KEY>` for the others (`PROMETHEUS_METRICS_CACHE_TTL_MS=500`,
//! `PROMETHEUS_METRICS_RATE_LIMIT_BURST=5`), `PROMETHEUS_METRICS_ENDPOINT_TLS_<KEY>` for the TLS keys
//! (`PROMETHEUS_METRICS_ENDPOINT_TLS_CERT_FILE=/etc/tls/tls.crt`). Values are read as YAML scalars, so lists work too:
//! `PROMETHEUS_METRICS_AUTH_TOKENS='[{token: "…", scopes: ["metrics:read"]}]'`.
//!
//! ```
//! use promstruct::config::Config;
//!
//! let config = Config::from_yaml_str("prometheus_metrics:\n  cache: { ttl_ms: 250 }\n").unwrap();
//! assert_eq!(config.cache.ttl_ms, 250);
//!
//! let err = Config::from_yaml_str("prometheus_metrics:\n  cache: { ttl_ms: soon }\n").unwrap_err();
//! assert_eq!(err.key(), Some("prometheus_metrics.cache.ttl_ms"));
//! ```

mod builder;
mod error;
#[cfg(feature = "config")]
mod load;
#[cfg(feature = "config")]
mod mode;
mod schema;
mod validate;

#[doc(inline)]
pub use crate::collectors::{CollectorsError, EnabledCollectors};
pub use builder::ConfigBuilder;
pub use error::ConfigError;
#[cfg(feature = "config")]
pub use load::ENV_PREFIX;
pub use schema::{
    AuthConfig, CacheConfig, CardinalityConfig, CollectorsConfig, CompressionConfig, Config, EndpointConfig,
    ExpositionConfig, LimitsConfig, ROOT_KEY, RateLimitConfig, SCOPE_METRICS_READ, TlsConfig, TokenConfig,
};
