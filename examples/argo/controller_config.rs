//! The workflow-controller ConfigMap: `metricsConfig`, read as Argo reads it, either from its own key
//! (`data.metricsConfig: |` holding YAML) or inside the whole configuration (`data.config: |` holding YAML
//! with a `metricsConfig:` key). Other keys configure parts of Argo the simulator does not have; they are
//! ignored, with an info line.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

/// `metricsConfig`, with Argo's defaults filled in.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricsConfig {
    /// Serve metrics at all (default true).
    pub(crate) enabled: bool,
    /// The path (default `/metrics`).
    pub(crate) path: String,
    /// The port (default 9090).
    pub(crate) port: u16,
    /// Drop custom metrics not updated for this long (`None`, the default: never).
    pub(crate) ttl: Option<Duration>,
    /// Log and skip a bad custom metric instead of refusing to start.
    pub(crate) ignore_errors: bool,
    /// Serve HTTPS with a self-signed certificate generated at start (default false).
    pub(crate) secure: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            path: "/metrics".into(),
            port: 9090,
            ttl: None,
            ignore_errors: false,
            secure: false,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ConfigMap {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    #[serde(default)]
    data: BTreeMap<String, String>,
}

/// `metricsConfig` as written; Argo's `MetricsConfig` type.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawMetricsConfig {
    enabled: Option<bool>,
    /// Deprecated in Argo and ignored there too.
    #[serde(rename = "disableLegacy")]
    _disable_legacy: Option<bool>,
    path: Option<String>,
    port: Option<u16>,
    #[serde(rename = "metricsTTL")]
    metrics_ttl: Option<String>,
    #[serde(default)]
    ignore_errors: bool,
    #[serde(default)]
    secure: bool,
}

/// Reads the ConfigMap at `path`.
pub(crate) fn load(path: &Path) -> Result<MetricsConfig, String> {
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| at(&e))?;
    let map: ConfigMap = serde_norway::from_str(&text).map_err(|e| at(&e))?;
    if map.kind != "ConfigMap" || map.api_version != "v1" {
        return Err(at(&format!("`{}` `{}` is not a v1 ConfigMap", map.api_version, map.kind)));
    }
    let raw = match map.data.get("config") {
        Some(_) if map.data.len() != 1 => {
            return Err(at(
                &"if the ConfigMap has an item named `config`, it must be its only item (as Argo requires)",
            ));
        }
        Some(config) => {
            let mut whole: BTreeMap<String, serde_norway::Value> =
                serde_norway::from_str(config).map_err(|e| at(&format!("data.config: {e}")))?;
            let metrics = whole.remove("metricsConfig");
            for key in whole.keys() {
                tracing::info!("{}: data.config.{key} is not simulated; ignored", path.display());
            }
            match metrics {
                Some(value) => {
                    RawMetricsConfig::deserialize(value).map_err(|e| at(&format!("data.config.metricsConfig: {e}")))?
                }
                None => RawMetricsConfig::default(),
            }
        }
        None => {
            for key in map.data.keys().filter(|k| *k != "metricsConfig") {
                tracing::info!("{}: data.{key} is not simulated; ignored", path.display());
            }
            match map.data.get("metricsConfig") {
                Some(yaml) => serde_norway::from_str::<Option<RawMetricsConfig>>(yaml)
                    .map_err(|e| at(&format!("data.metricsConfig: {e}")))?
                    .unwrap_or_default(),
                None => RawMetricsConfig::default(),
            }
        }
    };
    let defaults = MetricsConfig::default();
    let path_value = raw.path.unwrap_or(defaults.path);
    if !path_value.starts_with('/') {
        return Err(at(&format!("metricsConfig.path `{path_value}` must start with a `/`")));
    }
    let ttl = match raw.metrics_ttl.as_deref() {
        None => None,
        Some(text) => {
            let ttl = parse_ttl(text).map_err(|e| at(&format!("metricsConfig.metricsTTL `{text}`: {e}")))?;
            (!ttl.is_zero()).then_some(ttl)
        }
    };
    Ok(MetricsConfig {
        enabled: raw.enabled.unwrap_or(true),
        path: path_value,
        port: raw.port.unwrap_or(defaults.port),
        ttl,
        ignore_errors: raw.ignore_errors,
        secure: raw.secure,
    })
}

/// Parses Argo's TTL: empty or `0` (never), a whole number of days (`2d`), or a Go duration
/// (`10m`, `1h30m`, `1.5s`, `500ms`).
pub(crate) fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() || text == "0" {
        return Ok(Duration::ZERO);
    }
    if let Some(days) = text.strip_suffix('d') {
        let days: u64 = days.parse().map_err(|_| "expected a whole number of days before `d`".to_owned())?;
        return Ok(Duration::from_secs(days * 86_400));
    }
    let mut rest = text;
    let mut total = 0.0;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..number_end].parse().map_err(|_| "expected a duration such as 10m or 1h30m")?;
        rest = &rest[number_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err("a number without a unit (ns, us, ms, s, m, h or d)".into()),
            other => return Err(format!("unknown unit `{other}` (ns, us, ms, s, m, h or d)")),
        };
        total += number * scale;
        rest = &rest[unit_end..];
    }
    Ok(Duration::from_secs_f64(total))
}
