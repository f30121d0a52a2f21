//! Loading: the `prometheus_metrics` section of a YAML document or file, with the `PROMETHEUS_METRICS_*`
//! environment variables over it.

use std::path::Path;

use serde_norway::{Mapping, Value};

use super::{Config, ConfigError, ROOT_KEY};

/// The prefix of the environment variables read by [`Config::from_env`] and [`Config::load`].
pub const ENV_PREFIX: &str = "PROMETHEUS_METRICS_";

/// The sections of the schema, as environment variables name them (`PROMETHEUS_METRICS_<SECTION>_<KEY>`).
const SECTIONS: [&str; 9] =
    ["endpoint", "cache", "cardinality", "compression", "exposition", "collectors", "auth", "rate_limit", "limits"];

/// The sections within sections, as `(section, subsection)`: `PROMETHEUS_METRICS_ENDPOINT_TLS_CERT_FILE`
/// is `endpoint.tls.cert_file`.
const SUBSECTIONS: [(&str, &str); 1] = [("endpoint", "tls")];

impl Config {
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

/// The schema path an environment variable names (without the prefix): `CACHE_TTL_MS` -> `cache.ttl_ms`,
/// `ENDPOINT_TLS_KEY_FILE` -> `endpoint.tls.key_file`.
fn env_key(rest: &str) -> Option<Vec<String>> {
    let lower = rest.to_ascii_lowercase();
    if lower == "enabled" {
        return Some(vec![lower]);
    }
    SECTIONS.iter().find_map(|section| {
        let key = lower.strip_prefix(section)?.strip_prefix('_')?;
        if key.is_empty() {
            return None;
        }
        let sub = SUBSECTIONS.iter().filter(|(s, _)| s == section).find_map(|(_, sub)| {
            let rest = key.strip_prefix(sub)?;
            match rest.strip_prefix('_') {
                Some(inner) if !inner.is_empty() => {
                    Some(vec![(*section).to_owned(), (*sub).to_owned(), inner.to_owned()])
                }
                _ if rest.is_empty() => Some(vec![(*section).to_owned(), (*sub).to_owned()]),
                _ => None,
            }
        });
        Some(sub.unwrap_or_else(|| vec![(*section).to_owned(), key.to_owned()]))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TokenConfig;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn openmetrics_created_is_off_unless_set() {
        assert!(!Config::default().exposition.openmetrics_created);
        let yaml = "prometheus_metrics:\n  exposition: { openmetrics_created: true }\n";
        let c = Config::from_sources(Some(("file.yaml", yaml)), env(&[])).unwrap();
        assert!(c.exposition.openmetrics_created);
        let vars = env(&[("PROMETHEUS_METRICS_EXPOSITION_OPENMETRICS_CREATED", "false")]);
        assert!(!Config::from_sources(Some(("file.yaml", yaml)), vars).unwrap().exposition.openmetrics_created);
        let vars = env(&[("PROMETHEUS_METRICS_EXPOSITION_OPENMETRICS_CREATED", "sometimes")]);
        let err = Config::from_sources(None, vars).unwrap_err();
        assert!(err.to_string().contains("PROMETHEUS_METRICS_EXPOSITION_OPENMETRICS_CREATED"), "{err}");
        let err = Config::from_yaml_str("prometheus_metrics:\n  exposition: { created: true }\n").unwrap_err();
        assert!(err.to_string().contains("created"), "{err}");
        // The registry the configuration builds follows it.
        let mut buf = Vec::new();
        let registry = c.registry();
        let family = std::sync::Arc::new(crate::OpenFamily::<crate::Counter>::new(
            crate::Descriptor::new("jobs", crate::MetricType::Counter, "Jobs.").unwrap(),
            (),
            crate::OpenOptions::new(),
        ));
        registry.register(family.clone()).unwrap();
        family.get(&[]).inc();
        registry.encode(crate::Format::OpenMetrics, &mut buf).unwrap();
        assert!(String::from_utf8(buf).unwrap().contains("\njobs_created "));
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
    fn the_tls_subsection_and_the_socket_are_read_from_the_environment() {
        let vars = env(&[
            ("PROMETHEUS_METRICS_ENDPOINT_TLS_CERT_FILE", "/etc/tls/tls.crt"),
            ("PROMETHEUS_METRICS_ENDPOINT_TLS_KEY_FILE", "/etc/tls/tls.key"),
            ("PROMETHEUS_METRICS_ENDPOINT_TLS_CLIENT_CA_FILE", "/etc/tls/ca.crt"),
            ("PROMETHEUS_METRICS_ENDPOINT_TLS_RELOAD_INTERVAL_MS", "500"),
        ]);
        let c = Config::from_sources(None, vars).unwrap();
        let tls = c.endpoint.tls.expect("endpoint.tls set from the environment");
        assert_eq!(tls.cert_file.as_deref(), Some(Path::new("/etc/tls/tls.crt")));
        assert_eq!(tls.key_file.as_deref(), Some(Path::new("/etc/tls/tls.key")));
        assert_eq!(tls.client_ca_file.as_deref(), Some(Path::new("/etc/tls/ca.crt")));
        assert_eq!(tls.reload_interval_ms, 500);
        assert!(!tls.self_signed);

        // The whole subsection in one variable, and a variable over the file's subsection.
        let c = Config::from_sources(None, env(&[("PROMETHEUS_METRICS_ENDPOINT_TLS", "{self_signed: true}")])).unwrap();
        assert_eq!(c.endpoint.tls, Some(crate::config::TlsConfig::self_signed()));
        let yaml = "prometheus_metrics:\n  endpoint: { tls: { cert_file: a.pem, key_file: b.pem } }\n";
        let vars = env(&[("PROMETHEUS_METRICS_ENDPOINT_TLS_KEY_FILE", "c.pem")]);
        let tls = Config::from_sources(Some(("f.yaml", yaml)), vars).unwrap().endpoint.tls.unwrap();
        assert_eq!((tls.cert_file.unwrap(), tls.key_file.unwrap()), ("a.pem".into(), "c.pem".into()));

        let vars = env(&[
            ("PROMETHEUS_METRICS_ENDPOINT_UNIX_SOCKET", "/run/app/metrics.sock"),
            ("PROMETHEUS_METRICS_ENDPOINT_UNIX_SOCKET_MODE", "0600"),
        ]);
        let c = Config::from_sources(None, vars).unwrap();
        assert_eq!(c.endpoint.unix_socket.as_deref(), Some(Path::new("/run/app/metrics.sock")));
        assert_eq!(c.endpoint.unix_socket_mode, 0o600);

        let err = Config::from_sources(None, env(&[("PROMETHEUS_METRICS_ENDPOINT_TLS_CERT", "x")])).unwrap_err();
        assert_eq!(err.key(), Some("prometheus_metrics.endpoint.tls.cert"));
        assert!(err.to_string().contains("PROMETHEUS_METRICS_ENDPOINT_TLS_CERT"), "{err}");
        let err =
            Config::from_sources(None, env(&[("PROMETHEUS_METRICS_ENDPOINT_UNIX_SOCKET_MODE", "660")])).unwrap_err();
        assert_eq!(err.key(), Some("prometheus_metrics.endpoint.unix_socket_mode"));
        assert!(err.to_string().contains("ambiguous"), "{err}");
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
