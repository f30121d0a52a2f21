use std::ops::Deref;
use std::sync::atomic::{AtomicI64, Ordering};

use atomic_float::AtomicF64;

use super::Metric;
use super::ops::GaugeOps;
use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder, Number};

/// An integer that goes up and down: requests in flight, queue depth, connections.
///
/// Every gauge handle implements [`GaugeOps`].
#[derive(Debug, Default)]
pub struct Gauge {
    value: AtomicI64,
}

impl Gauge {
    /// A gauge at zero.
    pub const fn new() -> Self {
        Gauge { value: AtomicI64::new(0) }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: i64) {
        self.value.store(v, Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.sub(1);
    }

    /// Adds `v`.
    #[inline]
    pub fn add(&self, v: i64) {
        self.value.fetch_add(v, Ordering::Relaxed);
    }

    /// Subtracts `v`.
    #[inline]
    pub fn sub(&self, v: i64) {
        self.value.fetch_sub(v, Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> i64 {
        self.value.load(Ordering::Relaxed)
    }

    /// Adds one now and subtracts it when the guard drops: work in flight, however the scope is left.
    #[inline]
    pub fn track_inflight(&self) -> InflightGuard<&Gauge> {
        InflightGuard::new(self)
    }
}

impl Metric for Gauge {
    type Config = ();
    type Dense = Box<[Self]>;
    const KIND: MetricType = MetricType::Gauge;

    fn with_config(_: &()) -> Self {
        Gauge::new()
    }

    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, _: Option<f64>) {
        family.gauge(labels, Number::I64(self.get()));
    }
}

/// Subtracts one from its gauge when dropped; see [`Gauge::track_inflight`] and
/// [`GaugeOps::track_inflight`].
///
/// `G` is how the guard holds the gauge: a reference, or an owned series handle of an open family;
/// anything that dereferences to a [`GaugeOps`].
#[derive(Debug)]
#[must_use = "the gauge goes back down as soon as the guard drops"]
pub struct InflightGuard<G: Deref<Target: GaugeOps>> {
    gauge: G,
}

impl<G: Deref<Target: GaugeOps>> InflightGuard<G> {
    /// Adds one to the gauge now; the guard subtracts it when dropped.
    pub fn new(gauge: G) -> Self {
        GaugeOps::inc(&*gauge);
        InflightGuard { gauge }
    }
}

impl<G: Deref<Target: GaugeOps>> Drop for InflightGuard<G> {
    fn drop(&mut self) {
        GaugeOps::dec(&*self.gauge);
    }
}

/// A float that goes up and down: temperatures, ratios, the last value read from elsewhere.
///
/// Every gauge handle implements [`GaugeOps`].
#[derive(Debug, Default)]
pub struct FloatGauge {
    value: AtomicF64,
}

impl FloatGauge {
    /// A gauge at zero.
    pub const fn new() -> Self {
        FloatGauge { value: AtomicF64::new(0.0) }
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, v: f64) {
        self.value.store(v, Ordering::Relaxed);
    }

    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    #[inline]
    pub fn dec(&self) {
        self.sub(1.0);
    }

    /// Adds `v`.
    #[inline]
    pub fn add(&self, v: f64) {
        self.value.fetch_add(v, Ordering::Relaxed);
    }

    /// Subtracts `v`.
    #[inline]
    pub fn sub(&self, v: f64) {
        self.value.fetch_sub(v, Ordering::Relaxed);
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> f64 {
        self.value.load(Ordering::Relaxed)
    }
}

impl Metric for FloatGauge {
    type Config = ();
    type Dense = Box<[Self]>;
    const KIND: MetricType = MetricType::Gauge;

    fn with_config(_: &()) -> Self {
        FloatGauge::new()
    }

    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, _: Option<f64>) {
        family.gauge(labels, Number::F64(self.get()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauge_moves_both_ways() {
        let g = Gauge::new();
        g.set(10);
        g.inc();
        g.dec();
        g.dec();
        g.add(5);
        g.sub(20);
        assert_eq!(g.get(), -6);
    }

    #[test]
    fn inflight_guard_restores() {
        let g = Gauge::new();
        {
            let _a = g.track_inflight();
            let _b = g.track_inflight();
            assert_eq!(g.get(), 2);
        }
        assert_eq!(g.get(), 0);
        let r = std::panic::catch_unwind(|| {
            let _a = g.track_inflight();
            panic!("boom");
        });
        assert!(r.is_err());
        assert_eq!(g.get(), 0, "the guard restores the gauge when the scope unwinds");
    }

    #[test]
    fn float_gauge() {
        let g = FloatGauge::new();
        g.set(1.5);
        g.add(2.0);
        g.sub(0.5);
        g.inc();
        g.inc();
        g.dec();
        assert_eq!(g.get(), 4.0);
        g.set(f64::NAN);
        assert!(g.get().is_nan());
    }
}
