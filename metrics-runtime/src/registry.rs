//! The registry: what a scrape exposes.

use std::any::type_name;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use crate::encoding::{Encoder, Format, Number, Scratch};
use crate::family::SeriesBudget;
use crate::{Descriptor, MetricType};

/// Something that exposes metric families: a `#[metrics]` struct, a family, a custom collector.
///
/// `describe` names every family `collect` writes, so the registry can refuse clashing names when the
/// collector is registered rather than expose an invalid scrape later; `collect` must write exactly those
/// families, each once, through [`Encoder::family`].
pub trait Collect: Send + Sync {
    /// Calls `out` with the descriptor of every family this collector writes.
    fn describe(&self, out: &mut dyn FnMut(&Descriptor));

    /// Writes every family.
    fn collect(&self, enc: &mut Encoder<'_>);

    /// Called once when registered: families created at run time take their series from `budget`.
    fn bind(&self, budget: &SeriesBudget) {
        let _ = budget;
    }
}

impl<T: Collect + ?Sized> Collect for &T {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}

impl<T: Collect + ?Sized> Collect for Arc<T> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}

impl<T: Collect + ?Sized> Collect for Box<T> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}

/// Why a collector was not registered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two families would expose the same sample name.
    Duplicate {
        /// The family being registered.
        name: String,
        /// Its type.
        kind: MetricType,
        /// The family it clashes with.
        existing: String,
        /// That family's type.
        existing_kind: MetricType,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Duplicate { name, kind, existing, existing_kind } if name == existing => write!(
                f,
                "duplicate metric family `{name}`: a {kind} `{name}` is registered already as a {existing_kind}"
            ),
            RegistryError::Duplicate { name, kind, existing, existing_kind } => write!(
                f,
                "metric family {kind} `{name}` clashes with the registered {existing_kind} `{existing}`: their \
                 samples would share a name"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// Why a scrape produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A collector panicked while writing; nothing of this scrape was kept, since a partial exposition
    /// would read as series that vanished.
    CollectorPanicked {
        /// The collector's type.
        collector: &'static str,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::CollectorPanicked { collector } => {
                write!(f, "collector `{collector}` panicked while encoding; the scrape was abandoned")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

struct Registered {
    collector: Box<dyn Collect>,
    type_name: &'static str,
}

struct Inner {
    collectors: RwLock<Vec<Registered>>,
    families: Mutex<Vec<(String, MetricType)>>,
    budget: SeriesBudget,
    self_metrics: bool,
    scratch: Mutex<Scratch>,
    last_scrape_nanos: AtomicU64,
    last_series: AtomicU64,
}

/// Holds collectors and encodes them: what one `/metrics` endpoint exposes.
///
/// Cloning is cheap and shares the registry. It refuses a collector whose families clash with registered
/// ones, bounds the series created at run time by a total limit shared by all its families, and exposes
/// its own health under `metrics_runtime_*`: series, the limit, updates sent to overflow series, updates
/// refused, and the duration of the previous scrape.
#[derive(Clone)]
pub struct Registry(Arc<Inner>);

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

/// Builds a [`Registry`] with non-default settings.
#[derive(Debug, Clone)]
pub struct RegistryBuilder {
    total_limit: usize,
    self_metrics: bool,
}

impl RegistryBuilder {
    /// The most series all families together may hold (default 10,000). Series of enum-labelled families
    /// are fixed at compile time and always kept; they count against the limit, and series created at run
    /// time past it go to their family's overflow series.
    pub fn total_series_limit(mut self, limit: usize) -> Self {
        self.total_limit = limit;
        self
    }

    /// Whether to expose the registry's own `metrics_runtime_*` families (default true).
    pub fn self_metrics(mut self, on: bool) -> Self {
        self.self_metrics = on;
        self
    }

    /// The registry.
    pub fn build(self) -> Registry {
        let families = if self.self_metrics {
            SELF_FAMILIES.iter().map(|(name, kind, _)| ((*name).to_owned(), *kind)).collect()
        } else {
            Vec::new()
        };
        Registry(Arc::new(Inner {
            collectors: RwLock::new(Vec::new()),
            families: Mutex::new(families),
            budget: SeriesBudget::new(self.total_limit),
            self_metrics: self.self_metrics,
            scratch: Mutex::new(Scratch::new()),
            last_scrape_nanos: AtomicU64::new(0),
            last_series: AtomicU64::new(0),
        }))
    }
}

const SELF_FAMILIES: [(&str, MetricType, &str); 6] = [
    ("metrics_runtime_series", MetricType::Gauge, "Series held by the registry's families."),
    ("metrics_runtime_series_limit", MetricType::Gauge, "The most series the registry's families may hold."),
    (
        "metrics_runtime_overflow_updates",
        MetricType::Counter,
        "Updates sent to an overflow series because a family or the registry was at its series limit.",
    ),
    (
        "metrics_runtime_rejected_updates",
        MetricType::Counter,
        "Updates refused because they would break a metric's contract (negative counter increments, NaN).",
    ),
    ("metrics_runtime_scrape_series", MetricType::Gauge, "Series written by the previous scrape."),
    ("metrics_runtime_scrape_duration_seconds", MetricType::Gauge, "Time the previous scrape took to encode."),
];

impl Registry {
    /// An empty registry with a total limit of 10,000 series and its own metrics on.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for a registry with other settings.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder { total_limit: 10_000, self_metrics: true }
    }

    /// Adds a collector. Refuses it, registering nothing, if one of its families would expose a sample
    /// name another family (registered, or its own) exposes.
    pub fn register<C: Collect + 'static>(&self, collector: C) -> Result<(), RegistryError> {
        let mut new: Vec<(String, MetricType)> = Vec::new();
        collector.describe(&mut |d| new.push((d.name().to_owned(), d.kind())));
        {
            let mut families = self.0.families.lock().unwrap_or_else(|e| e.into_inner());
            for (i, (name, kind)) in new.iter().enumerate() {
                let clash = families
                    .iter()
                    .chain(&new[..i])
                    .find(|(other, other_kind)| metrics_naming::names_collide(name, *kind, other, *other_kind));
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
        }
        collector.bind(&self.0.budget);
        let entry = Registered { collector: Box::new(collector), type_name: type_name::<C>() };
        self.0.collectors.write().unwrap_or_else(|e| e.into_inner()).push(entry);
        Ok(())
    }

    /// The series budget shared by the registry's families.
    pub fn budget(&self) -> &SeriesBudget {
        &self.0.budget
    }

    /// Appends the exposition of every registered family to `buf`, in `format`, and returns the number
    /// of series written.
    ///
    /// If a collector panics, `buf` is left as it was and the panic is reported as an error.
    pub fn encode(&self, format: Format, buf: &mut Vec<u8>) -> Result<usize, EncodeError> {
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
        let mut enc = Encoder::new(format, buf, scratch);
        let collectors = self.0.collectors.read().unwrap_or_else(|e| e.into_inner());
        for registered in collectors.iter() {
            let ok = catch_unwind(AssertUnwindSafe(|| registered.collector.collect(&mut enc))).is_ok();
            if !ok {
                drop(enc);
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

    fn encode_self(&self, enc: &mut Encoder<'_>) {
        let values = [
            Number::U64(self.0.budget.used() as u64),
            Number::U64(self.0.budget.limit() as u64),
            Number::U64(self.0.budget.overflowed()),
            Number::U64(crate::cell::rejected_updates()),
            Number::U64(self.0.last_series.load(Ordering::Relaxed)),
            Number::F64(self.0.last_scrape_nanos.load(Ordering::Relaxed) as f64 / 1e9),
        ];
        for ((name, kind, help), value) in SELF_FAMILIES.iter().zip(values) {
            let unit = name.strip_suffix("_duration_seconds").map(|_| "seconds");
            let desc = Descriptor::from_static(name, *kind, help, unit, &[]);
            let mut family = enc.family(&desc);
            match kind {
                MetricType::Counter => family.counter(&(), value, None),
                _ => family.gauge(&(), value),
            }
        }
    }
}
