//! The `sidecar` section: the sources to collect from and the label that tells them apart.
//!
//! ```yaml
//! sidecar:
//!   label: app                # the label each source's series get (default `app`)
//!   timeout_ms: 5000          # the longest a source may take to answer (default 5000)
//!   max_body_bytes: 16777216  # the largest exposition read from a source (default 16 MiB)
//!   sources:
//!     - { name: llm, socket: /run/metrics/llm.sock }            # path: /metrics by default
//!     - { name: agents, socket: /run/metrics/agents.sock, path: /metrics }
//! prometheus_metrics:         # how the union is served: promstruct's endpoint schema
//!   endpoint: { host: 0.0.0.0, port: 9090 }
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use promstruct::MetricType;
use serde::Deserialize;

/// The key of the section in a YAML document.
pub const SECTION: &str = "sidecar";

/// Where to collect from, and how.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct SidecarConfig {
    /// The label added to every series of a source, its value the source's name (default `app`).
    pub label: String,
    /// The longest a source may take to answer, in milliseconds (default 5000).
    pub timeout_ms: u64,
    /// The largest exposition read from a source, in bytes (default 16 MiB).
    pub max_body_bytes: usize,
    /// The applications collected from, in order: where two expose the same family, the first one's help
    /// text is kept, and where their families clash, the first one's is served.
    pub sources: Vec<SourceConfig>,
}

/// One application: `sidecar.sources[i]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SourceConfig {
    /// Its name: the value of the label on its series, and of its own `promstruct_sidecar_source_*`
    /// series.
    pub name: String,
    /// The Unix socket it serves its metrics on.
    pub socket: PathBuf,
    /// The path of its metrics (default `/metrics`).
    #[serde(default = "default_path")]
    pub path: String,
}

fn default_path() -> String {
    "/metrics".to_owned()
}

impl SourceConfig {
    /// A source named `name` on `socket`, at `/metrics`.
    pub fn new(name: impl Into<String>, socket: impl Into<PathBuf>) -> Self {
        SourceConfig { name: name.into(), socket: socket.into(), path: default_path() }
    }
}

impl Default for SidecarConfig {
    fn default() -> Self {
        SidecarConfig { label: "app".to_owned(), timeout_ms: 5000, max_body_bytes: 16 << 20, sources: Vec::new() }
    }
}

/// A `sidecar` section that cannot be used: the key at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidecarConfigError {
    /// The key, from the document's root (`sidecar.sources[1].name`).
    pub key: String,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for SidecarConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`: {}", self.key, self.reason)
    }
}

impl std::error::Error for SidecarConfigError {}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> SidecarConfigError {
    SidecarConfigError { key: key.into(), reason: reason.into() }
}

impl SidecarConfig {
    /// Reads the `sidecar` section of a YAML document (the defaults, with no source, if it has none); other
    /// top-level keys are left to others (`prometheus_metrics`).
    pub fn from_yaml_str(yaml: &str) -> Result<SidecarConfig, SidecarConfigError> {
        let doc: serde_norway::Value =
            serde_norway::from_str(yaml).map_err(|e| invalid("(document)", e.to_string()))?;
        let section = match doc {
            serde_norway::Value::Null => None,
            serde_norway::Value::Mapping(mut root) => root.remove(SECTION),
            _ => return Err(invalid("(document)", format!("must be a mapping with a `{SECTION}` key"))),
        };
        match section {
            None | Some(serde_norway::Value::Null) => Ok(SidecarConfig::default()),
            Some(section) => SidecarConfig::deserialize(section).map_err(|e| invalid(SECTION, e.to_string())),
        }
    }

    /// The longest a source may take to answer.
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    /// Checks what the types cannot: a source at least, unique names, a label every family may take.
    pub fn validate(&self) -> Result<(), SidecarConfigError> {
        let key = |k: &str| format!("{SECTION}.{k}");
        // A histogram's label rules are the strictest (`le` is taken); `quantile` is a summary's.
        if let Err(e) = promstruct_naming::check_label_name(&self.label, MetricType::Histogram) {
            return Err(invalid(key("label"), e.to_string()));
        }
        if self.label == "quantile" {
            return Err(invalid(key("label"), "`quantile` is taken by summaries"));
        }
        if self.timeout_ms == 0 {
            return Err(invalid(key("timeout_ms"), "must be at least 1"));
        }
        if self.max_body_bytes == 0 {
            return Err(invalid(key("max_body_bytes"), "must be at least 1"));
        }
        if self.sources.is_empty() {
            return Err(invalid(
                key("sources"),
                "names no source: add `- { name: app, socket: /run/app/metrics.sock }`",
            ));
        }
        for (i, source) in self.sources.iter().enumerate() {
            let at = |k: &str| key(&format!("sources[{i}].{k}"));
            if source.name.is_empty() || source.name.chars().any(char::is_control) {
                return Err(invalid(at("name"), "must be non-empty, without control characters"));
            }
            if self.sources[..i].iter().any(|s| s.name == source.name) {
                return Err(invalid(at("name"), format!("`{}` names another source too", source.name)));
            }
            if source.socket.as_os_str().is_empty() {
                return Err(invalid(at("socket"), "is empty: name the source's Unix socket"));
            }
            if !source.path.starts_with('/') {
                return Err(invalid(at("path"), format!("`{}` is not an absolute URL path", source.path)));
            }
        }
        Ok(())
    }
}

/// Parses a `--source NAME=SOCKET[:PATH]` flag.
pub fn parse_source_flag(flag: &str) -> Result<SourceConfig, String> {
    let (name, rest) = flag.split_once('=').ok_or_else(|| format!("--source {flag}: expected NAME=SOCKET"))?;
    let (socket, path) = match rest.split_once(":/") {
        Some((socket, path)) => (socket, format!("/{path}")),
        None => (rest, default_path()),
    };
    Ok(SourceConfig { name: name.to_owned(), socket: Path::new(socket).to_owned(), path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_reads_back_with_defaults() {
        let yaml = "sidecar:\n  sources:\n    - { name: llm, socket: /run/m/llm.sock }\n    - { name: b, socket: /b.sock, path: /m }\nprometheus_metrics: {}\n";
        let c = SidecarConfig::from_yaml_str(yaml).unwrap();
        assert_eq!((c.label.as_str(), c.timeout_ms, c.max_body_bytes), ("app", 5000, 16 << 20));
        assert_eq!(
            c.sources,
            [
                SourceConfig::new("llm", "/run/m/llm.sock"),
                SourceConfig { path: "/m".into(), ..SourceConfig::new("b", "/b.sock") }
            ]
        );
        c.validate().unwrap();
    }

    #[test]
    fn mistakes_name_their_key() {
        let cases = [
            ("sidecar: { sources: [] }", "sidecar.sources", "no source"),
            ("sidecar: { label: le, sources: [{ name: a, socket: /a }] }", "sidecar.label", "le"),
            ("sidecar: { label: quantile, sources: [{ name: a, socket: /a }] }", "sidecar.label", "quantile"),
            ("sidecar: { label: \"my app\", sources: [{ name: a, socket: /a }] }", "sidecar.label", ""),
            (
                "sidecar: { sources: [{ name: a, socket: /a }, { name: a, socket: /b }] }",
                "sidecar.sources[1].name",
                "another",
            ),
            ("sidecar: { sources: [{ name: \"\", socket: /a }] }", "sidecar.sources[0].name", "non-empty"),
            ("sidecar: { sources: [{ name: a, socket: /a, path: m }] }", "sidecar.sources[0].path", "absolute"),
            ("sidecar: { timeout_ms: 0, sources: [{ name: a, socket: /a }] }", "sidecar.timeout_ms", "at least 1"),
        ];
        for (yaml, key, reason) in cases {
            let err = SidecarConfig::from_yaml_str(yaml).and_then(|c| c.validate()).unwrap_err();
            assert_eq!(err.key, key, "{yaml}: {err}");
            assert!(err.reason.contains(reason), "{yaml}: {err}");
        }
        let err = SidecarConfig::from_yaml_str("sidecar: { sources: [{ name: a, sock: /a }] }").unwrap_err();
        assert!(err.reason.contains("unknown field `sock`"), "{err}");
    }

    #[test]
    fn source_flags_are_parsed() {
        assert_eq!(parse_source_flag("llm=/run/llm.sock").unwrap(), SourceConfig::new("llm", "/run/llm.sock"));
        let s = parse_source_flag("b=/run/b.sock:/custom/metrics").unwrap();
        assert_eq!((s.socket.to_str().unwrap(), s.path.as_str()), ("/run/b.sock", "/custom/metrics"));
        assert!(parse_source_flag("nope").is_err());
    }
}
