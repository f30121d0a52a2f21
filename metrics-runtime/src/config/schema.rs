//! The types of the `prometheus_metrics` schema, their defaults, and the values derived from them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

#[cfg(feature = "config")]
use serde::Deserialize;

use crate::Registry;

/// The key under which the schema lives in a YAML document.
pub const ROOT_KEY: &str = "prometheus_metrics";

/// The scope a bearer token needs to read the scrape path.
pub const SCOPE_METRICS_READ: &str = "metrics:read";

/// The endpoint's configuration: the `prometheus_metrics` section.
///
/// Fields are public to read and to adjust after loading; [`Config::validate`] checks a hand-edited value
/// (the loaders and [`ConfigBuilder::build`](super::ConfigBuilder::build) call it), and
/// [`serve`](crate::http::serve) refuses an invalid one.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
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
    /// What scrapes carry beyond the samples.
    pub exposition: ExpositionConfig,
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
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct EndpointConfig {
    /// The scrape path (default `/metrics`); `/health` and `/ready` are fixed.
    pub path: String,
    /// The address to bind (default `127.0.0.1`; `0.0.0.0` to be scraped from other hosts).
    pub host: IpAddr,
    /// The port (default 9090; 0 picks a free one).
    pub port: u16,
    /// HTTPS: when set, the endpoint serves TLS only (default none: plain HTTP).
    pub tls: Option<TlsConfig>,
    /// A Unix domain socket to serve on instead of TCP (`/run/app/metrics.sock`): `host` and `port` are then
    /// not used and no TCP port is opened. A stale socket file left by a process that died is replaced; a
    /// socket another process still serves on, or a file that is not a socket, is an error. The file is
    /// removed when the server stops.
    pub unix_socket: Option<PathBuf>,
    /// The permissions of the socket file, as octal digits (default `"0660"`: the owner and the group may
    /// connect). YAML reads an unquoted `0660` as that text; a number (`660`, or `0o660`) is refused as
    /// ambiguous.
    #[cfg_attr(feature = "config", serde(deserialize_with = "super::mode::deserialize"))]
    pub unix_socket_mode: u32,
}

/// HTTPS: `endpoint.tls`. TLS 1.2 and 1.3 only, HTTP/1.1 and HTTP/2 (ALPN).
///
/// Either a certificate and its key from files (`cert_file`, `key_file`), re-read when the files change
/// (Kubernetes rotates mounted secrets) at most every `reload_interval_ms`, without dropping connections;
/// or `self_signed: true`, a certificate generated at start for `localhost`, the loopback addresses and the
/// host bound (Argo's `secure: true`; scrapers then skip verification). With `client_ca_file`, clients must
/// present a certificate signed by one of its CAs (mutual TLS).
///
/// A file that cannot be read or parsed at start is an error naming it and the reason; at a reload, the
/// certificate served so far is kept and the reason logged.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct TlsConfig {
    /// The certificate chain in PEM: the server's certificate first, then its intermediates.
    pub cert_file: Option<PathBuf>,
    /// The private key in PEM (PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    /// CA certificates in PEM: when set, a client must present a certificate one of them signed.
    pub client_ca_file: Option<PathBuf>,
    /// Generate a self-signed certificate at start instead of reading one (default false).
    pub self_signed: bool,
    /// The longest the files go unchecked for changes, in milliseconds; they are checked when a connection
    /// arrives, not on a timer (default 10000; 0 checks at every connection).
    pub reload_interval_ms: u64,
}

impl TlsConfig {
    /// A certificate chain and its key, read from PEM files.
    pub fn from_files(cert_file: impl Into<PathBuf>, key_file: impl Into<PathBuf>) -> Self {
        TlsConfig { cert_file: Some(cert_file.into()), key_file: Some(key_file.into()), ..TlsConfig::default() }
    }

    /// A certificate generated at start, signed by its own key.
    pub fn self_signed() -> Self {
        TlsConfig { self_signed: true, ..TlsConfig::default() }
    }

    /// Requires client certificates signed by a CA of `ca_file` (PEM).
    pub fn client_ca_file(mut self, ca_file: impl Into<PathBuf>) -> Self {
        self.client_ca_file = Some(ca_file.into());
        self
    }

    /// Checks the files for changes at most every `interval` (whole milliseconds).
    pub fn reload_interval(mut self, interval: Duration) -> Self {
        self.reload_interval_ms = interval.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            cert_file: None,
            key_file: None,
            client_ca_file: None,
            self_signed: false,
            reload_interval_ms: 10_000,
        }
    }
}

/// The cache of serialized scrapes: `cache`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct CacheConfig {
    /// Whether to reuse a serialized body (default true).
    pub enabled: bool,
    /// How long a serialized body is served before the registry is encoded again (default 1000).
    pub ttl_ms: u64,
}

/// Series limits: `cardinality`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct CardinalityConfig {
    /// The most series of one family with open labels (default 1000).
    pub max_per_metric: usize,
    /// The most series of the whole registry (default 10,000).
    pub total_limit: usize,
}

/// gzip compression: `compression`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct CompressionConfig {
    /// Whether to gzip responses when the request accepts it (default true).
    pub enabled: bool,
    /// Smaller bodies are sent as they are (default 1024).
    pub min_size_bytes: usize,
}

/// What scrapes carry beyond the samples: `exposition`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct ExpositionConfig {
    /// Whether OpenMetrics scrapes carry a `_created` line per counter and histogram series (default
    /// false, as in client_golang; Prometheus stores each as a series of its own). Protobuf always sends
    /// `created_timestamp`. See [`RegistryBuilder::openmetrics_created`](crate::RegistryBuilder::openmetrics_created).
    pub openmetrics_created: bool,
}

/// Ready-made collectors: `collectors`. The endpoint does not read these; an application registers the
/// collectors they switch on with [`Config::registry_with_collectors`] or [`Config::register_collectors`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct AuthConfig {
    /// Whether a token is required (default false).
    pub enabled: bool,
    /// The accepted tokens and their scopes; a scrape needs one with [`SCOPE_METRICS_READ`].
    pub tokens: Vec<TokenConfig>,
}

/// One accepted bearer token. Its `Debug` output hides the token.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct TokenConfig {
    /// The secret, as sent in `Authorization: Bearer <token>`.
    pub token: String,
    /// What it allows, as `resource:action` (`metrics:read`).
    #[cfg_attr(feature = "config", serde(default))]
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
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
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
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "config", derive(Deserialize), serde(default, deny_unknown_fields))]
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
            exposition: ExpositionConfig::default(),
            collectors: CollectorsConfig::default(),
            auth: AuthConfig::default(),
            rate_limit: RateLimitConfig::default(),
            limits: LimitsConfig::default(),
        }
    }
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            path: "/metrics".into(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 9090,
            tls: None,
            unix_socket: None,
            unix_socket_mode: 0o660,
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { enabled: true, ttl_ms: 1000 }
    }
}

impl Default for CardinalityConfig {
    fn default() -> Self {
        CardinalityConfig {
            max_per_metric: promstruct_naming::DEFAULT_MAX_SERIES,
            total_limit: promstruct_naming::DEFAULT_TOTAL_LIMIT,
        }
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

impl Config {
    /// The address to bind.
    pub fn listen_addr(&self) -> SocketAddr {
        SocketAddr::new(self.endpoint.host, self.endpoint.port)
    }

    /// How long a serialized scrape is reused, or `None` when the cache is off.
    pub fn cache_ttl(&self) -> Option<Duration> {
        self.cache.enabled.then(|| Duration::from_millis(self.cache.ttl_ms))
    }

    /// A registry whose total series limit is `cardinality.total_limit`, with OpenMetrics `_created` lines
    /// as `exposition.openmetrics_created` says and no collector registered: see
    /// [`Config::registry_with_collectors`] for one holding the collectors the configuration switches on.
    pub fn registry(&self) -> Registry {
        Registry::builder()
            .total_series_limit(self.cardinality.total_limit)
            .max_series_per_family(self.cardinality.max_per_metric)
            .openmetrics_created(self.exposition.openmetrics_created)
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "config")]
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
    #[cfg(feature = "config")]
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
    #[cfg(feature = "config")]
    fn the_endpoint_reads_tls_and_the_socket() {
        let yaml = r#"
prometheus_metrics:
  endpoint:
    tls:
      cert_file: /etc/tls/tls.crt
      key_file: /etc/tls/tls.key
      client_ca_file: /etc/tls/ca.crt
      reload_interval_ms: 250
"#;
        let c = Config::from_yaml_str(yaml).unwrap();
        let expected = TlsConfig::from_files("/etc/tls/tls.crt", "/etc/tls/tls.key")
            .client_ca_file("/etc/tls/ca.crt")
            .reload_interval(Duration::from_millis(250));
        assert_eq!(c.endpoint.tls, Some(expected));
        let c = Config::from_yaml_str("prometheus_metrics:\n  endpoint: { tls: { self_signed: true } }\n").unwrap();
        assert_eq!(c.endpoint.tls, Some(TlsConfig::self_signed()));
        assert_eq!(c.endpoint.tls.unwrap().reload_interval_ms, 10_000);

        let yaml = "prometheus_metrics:\n  endpoint: { unix_socket: /run/app/metrics.sock, unix_socket_mode: 0600 }\n";
        let c = Config::from_yaml_str(yaml).unwrap();
        assert_eq!(c.endpoint.unix_socket, Some(PathBuf::from("/run/app/metrics.sock")));
        assert_eq!(c.endpoint.unix_socket_mode, 0o600);
        for (text, mode) in [("\"0660\"", 0o660), ("\"0o640\"", 0o640), ("\"700\"", 0o700), ("0777", 0o777)] {
            let yaml = format!("prometheus_metrics:\n  endpoint: {{ unix_socket_mode: {text} }}\n");
            assert_eq!(Config::from_yaml_str(&yaml).unwrap().endpoint.unix_socket_mode, mode, "{text}");
        }
        assert_eq!(Config::default().endpoint.unix_socket_mode, 0o660);
        assert_eq!(Config::default().endpoint.tls, None);
    }

    #[test]
    fn tokens_are_not_shown_by_debug() {
        let c = Config::builder().token("very-secret-token", ["metrics:read"]).build().unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
        assert!(shown.contains("redacted"));
    }
}
