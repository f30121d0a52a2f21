//! The builder: a configuration written in code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{
    CacheConfig, CardinalityConfig, CollectorsConfig, CompressionConfig, Config, ConfigError, RateLimitConfig,
    TlsConfig, TokenConfig,
};

impl Config {
    /// A builder starting from the defaults.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder { config: Config::default() }
    }
}

/// Builds a [`Config`] in code, starting from the defaults.
///
/// ```
/// use promstruct::config::Config;
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

    /// Serves HTTPS only, with `tls` (the `tls` feature serves it; without it, binding fails).
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.endpoint.tls = Some(tls);
        self
    }

    /// Serves on the Unix socket at `path` instead of TCP.
    pub fn unix_socket(mut self, path: impl Into<PathBuf>) -> Self {
        self.config.endpoint.unix_socket = Some(path.into());
        self
    }

    /// The permissions of the Unix socket's file (`0o660` by default).
    pub fn unix_socket_mode(mut self, mode: u32) -> Self {
        self.config.endpoint.unix_socket_mode = mode;
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

    /// Whether OpenMetrics scrapes carry `_created` lines (`exposition.openmetrics_created`, default false).
    pub fn openmetrics_created(mut self, on: bool) -> Self {
        self.config.exposition.openmetrics_created = on;
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
    fn tls_and_the_socket_are_built_and_checked() {
        let c = Config::builder()
            .tls(
                TlsConfig::from_files("c.pem", "k.pem")
                    .client_ca_file("ca.pem")
                    .reload_interval(Duration::from_millis(50)),
            )
            .build()
            .unwrap();
        let tls = c.endpoint.tls.unwrap();
        assert_eq!(tls.client_ca_file, Some("ca.pem".into()));
        assert_eq!(tls.reload_interval_ms, 50);
        let c = Config::builder().unix_socket("/run/app/metrics.sock").unix_socket_mode(0o600).build().unwrap();
        assert_eq!(
            (c.endpoint.unix_socket.unwrap(), c.endpoint.unix_socket_mode),
            ("/run/app/metrics.sock".into(), 0o600)
        );
        let err = Config::builder().unix_socket("/run/m.sock").tls(TlsConfig::self_signed()).build().unwrap_err();
        assert_eq!(err.key(), Some("prometheus_metrics.endpoint.tls"));
        let err = Config::builder().unix_socket_mode(0o4755).build().unwrap_err();
        assert_eq!(err.key(), Some("prometheus_metrics.endpoint.unix_socket_mode"));
        let err = Config::builder().unix_socket(format!("/tmp/{}", "s".repeat(120))).build().unwrap_err();
        assert!(err.to_string().contains("at most 107"), "{err}");
        let err = Config::builder().tls(TlsConfig::default()).build().unwrap_err();
        assert!(err.to_string().contains("needs cert_file and key_file"), "{err}");
    }
}
