//! A metrics sidecar: collects the Prometheus expositions of one or more applications over Unix sockets
//! and serves their union on one endpoint, each source's series labelled with its name (`app="llm"`).
//!
//! The union is served by promstruct's own endpoint, configured by the same `prometheus_metrics` section
//! as an embedded one: content negotiation (OpenMetrics or text 0.0.4), gzip, the scrape cache (a scrape it
//! answers collects nothing), bearer tokens, the rate limit and TLS. Each scrape the cache does not answer
//! collects from every source at once, over HTTP/1.1 on its socket, asking for OpenMetrics.
//!
//! What a source sends is read by the strict parser of `promstruct-testing`: an exposition that breaks a
//! rule of its format is not re-exposed at all (the source counts as down, the log quotes its first
//! errors). Families are merged as `merge.rs` describes: the same family from two sources is one family of
//! the union; a family that clashes with another (another type or unit under the same name, a sample name
//! another family exposes, the source label already on its series, a type the encoders do not write) is
//! refused with a warning naming it and the reason, and the other families are served.
//!
//! Beside the union, one series per source in each of:
//!
//! | Family | Meaning |
//! |---|---|
//! | `promstruct_sidecar_source_up` | 1 if the last collection from the source succeeded, else 0 (down, timed out, not 200, invalid) |
//! | `promstruct_sidecar_source_collect_duration_seconds` | how long it took |
//! | `promstruct_sidecar_source_series` | the series of the source re-exposed |
//! | `promstruct_sidecar_source_refused_families` | the source's families refused |
//!
//! A source that is down takes only its own series out of the scrape, and sets its `up` series to 0. The
//! endpoint's own `promstruct_http_*` counters are the sidecar's: a source's families of those names and
//! types are left out (a promstruct application's count the sidecar's collections), of another type
//! refused. The registry's self-metrics (`promstruct_series`, ...) are off in the sidecar, so that each
//! source's own pass through under its label.
//!
//! Configuration (`config.rs`): the `sidecar` section and the `prometheus_metrics` section of one YAML file.
//! The program is `promstruct-sidecar --config FILE`; [`bind`] is the same in code.

mod collector;
pub mod config;
mod encode;
mod fetch;
mod merge;

use std::io;

use promstruct::config::Config;
use promstruct::http::{Handler, Server};
use promstruct::{Format, MetricType, Registry};
use promstruct_testing::FamilyType;

pub use collector::Sources;
pub use config::{SidecarConfig, SidecarConfigError, SourceConfig};

/// Binds the sidecar's endpoint as `config` says, serving the union of `sidecar`'s sources: a registry
/// holding a [`Sources`] collector, served by a [`Handler`] and a [`Server`]. Call it from within the tokio
/// runtime that is to run the collections (a multi-threaded one).
pub async fn bind(sidecar: SidecarConfig, config: &Config) -> io::Result<Server> {
    config.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    sidecar.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let registry = Registry::builder()
        .self_metrics(false)
        .total_series_limit(config.cardinality.total_limit)
        .max_series_per_family(config.cardinality.max_per_metric)
        .build();
    let handler = Handler::new(registry.clone(), config);
    let reserved = families_of(&registry);
    let sources = Sources::new(sidecar, reserved, tokio::runtime::Handle::current())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    registry.register(sources).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    Server::with_handler(handler, config).await
}

/// The families `registry` exposes now, as `(name, type)`: read back from its exposition, so that whatever
/// the endpoint registered is reserved.
fn families_of(registry: &Registry) -> Vec<(String, MetricType)> {
    let mut buf = Vec::new();
    if registry.encode(Format::OpenMetrics, &mut buf).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&buf);
    let Ok(exposition) = promstruct_testing::parse(&text, Format::OpenMetrics) else { return Vec::new() };
    exposition
        .families()
        .iter()
        .filter_map(|f| {
            let kind = match f.kind {
                FamilyType::Counter => MetricType::Counter,
                FamilyType::Gauge => MetricType::Gauge,
                FamilyType::Histogram => MetricType::Histogram,
                FamilyType::Info => MetricType::Info,
                _ => return None,
            };
            Some((f.name.clone(), kind))
        })
        .collect()
}
