//! Validation: the rules of the schema that its types cannot express.

use super::{Config, ConfigError, ROOT_KEY, SCOPE_METRICS_READ};

impl Config {
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
        self.validate_listener()?;
        if self.cache.enabled && self.cache.ttl_ms == 0 {
            return Err(ConfigError::invalid(
                key("cache.ttl_ms"),
                "must be at least 1 while the cache is enabled (set cache.enabled: false to turn it off)",
            ));
        }
        promstruct_naming::check_series_limit("cardinality.total_limit", self.cardinality.total_limit)
            .map_err(|e| ConfigError::invalid(key("cardinality.total_limit"), e.to_string()))?;
        promstruct_naming::check_series_limit("cardinality.max_per_metric", self.cardinality.max_per_metric)
            .map_err(|e| ConfigError::invalid(key("cardinality.max_per_metric"), e.to_string()))?;
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
}

/// The longest path a Unix socket address holds on Linux (`sun_path` is 108 bytes with its terminator).
const MAX_SOCKET_PATH: usize = 107;

impl Config {
    /// `endpoint.tls`, `endpoint.unix_socket` and `endpoint.unix_socket_mode`.
    fn validate_listener(&self) -> Result<(), ConfigError> {
        let key = |k: &str| format!("{ROOT_KEY}.endpoint.{k}");
        let endpoint = &self.endpoint;
        if let Some(socket) = &endpoint.unix_socket {
            let len = socket.as_os_str().len();
            if len == 0 {
                return Err(ConfigError::invalid(
                    key("unix_socket"),
                    "is empty: name the socket file, or leave it out",
                ));
            }
            if len > MAX_SOCKET_PATH {
                return Err(ConfigError::invalid(
                    key("unix_socket"),
                    format!(
                        "`{}` is {len} bytes long; a socket path holds at most {MAX_SOCKET_PATH}",
                        socket.display()
                    ),
                ));
            }
            if endpoint.tls.is_some() {
                return Err(ConfigError::invalid(
                    key("tls"),
                    "TLS is served on TCP only: a Unix socket is guarded by its file permissions (unix_socket_mode); \
                     remove one of endpoint.tls and endpoint.unix_socket",
                ));
            }
        }
        if endpoint.unix_socket_mode > 0o777 {
            return Err(ConfigError::invalid(
                key("unix_socket_mode"),
                format!("{:o} sets bits above 0777, which a socket file does not take", endpoint.unix_socket_mode),
            ));
        }
        let Some(tls) = &endpoint.tls else { return Ok(()) };
        for (name, file) in [
            ("tls.cert_file", &tls.cert_file),
            ("tls.key_file", &tls.key_file),
            ("tls.client_ca_file", &tls.client_ca_file),
        ] {
            if file.as_ref().is_some_and(|f| f.as_os_str().is_empty()) {
                return Err(ConfigError::invalid(key(name), "is empty: name a PEM file, or leave the key out"));
            }
        }
        match (tls.self_signed, &tls.cert_file, &tls.key_file) {
            (true, Some(_), _) | (true, _, Some(_)) => Err(ConfigError::invalid(
                key("tls.self_signed"),
                "cannot be combined with cert_file or key_file: either generate a certificate or read one",
            )),
            (false, None, None) => {
                Err(ConfigError::invalid(key("tls"), "needs cert_file and key_file, or self_signed: true"))
            }
            (false, None, Some(_)) => Err(ConfigError::invalid(
                key("tls.cert_file"),
                "is required with key_file (the certificate chain in PEM)",
            )),
            (false, Some(_), None) => {
                Err(ConfigError::invalid(key("tls.key_file"), "is required with cert_file (the private key in PEM)"))
            }
            _ => Ok(()),
        }
    }
}

fn valid_scope(scope: &str) -> bool {
    let part = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
    };
    matches!(scope.split_once(':'), Some((resource, action)) if part(resource) && part(action))
}

#[cfg(all(test, feature = "config"))]
mod tests {
    use super::*;

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
            ("prometheus_metrics:\n  endpoint: { tls: {} }\n", "prometheus_metrics.endpoint.tls", "self_signed: true"),
            (
                "prometheus_metrics:\n  endpoint: { tls: { cert_file: a.pem } }\n",
                "prometheus_metrics.endpoint.tls.key_file",
                "required",
            ),
            (
                "prometheus_metrics:\n  endpoint: { tls: { key_file: a.pem } }\n",
                "prometheus_metrics.endpoint.tls.cert_file",
                "required",
            ),
            (
                "prometheus_metrics:\n  endpoint: { tls: { self_signed: true, cert_file: a.pem } }\n",
                "prometheus_metrics.endpoint.tls.self_signed",
                "cannot be combined",
            ),
            (
                "prometheus_metrics:\n  endpoint: { tls: { self_signed: true, client_ca_file: \"\" } }\n",
                "prometheus_metrics.endpoint.tls.client_ca_file",
                "empty",
            ),
            (
                "prometheus_metrics:\n  endpoint: { tls: { cert: a.pem } }\n",
                "prometheus_metrics.endpoint.tls.cert",
                "unknown field `cert`",
            ),
            (
                "prometheus_metrics:\n  endpoint: { tls: { self_signed: true }, unix_socket: /run/m.sock }\n",
                "prometheus_metrics.endpoint.tls",
                "TCP only",
            ),
            (
                "prometheus_metrics:\n  endpoint: { unix_socket: \"\" }\n",
                "prometheus_metrics.endpoint.unix_socket",
                "empty",
            ),
            (
                "prometheus_metrics:\n  endpoint: { unix_socket_mode: 660 }\n",
                "prometheus_metrics.endpoint.unix_socket_mode",
                "ambiguous",
            ),
            (
                "prometheus_metrics:\n  endpoint: { unix_socket_mode: \"0o1777\" }\n",
                "prometheus_metrics.endpoint.unix_socket_mode",
                "above 0777",
            ),
            (
                "prometheus_metrics:\n  endpoint: { unix_socket_mode: rw }\n",
                "prometheus_metrics.endpoint.unix_socket_mode",
                "octal",
            ),
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
}
