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
