//! The registry: what a scrape exposes. The collectors it holds (`collect.rs`), its settings (`builder.rs`),
//! its own families (`self_metrics.rs`) and its errors (`error.rs`) live in the submodules.

mod builder;
mod collect;
mod error;
mod self_metrics;
#[cfg(test)]
mod tests;

use std::any::type_name;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

pub use builder::RegistryBuilder;
pub use collect::Collect;
pub use error::{EncodeError, RegistryError};

use crate::MetricType;
use crate::encoding::{EncodeOptions, Encoder, Escaping, Format, Scratch};
use crate::family::SeriesBudget;

struct Registered {
    collector: Box<dyn Collect>,
    type_name: &'static str,
}

pub(crate) struct RegistryInner {
    collectors: RwLock<Vec<Registered>>,
    families: Mutex<Vec<(String, MetricType)>>,
    budget: SeriesBudget,
    self_metrics: bool,
    /// Whether OpenMetrics writes `_created` lines.
    openmetrics_created: bool,
    /// Whether some family registered holds a name outside the legacy set: then the escaping scheme
    /// changes the bytes of a text scrape. Set once, never cleared.
    utf8_names: AtomicBool,
    scratch: Mutex<Scratch>,
    last_scrape_nanos: AtomicU64,
    last_series: AtomicU64,
}

/// Holds collectors and encodes them: what one `/metrics` endpoint exposes.
///
/// Cloning is cheap and shares the registry. It refuses a collector whose families clash with registered
/// ones, bounds the series created at run time by a total limit shared by all its families, and exposes
/// its own health under `promstruct_*`: series, the limit, updates sent to overflow series, updates
/// refused, and the duration of the previous scrape.
#[derive(Clone)]
pub struct Registry(Arc<RegistryInner>);

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let families = self.0.families.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Registry")
            .field("families", &families.len())
            .field("series", &self.0.budget.used())
            .field("series_limit", &self.0.budget.limit())
            .finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// An empty registry with a total limit of 10,000 series and its own metrics on.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for a registry with other settings.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::new()
    }

    /// Adds a collector. Refuses it, registering nothing, if one of its families would expose a sample
    /// name another family (registered, or its own) exposes.
    pub fn register<C: Collect + 'static>(&self, collector: C) -> Result<(), RegistryError> {
        let mut new: Vec<(String, MetricType)> = Vec::new();
        let mut legacy = true;
        collector.describe(&mut |d| {
            legacy &= d.has_legacy_names();
            new.push((d.name().to_owned(), d.kind()))
        });
        self.claim_all(new)?;
        if !legacy {
            self.0.utf8_names.store(true, Ordering::Release);
        }
        collector.bind(&self.0.budget);
        let entry = Registered { collector: Box::new(collector), type_name: type_name::<C>() };
        self.0.collectors.write().unwrap_or_else(|e| e.into_inner()).push(entry);
        Ok(())
    }

    /// Claims family names, all or none: refuses the first that would expose a sample name another family
    /// (registered, or earlier in `new`) exposes.
    fn claim_all(&self, new: Vec<(String, MetricType)>) -> Result<(), RegistryError> {
        let mut families = self.0.families.lock().unwrap_or_else(|e| e.into_inner());
        for (i, (name, kind)) in new.iter().enumerate() {
            let clash =
                families.iter().chain(&new[..i]).find(|(other, other_kind)| collide(name, *kind, other, *other_kind));
            if let Some((existing, existing_kind)) = clash {
                return Err(RegistryError::Duplicate {
                    name: name.clone(),
                    kind: *kind,
                    existing: existing.clone(),
                    existing_kind: *existing_kind,
                });
            }
        }
        families.extend(new);
        Ok(())
    }

    /// Claims one family name for a collector already registered that defines families as it runs (see
    /// [`DynamicMetrics`](crate::dynamic::DynamicMetrics)); `legacy`: whether all its names are legacy.
    pub(crate) fn claim(&self, name: &str, kind: MetricType, legacy: bool) -> Result<(), RegistryError> {
        self.claim_all(vec![(name.to_owned(), kind)])?;
        if !legacy {
            self.0.utf8_names.store(true, Ordering::Release);
        }
        Ok(())
    }

    /// Whether some family holds a name outside the legacy set, so that a text scrape's bytes depend on
    /// its escaping scheme; while none does, every scheme writes the same bytes.
    pub fn has_utf8_names(&self) -> bool {
        self.0.utf8_names.load(Ordering::Acquire)
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<RegistryInner> {
        Arc::downgrade(&self.0)
    }

    pub(crate) fn upgrade(weak: &std::sync::Weak<RegistryInner>) -> Option<Registry> {
        weak.upgrade().map(Registry)
    }

    /// The series budget shared by the registry's families.
    pub fn budget(&self) -> &SeriesBudget {
        &self.0.budget
    }

    /// Updates refused by the series of this registry's families since they were registered, as
    /// `promstruct_rejected_updates_total` exposes it: float counter increments that are negative, NaN or
    /// infinite, NaN histogram observations. Another registry's refusals are not counted here; a cell
    /// outside any registry counts its own ([`FloatCounter::rejected_updates`](crate::FloatCounter::rejected_updates),
    /// [`Histogram::rejected_updates`](crate::Histogram::rejected_updates)).
    pub fn rejected_updates(&self) -> u64 {
        self.0.budget.rejected()
    }

    /// Exemplars refused by the series of this registry's families since they were registered, as
    /// `promstruct_exemplars_rejected_total` exposes it: label names and values over 128 code points
    /// together, invalid or repeated label names. The updates they came with were applied.
    pub fn rejected_exemplars(&self) -> u64 {
        self.0.budget.rejected_exemplars()
    }

    /// Appends the exposition of every registered family to `buf`, in `format` with names escaped by
    /// `underscores` (the default), and returns the number of series written.
    ///
    /// If a collector panics, `buf` is left as it was and the panic is reported as an error.
    pub fn encode(&self, format: Format, buf: &mut Vec<u8>) -> Result<usize, EncodeError> {
        self.encode_with(format, Escaping::Underscores, buf)
    }

    /// [`Registry::encode`] with names outside the legacy set written as `escaping` says (quoted under
    /// `allow-utf-8` in the text formats, raw in protobuf, escaped by the scheme otherwise). OpenMetrics
    /// `_created` lines follow [`RegistryBuilder::openmetrics_created`].
    pub fn encode_with(&self, format: Format, escaping: Escaping, buf: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let start = Instant::now();
        let mark = buf.len();
        let mut own_scratch;
        let mut guard = self.0.scratch.try_lock().ok();
        let scratch = match guard.as_deref_mut() {
            Some(scratch) => scratch,
            None => {
                own_scratch = Scratch::new();
                &mut own_scratch
            }
        };
        let options = EncodeOptions::new().escaping(escaping).created_lines(self.0.openmetrics_created);
        let mut enc = Encoder::with_options(format, options, buf, scratch);
        let collectors = self.0.collectors.read().unwrap_or_else(|e| e.into_inner());
        for registered in collectors.iter() {
            let ok = catch_unwind(AssertUnwindSafe(|| registered.collector.collect(&mut enc))).is_ok();
            if !ok {
                buf.truncate(mark);
                return Err(EncodeError::CollectorPanicked { collector: registered.type_name });
            }
        }
        drop(collectors);
        if self.0.self_metrics {
            self.encode_self(&mut enc);
        }
        let series = enc.finish();
        self.0.last_series.store(series as u64, Ordering::Relaxed);
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.last_scrape_nanos.store(nanos, Ordering::Relaxed);
        Ok(series)
    }
}

/// Whether two families' exposed names collide, under any escaping scheme: `a.b` and `a_b` are both
/// `a_b` to a scraper that asks for `underscores`.
fn collide(a: &str, a_kind: MetricType, b: &str, b_kind: MetricType) -> bool {
    use promstruct_naming::{exposed_name, is_legacy_metric_name, names_collide};
    if names_collide(a, a_kind, b, b_kind) {
        return true;
    }
    if is_legacy_metric_name(a) && is_legacy_metric_name(b) {
        return false;
    }
    [Escaping::Underscores, Escaping::Dots, Escaping::Values]
        .into_iter()
        .any(|scheme| names_collide(&exposed_name(a, scheme), a_kind, &exposed_name(b, scheme), b_kind))
}
