use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use atomic_float::AtomicF64;

use super::exemplar::{self, Exemplar, ExemplarError, ExemplarSlot};
use super::striped_counters::StripedCounters;
use super::{Metric, Rejections};
use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder, Number};
use crate::family::{BoundBudget, SeriesBudget};

/// A monotonically increasing integer: requests, tokens, errors.
///
/// Exposed as `<name>_total`. One relaxed atomic add per update. This is the cell of a standalone counter
/// and of an [`OpenFamily`](crate::OpenFamily)'s series; the series of a
/// [`DenseFamily`](crate::DenseFamily) of counters are striped and reached through a
/// [`CounterRef`](super::CounterRef), with the same methods. Every counter handle implements
/// [`CounterOps`](super::CounterOps).
///
/// It keeps the exemplar of its latest [`inc_with_exemplar`](Self::inc_with_exemplar) in a slot of one
/// word, null until then, which [`inc`](Self::inc) never reads; with the registry it reports refused
/// exemplars to, 24 bytes.
#[derive(Debug, Default)]
pub struct Counter {
    value: AtomicU64,
    exemplar: ExemplarSlot,
    registry: BoundBudget,
}

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Counter { value: AtomicU64::new(0), exemplar: ExemplarSlot::new(), registry: BoundBudget::new() }
    }

    /// Adds one and keeps `labels` (a trace id, say) as the counter's exemplar, replacing the previous one.
    ///
    /// The increment is applied whatever the labels; an exemplar whose names are invalid or repeated, or
    /// whose names and values hold more than 128 code points, is refused (the previous one stays) and
    /// counted in the registry's [`rejected_exemplars`](crate::Registry::rejected_exemplars).
    ///
    /// ```
    /// use promstruct::Counter;
    ///
    /// let requests = Counter::new();
    /// requests.inc_with_exemplar(&[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")]).unwrap();
    /// assert!(requests.inc_with_exemplar(&[("trace id", "x")]).is_err(), "not a label name");
    /// assert_eq!(requests.get(), 2);
    /// assert_eq!(requests.exemplar().unwrap().labels().next(), Some(("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")));
    /// ```
    pub fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        self.inc_by_with_exemplar(1, labels)
    }

    /// Adds `n` and keeps `labels` as the counter's exemplar, of value `n`; see
    /// [`inc_with_exemplar`](Self::inc_with_exemplar).
    pub fn inc_by_with_exemplar(&self, n: u64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        self.inc_by(n);
        let exemplar = exemplar::checked(labels, n as f64, || self.registry.count_rejected_exemplar())?;
        self.exemplar.store(Arc::new(exemplar));
        Ok(())
    }

    /// The exemplar of the latest increment that carried one.
    pub fn exemplar(&self) -> Option<Arc<Exemplar>> {
        self.exemplar.load()
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.value.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `n`.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.value.fetch_add(n, Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Metric for Counter {
    type Config = ();
    type Dense = StripedCounters<u64>;
    const KIND: MetricType = MetricType::Counter;

    fn with_config(_: &()) -> Self {
        Counter::new()
    }

    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, created: Option<f64>) {
        let exemplar = self.exemplar.load();
        family.counter_with_exemplar(labels, Number::U64(self.get()), created, exemplar.as_deref());
    }

    fn bind(&self, budget: &SeriesBudget) {
        self.registry.bind(budget);
    }
}

/// A monotonically increasing float: spend in dollars, CPU seconds.
///
/// An increment that is negative, NaN or infinite would break the counter's contract (Prometheus reads a
/// drop as a reset); it is refused, never applied, and counted: in the cell
/// ([`rejected_updates`](Self::rejected_updates)), and in the registry its family is registered in
/// ([`Registry::rejected_updates`](crate::Registry::rejected_updates)). The series of a
/// [`DenseFamily`](crate::DenseFamily) of float counters are striped and reached through a
/// [`CounterRef<f64>`](super::CounterRef), with the same methods.
#[derive(Debug, Default)]
pub struct FloatCounter {
    value: AtomicF64,
    rejections: Rejections,
    exemplar: ExemplarSlot,
}

impl FloatCounter {
    /// A counter at zero.
    pub const fn new() -> Self {
        FloatCounter { value: AtomicF64::new(0.0), rejections: Rejections::new(), exemplar: ExemplarSlot::new() }
    }

    /// Adds one and keeps `labels` as the counter's exemplar; see
    /// [`Counter::inc_with_exemplar`](crate::Counter::inc_with_exemplar).
    pub fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        self.inc_by_with_exemplar(1.0, labels)
    }

    /// Adds `v` if [`inc_by`](Self::inc_by) takes it, and keeps `labels` as the counter's exemplar, of
    /// value `v`. A refused increment keeps no exemplar ([`ExemplarError::UpdateRefused`]); refused labels
    /// leave the increment applied and are counted in the registry's
    /// [`rejected_exemplars`](crate::Registry::rejected_exemplars).
    pub fn inc_by_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        if !self.inc_by(v) {
            return Err(ExemplarError::UpdateRefused);
        }
        let exemplar = exemplar::checked(labels, v, || self.rejections.count_exemplar())?;
        self.exemplar.store(Arc::new(exemplar));
        Ok(())
    }

    /// The exemplar of the latest increment that carried one.
    pub fn exemplar(&self) -> Option<Arc<Exemplar>> {
        self.exemplar.load()
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.value.fetch_add(1.0, Ordering::Relaxed);
    }

    /// Adds `v` if it is finite and not negative; returns whether it was applied (a refusal is counted).
    #[inline]
    pub fn inc_by(&self, v: f64) -> bool {
        if Self::accepts(v) {
            self.value.fetch_add(v, Ordering::Relaxed);
            true
        } else {
            self.rejections.count();
            false
        }
    }

    /// Whether `v` is an increment a float counter can take: finite, not negative.
    #[inline]
    pub(super) fn accepts(v: f64) -> bool {
        v >= 0.0 && v.is_finite()
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> f64 {
        self.value.load(Ordering::Relaxed)
    }

    /// The increments this counter refused, whether or not its family is registered (a cell outside any
    /// registry counts its refusals here only).
    pub fn rejected_updates(&self) -> u64 {
        self.rejections.get()
    }
}

impl Metric for FloatCounter {
    type Config = ();
    type Dense = StripedCounters<f64>;
    const KIND: MetricType = MetricType::Counter;

    fn with_config(_: &()) -> Self {
        FloatCounter::new()
    }

    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, created: Option<f64>) {
        let exemplar = self.exemplar.load();
        family.counter_with_exemplar(labels, Number::F64(self.get()), created, exemplar.as_deref());
    }

    fn bind(&self, budget: &SeriesBudget) {
        self.rejections.bind(budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_counts() {
        let c = Counter::new();
        c.inc();
        c.inc_by(41);
        assert_eq!(c.get(), 42);
    }

    #[test]
    fn float_counter_refuses_what_would_break_it() {
        let c = FloatCounter::new();
        assert!(c.inc_by(1.5));
        c.inc();
        assert!(!c.inc_by(-1.0));
        assert!(!c.inc_by(f64::NAN));
        assert!(!c.inc_by(f64::INFINITY));
        assert!(c.inc_by(0.0));
        assert_eq!(c.get(), 2.5);
        assert_eq!(c.rejected_updates(), 3, "a cell outside any registry counts its refusals itself");
    }

    #[test]
    fn a_bound_float_counter_reports_its_refusals_to_the_registry() {
        let c = FloatCounter::new();
        let budget = SeriesBudget::new(10);
        assert!(!c.inc_by(-2.0));
        c.bind(&budget);
        assert!(!c.inc_by(f64::NEG_INFINITY));
        assert!(c.inc_by(1.0));
        assert_eq!((c.rejected_updates(), budget.rejected()), (2, 1));
    }
}
