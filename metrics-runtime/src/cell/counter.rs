use std::sync::atomic::{AtomicU64, Ordering};

use atomic_float::AtomicF64;

use super::striped_counters::StripedCounters;
use super::{Metric, reject_update};
use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder, Number};

/// A monotonically increasing integer: requests, tokens, errors.
///
/// Exposed as `<name>_total`. One relaxed atomic add per update. This is the cell of a standalone counter
/// and of an [`OpenFamily`](crate::OpenFamily)'s series; the series of a
/// [`DenseFamily`](crate::DenseFamily) of counters are striped
/// ([`StripedCounters`](super::StripedCounters)) and reached through a [`CounterRef`](super::CounterRef),
/// with the same methods.
#[derive(Debug, Default)]
pub struct Counter {
    value: AtomicU64,
}

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Counter { value: AtomicU64::new(0) }
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
        family.counter(labels, Number::U64(self.get()), created);
    }
}

/// A monotonically increasing float: spend in dollars, CPU seconds.
///
/// An increment that is negative, NaN or infinite would break the counter's contract (Prometheus reads a
/// drop as a reset); it is refused, counted in [`rejected_updates`](crate::rejected_updates), and never
/// applied. The series of a [`DenseFamily`](crate::DenseFamily) of float counters are striped and reached
/// through a [`CounterRef<f64>`](super::CounterRef), with the same methods.
#[derive(Debug, Default)]
pub struct FloatCounter {
    value: AtomicF64,
}

impl FloatCounter {
    /// A counter at zero.
    pub const fn new() -> Self {
        FloatCounter { value: AtomicF64::new(0.0) }
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.value.fetch_add(1.0, Ordering::Relaxed);
    }

    /// Adds `v` if it is finite and not negative; returns whether it was applied.
    #[inline]
    pub fn inc_by(&self, v: f64) -> bool {
        let accepted = Self::accepts(v);
        if accepted {
            self.value.fetch_add(v, Ordering::Relaxed);
        }
        accepted
    }

    /// Whether `v` is an increment a float counter can take (finite, not negative); counts it in
    /// [`rejected_updates`](crate::rejected_updates) if not.
    #[inline]
    pub(super) fn accepts(v: f64) -> bool {
        if v >= 0.0 && v.is_finite() {
            true
        } else {
            reject_update();
            false
        }
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> f64 {
        self.value.load(Ordering::Relaxed)
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
        family.counter(labels, Number::F64(self.get()), created);
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
        let before = crate::rejected_updates();
        assert!(c.inc_by(1.5));
        c.inc();
        assert!(!c.inc_by(-1.0));
        assert!(!c.inc_by(f64::NAN));
        assert!(!c.inc_by(f64::INFINITY));
        assert!(c.inc_by(0.0));
        assert_eq!(c.get(), 2.5);
        assert!(crate::rejected_updates() >= before + 3);
    }
}
