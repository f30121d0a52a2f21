//! The collector the sidecar's registry holds: at each encoding (each scrape the endpoint's cache does not
//! answer), it collects from every source at once, parses each exposition strictly, merges them and writes
//! the union, then its own `promstruct_sidecar_source_*` families.
//!
//! The registry encodes on tokio's blocking pool, and `Collect::collect` is synchronous: the collection runs
//! on the server's runtime (its handle is taken at construction) from a short-lived thread of its own, so
//! that it never blocks a worker and never nests a runtime.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use promstruct::{Collect, Descriptor, Encoder, Format, MetricType};

use crate::config::{SidecarConfig, SidecarConfigError};
use crate::encode::{OwnFamilies, SourceOutcome, write_union};
use crate::fetch::{FetchError, fetch};
use crate::merge::{Collected, merge};

/// The most violations quoted when a source's exposition is invalid.
const QUOTED_VIOLATIONS: usize = 3;

/// What one collection from one source gave (its exposition in its format, or why none), and how long it
/// took.
type Fetched = (Result<(Format, String), FetchError>, Duration);

/// Collects from the configured sources and writes their union: register it in the registry the
/// sidecar's endpoint serves (see [`bind`](crate::bind), which does).
pub struct Sources {
    config: SidecarConfig,
    names: Vec<String>,
    /// The sidecar's own families (its endpoint's, and these), which no source may expose.
    reserved: Vec<(String, MetricType)>,
    own: OwnFamilies,
    runtime: tokio::runtime::Handle,
    /// By source: what was last logged about it.
    reported: Mutex<Vec<Reported>>,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("label", &self.config.label)
            .field("sources", &self.names)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Reported {
    up: Option<bool>,
    refused: HashSet<String>,
}

impl Sources {
    /// A collector of `config`'s sources, running its collections on `runtime`; `reserved` are the families
    /// the sidecar's registry exposes besides (its endpoint's own counters), as `(name, type)`.
    pub fn new(
        config: SidecarConfig,
        reserved: Vec<(String, MetricType)>,
        runtime: tokio::runtime::Handle,
    ) -> Result<Self, SidecarConfigError> {
        config.validate()?;
        let own = OwnFamilies::new(&config.label)
            .map_err(|e| SidecarConfigError { key: "sidecar.label".to_owned(), reason: e.to_string() })?;
        let mut reserved = reserved;
        reserved.extend(own.descriptors().iter().map(|d| (d.name().to_owned(), d.kind())));
        let names = config.sources.iter().map(|s| s.name.clone()).collect();
        let reported = Mutex::new(config.sources.iter().map(|_| Reported::default()).collect());
        Ok(Sources { config, names, reserved, own, runtime, reported })
    }

    /// Every source's exposition (or why there is none) and how long getting it took, in source order.
    fn fetch_all(&self) -> Vec<Fetched> {
        let (max, timeout) = (self.config.max_body_bytes, self.config.timeout());
        let runtime = &self.runtime;
        let sources = &self.config.sources;
        let collect = || {
            runtime.block_on(async {
                let tasks: Vec<_> = sources
                    .iter()
                    .map(|source| {
                        let (socket, path) = (source.socket.clone(), source.path.clone());
                        tokio::spawn(async move {
                            let started = Instant::now();
                            let result = fetch(&socket, &path, max, timeout).await;
                            (result, started.elapsed())
                        })
                    })
                    .collect();
                let mut out = Vec::with_capacity(tasks.len());
                for task in tasks {
                    out.push(task.await.unwrap_or_else(|e| {
                        (Err(FetchError::Http(format!("the collection task failed: {e}"))), Duration::ZERO)
                    }));
                }
                out
            })
        };
        std::thread::scope(|scope| scope.spawn(collect).join()).unwrap_or_else(|_| {
            sources
                .iter()
                .map(|_| (Err(FetchError::Http("the collection thread panicked".into())), Duration::ZERO))
                .collect()
        })
    }

    /// Logs what changed since the last collection: a source down or back, families newly refused.
    fn report(&self, errors: &[Option<FetchError>], refused: &[Vec<crate::merge::Refusal>]) {
        let mut reported = self.reported.lock().unwrap_or_else(|e| e.into_inner());
        let label = &self.config.label;
        for (i, source) in self.config.sources.iter().enumerate() {
            let state = &mut reported[i];
            let name = &source.name;
            match (&errors[i], state.up) {
                (Some(e), Some(true) | None) => tracing::warn!(
                    socket = %source.socket.display(),
                    "source `{name}` {e}: its series are left out, promstruct_sidecar_source_up{{{label}=\"{name}\"}} is 0"
                ),
                (Some(e), Some(false)) => tracing::debug!("source `{name}` is still down: {e}"),
                (None, Some(false)) => tracing::info!("source `{name}` is back up"),
                (None, _) => {}
            }
            state.up = Some(errors[i].is_none());
            let now: HashSet<String> = refused[i].iter().map(|r| r.family.clone()).collect();
            for refusal in refused[i].iter().filter(|r| !state.refused.contains(&r.family)) {
                tracing::warn!("source `{name}`: family `{}` is not re-exposed: {}", refusal.family, refusal.reason);
            }
            state.refused = now;
        }
    }
}

/// A short account of an invalid exposition: its first errors.
fn violations(violations: &promstruct_testing::Violations) -> String {
    let errors: Vec<String> = violations.errors().take(QUOTED_VIOLATIONS).map(ToString::to_string).collect();
    let more = violations.errors().count().saturating_sub(QUOTED_VIOLATIONS);
    let more = if more > 0 { format!(" (and {more} more)") } else { String::new() };
    format!("{}{more}", errors.join("; "))
}

impl Collect for Sources {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        for descriptor in self.own.descriptors() {
            out(descriptor);
        }
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        let fetched = self.fetch_all();
        let mut errors = Vec::with_capacity(fetched.len());
        let mut collected = Vec::with_capacity(fetched.len());
        let mut durations = Vec::with_capacity(fetched.len());
        for (result, duration) in fetched {
            durations.push(duration);
            let parsed = result.and_then(|(format, text)| match promstruct_testing::parse(&text, format) {
                Ok(exposition) => Ok(Collected { format, exposition }),
                Err(e) => Err(FetchError::Invalid(violations(&e))),
            });
            match parsed {
                Ok(c) => {
                    errors.push(None);
                    collected.push(Some(c));
                }
                Err(e) => {
                    errors.push(Some(e));
                    collected.push(None);
                }
            }
        }
        let union = merge(&self.config.label, &self.names, &self.reserved, collected);
        self.report(&errors, &union.refused);
        write_union(enc, &union, &self.config.label, &self.names);
        let outcomes: Vec<SourceOutcome> = (0..self.names.len())
            .map(|i| SourceOutcome {
                up: errors[i].is_none(),
                duration: durations[i],
                series: union.series[i],
                refused: union.refused[i].len(),
            })
            .collect();
        self.own.write(enc, &self.config.label, &self.names, &outcomes);
    }
}
