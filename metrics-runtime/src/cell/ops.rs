//! The operations of each kind of series as traits, so that code can take "any counter", "any gauge" or
//! "any histogram" whichever family handed it out: [`CounterOps`], [`GaugeOps`], [`HistogramOps`].
//!
//! Every handle implements its kind's trait: the cells themselves, a dense family's handles
//! ([`CounterRef`] for counters, `&Gauge`, `&FloatGauge`, `&Histogram` through the impls for `&T`), an
//! open family's [`SeriesRef`], and so the accessors `#[metrics]` generates. Each cell keeps its inherent
//! methods, so `.inc()` needs no import; the trait impls delegate to them, one body per operation.
//!
//! See [the crate's documentation](crate#handles) for a `#[metrics]` struct's accessors taken alike.

use std::time::Duration;

use super::{
    Counter, CounterRef, ExemplarError, FloatCounter, FloatGauge, Gauge, Histogram, HistogramTimer, InflightGuard,
};
use crate::family::SeriesRef;

/// What every counter handle does: add, and read.
///
/// `Value` is `u64` for a [`Counter`] and `f64` for a [`FloatCounter`]; `fn f(c: &impl CounterOps)` takes
/// any counter, `fn f(c: &impl CounterOps<Value = u64>)` an integer one. A dense family's handle, an open
/// family's and a plain cell alike:
///
/// ```
/// use promstruct::{Counter, CounterOps, DenseFamily, Descriptor, MetricType, OpenFamily, OpenOptions};
///
/// /// Counts one job on whatever counter it is given.
/// fn record(c: &impl CounterOps) {
///     c.inc();
/// }
///
/// let dense = DenseFamily::<(), Counter>::new(Descriptor::new("jobs", MetricType::Counter, "Jobs.").unwrap(), ());
/// let desc = Descriptor::builder("runs", MetricType::Counter, "Runs.").labels(["agent"]).build().unwrap();
/// let open = OpenFamily::<Counter>::new(desc, (), OpenOptions::new());
/// record(&dense.get(()));
/// record(&open.get(&["planner"]));
/// record(&Counter::new());
/// assert_eq!((dense.get(()).get(), open.get(&["planner"]).get()), (1, 1));
/// ```
///
/// A float counter refuses what would make it go down:
///
/// ```
/// use promstruct::{CounterOps, FloatCounter};
///
/// fn charge(c: &impl CounterOps<Value = f64>, dollars: f64) -> bool {
///     c.inc_by(dollars)
/// }
///
/// let spend = FloatCounter::new();
/// assert!(charge(&spend, 0.25));
/// assert!(!charge(&spend, -1.0), "a counter never goes down");
/// assert_eq!(spend.get(), 0.25);
/// ```
pub trait CounterOps {
    /// The counter's value: `u64` or `f64`.
    type Value: Copy;

    /// Adds one.
    fn inc(&self);

    /// Adds `n`, and returns whether it was applied: an integer counter applies every increment (wrapping
    /// at 2^64); a float counter refuses one that is negative, NaN or infinite, and counts the refusal in
    /// its registry's [`rejected_updates`](crate::Registry::rejected_updates).
    fn inc_by(&self, n: Self::Value) -> bool;

    /// Adds one and keeps `labels` (a trace id, say) as the series' exemplar, replacing the previous one;
    /// refused labels (invalid or repeated names, over 128 code points) leave the increment applied, are
    /// counted in the registry's [`rejected_exemplars`](crate::Registry::rejected_exemplars) and returned.
    /// See [`Counter::inc_with_exemplar`].
    fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError>;

    /// Adds `n` as [`inc_by`](Self::inc_by) does and keeps `labels` as the series' exemplar, of value `n`.
    fn inc_by_with_exemplar(&self, n: Self::Value, labels: &[(&str, &str)]) -> Result<(), ExemplarError>;

    /// Adds one with the trace and span ids of the current `tracing` span as the exemplar
    /// (`trace_id`, `span_id`; see [`TraceIds::current`](crate::TraceIds::current)); a plain
    /// [`inc`](Self::inc) outside a traced span.
    #[cfg(feature = "tracing")]
    fn inc_with_current_trace(&self) -> Result<(), ExemplarError> {
        match crate::TraceIds::current() {
            Some(ids) => self.inc_with_exemplar(&ids.labels()),
            None => {
                self.inc();
                Ok(())
            }
        }
    }

    /// Adds `n` with the trace and span ids of the current `tracing` span as the exemplar; a plain
    /// [`inc_by`](Self::inc_by) outside a traced span.
    #[cfg(feature = "tracing")]
    fn inc_by_with_current_trace(&self, n: Self::Value) -> Result<(), ExemplarError> {
        match crate::TraceIds::current() {
            Some(ids) => self.inc_by_with_exemplar(n, &ids.labels()),
            None if self.inc_by(n) => Ok(()),
            None => Err(ExemplarError::UpdateRefused),
        }
    }

    /// The current value.
    fn get(&self) -> Self::Value;
}

/// What every gauge handle does: set, move both ways, read, and track work in flight.
///
/// `Value` is `i64` for a [`Gauge`] and `f64` for a [`FloatGauge`].
///
/// ```
/// use promstruct::{FloatGauge, Gauge, GaugeOps};
///
/// fn busy(g: &impl GaugeOps) {
///     let _guard = g.track_inflight();
///     // ... the work, counted in the gauge until the guard drops ...
/// }
///
/// let (ints, floats) = (Gauge::new(), FloatGauge::new());
/// busy(&ints);
/// busy(&floats);
/// assert_eq!((ints.get(), floats.get()), (0, 0.0));
/// ```
pub trait GaugeOps {
    /// The gauge's value: `i64` or `f64`.
    type Value: Copy;

    /// Sets the value.
    fn set(&self, v: Self::Value);

    /// Adds one.
    fn inc(&self);

    /// Subtracts one.
    fn dec(&self);

    /// Adds `v`.
    fn add(&self, v: Self::Value);

    /// Subtracts `v`.
    fn sub(&self, v: Self::Value);

    /// The current value.
    fn get(&self) -> Self::Value;

    /// Adds one now and subtracts it when the guard drops: work in flight, however the scope is left.
    fn track_inflight(&self) -> InflightGuard<&Self> {
        InflightGuard::new(self)
    }
}

/// What every histogram handle does: observe, time, and read the count and sum.
///
/// ```
/// use promstruct::{Buckets, Histogram, HistogramOps};
///
/// fn timed(h: &impl HistogramOps) {
///     let _timer = h.start_timer();
///     // ... the work, observed in seconds when the timer drops ...
/// }
///
/// let latency = Histogram::new(Buckets::default());
/// timed(&latency);
/// latency.observe(f64::NAN);
/// assert_eq!(latency.count(), 1, "NaN is refused");
/// ```
pub trait HistogramOps {
    /// Records one observation; NaN is refused, and counted in its registry's
    /// [`rejected_updates`](crate::Registry::rejected_updates).
    fn observe(&self, v: f64);

    /// Records one observation and keeps `labels` as the exemplar of its bucket (and, with native buckets,
    /// among the recent ones); see [`Histogram::observe_with_exemplar`].
    fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError>;

    /// Records one observation with the trace and span ids of the current `tracing` span as its exemplar
    /// (see [`TraceIds::current`](crate::TraceIds::current)); a plain [`observe`](Self::observe) outside a
    /// traced span.
    #[cfg(feature = "tracing")]
    fn observe_with_current_trace(&self, v: f64) -> Result<(), ExemplarError> {
        match crate::TraceIds::current() {
            Some(ids) => self.observe_with_exemplar(v, &ids.labels()),
            None if v.is_nan() => {
                self.observe(v);
                Err(ExemplarError::UpdateRefused)
            }
            None => {
                self.observe(v);
                Ok(())
            }
        }
    }

    /// Records a duration in seconds.
    fn observe_duration(&self, d: Duration);

    /// Starts a timer that records the elapsed seconds when dropped.
    fn start_timer(&self) -> HistogramTimer<&Self> {
        HistogramTimer::new(self)
    }

    /// The number of observations.
    fn count(&self) -> u64;

    /// The sum of observations.
    fn sum(&self) -> f64;
}

impl CounterOps for Counter {
    type Value = u64;

    #[inline]
    fn inc(&self) {
        Counter::inc(self);
    }

    #[inline]
    fn inc_by(&self, n: u64) -> bool {
        Counter::inc_by(self, n);
        true
    }

    fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        Counter::inc_with_exemplar(self, labels)
    }

    fn inc_by_with_exemplar(&self, n: u64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        Counter::inc_by_with_exemplar(self, n, labels)
    }

    #[inline]
    fn get(&self) -> u64 {
        Counter::get(self)
    }
}

impl CounterOps for FloatCounter {
    type Value = f64;

    #[inline]
    fn inc(&self) {
        FloatCounter::inc(self);
    }

    #[inline]
    fn inc_by(&self, v: f64) -> bool {
        FloatCounter::inc_by(self, v)
    }

    fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        FloatCounter::inc_with_exemplar(self, labels)
    }

    fn inc_by_with_exemplar(&self, n: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        FloatCounter::inc_by_with_exemplar(self, n, labels)
    }

    #[inline]
    fn get(&self) -> f64 {
        FloatCounter::get(self)
    }
}

impl CounterOps for CounterRef<'_, u64> {
    type Value = u64;

    #[inline]
    fn inc(&self) {
        CounterRef::<u64>::inc(self);
    }

    #[inline]
    fn inc_by(&self, n: u64) -> bool {
        CounterRef::<u64>::inc_by(self, n);
        true
    }

    fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        CounterRef::<u64>::inc_with_exemplar(self, labels)
    }

    fn inc_by_with_exemplar(&self, n: u64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        CounterRef::<u64>::inc_by_with_exemplar(self, n, labels)
    }

    #[inline]
    fn get(&self) -> u64 {
        CounterRef::<u64>::get(self)
    }
}

impl CounterOps for CounterRef<'_, f64> {
    type Value = f64;

    #[inline]
    fn inc(&self) {
        CounterRef::<f64>::inc(self);
    }

    #[inline]
    fn inc_by(&self, v: f64) -> bool {
        CounterRef::<f64>::inc_by(self, v)
    }

    fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        CounterRef::<f64>::inc_with_exemplar(self, labels)
    }

    fn inc_by_with_exemplar(&self, n: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        CounterRef::<f64>::inc_by_with_exemplar(self, n, labels)
    }

    #[inline]
    fn get(&self) -> f64 {
        CounterRef::<f64>::get(self)
    }
}

impl GaugeOps for Gauge {
    type Value = i64;

    #[inline]
    fn set(&self, v: i64) {
        Gauge::set(self, v);
    }

    #[inline]
    fn inc(&self) {
        Gauge::inc(self);
    }

    #[inline]
    fn dec(&self) {
        Gauge::dec(self);
    }

    #[inline]
    fn add(&self, v: i64) {
        Gauge::add(self, v);
    }

    #[inline]
    fn sub(&self, v: i64) {
        Gauge::sub(self, v);
    }

    #[inline]
    fn get(&self) -> i64 {
        Gauge::get(self)
    }

    #[inline]
    fn track_inflight(&self) -> InflightGuard<&Gauge> {
        Gauge::track_inflight(self)
    }
}

impl GaugeOps for FloatGauge {
    type Value = f64;

    #[inline]
    fn set(&self, v: f64) {
        FloatGauge::set(self, v);
    }

    #[inline]
    fn inc(&self) {
        FloatGauge::inc(self);
    }

    #[inline]
    fn dec(&self) {
        FloatGauge::dec(self);
    }

    #[inline]
    fn add(&self, v: f64) {
        FloatGauge::add(self, v);
    }

    #[inline]
    fn sub(&self, v: f64) {
        FloatGauge::sub(self, v);
    }

    #[inline]
    fn get(&self) -> f64 {
        FloatGauge::get(self)
    }
}

impl HistogramOps for Histogram {
    #[inline]
    fn observe(&self, v: f64) {
        Histogram::observe(self, v);
    }

    fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        Histogram::observe_with_exemplar(self, v, labels)
    }

    #[inline]
    fn observe_duration(&self, d: Duration) {
        Histogram::observe_duration(self, d);
    }

    #[inline]
    fn start_timer(&self) -> HistogramTimer<&Histogram> {
        Histogram::start_timer(self)
    }

    fn count(&self) -> u64 {
        Histogram::count(self)
    }

    fn sum(&self) -> f64 {
        Histogram::sum(self)
    }
}

/// The impls of the three traits for a handle that dereferences to a cell implementing them: `&T` (a dense
/// family's `&Gauge`, `&Histogram`) and an open family's [`SeriesRef`].
macro_rules! forward_ops {
    ($param:ident $(: ?$sized:ident)?, $handle:ty) => {
        impl<$param: CounterOps $(+ ?$sized)?> CounterOps for $handle {
            type Value = $param::Value;

            #[inline]
            fn inc(&self) {
                (**self).inc();
            }

            #[inline]
            fn inc_by(&self, n: Self::Value) -> bool {
                (**self).inc_by(n)
            }

            fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
                (**self).inc_with_exemplar(labels)
            }

            fn inc_by_with_exemplar(&self, n: Self::Value, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
                (**self).inc_by_with_exemplar(n, labels)
            }

            #[inline]
            fn get(&self) -> Self::Value {
                (**self).get()
            }
        }

        impl<$param: GaugeOps $(+ ?$sized)?> GaugeOps for $handle {
            type Value = $param::Value;

            #[inline]
            fn set(&self, v: Self::Value) {
                (**self).set(v);
            }

            #[inline]
            fn inc(&self) {
                (**self).inc();
            }

            #[inline]
            fn dec(&self) {
                (**self).dec();
            }

            #[inline]
            fn add(&self, v: Self::Value) {
                (**self).add(v);
            }

            #[inline]
            fn sub(&self, v: Self::Value) {
                (**self).sub(v);
            }

            #[inline]
            fn get(&self) -> Self::Value {
                (**self).get()
            }
        }

        impl<$param: HistogramOps $(+ ?$sized)?> HistogramOps for $handle {
            #[inline]
            fn observe(&self, v: f64) {
                (**self).observe(v);
            }

            fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
                (**self).observe_with_exemplar(v, labels)
            }

            #[inline]
            fn observe_duration(&self, d: Duration) {
                (**self).observe_duration(d);
            }

            fn count(&self) -> u64 {
                (**self).count()
            }

            fn sum(&self) -> f64 {
                (**self).sum()
            }
        }
    };
}

forward_ops!(T: ?Sized, &T);
forward_ops!(C, SeriesRef<C>);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Buckets, DenseFamily, Descriptor, MetricType, OpenFamily, OpenOptions};

    fn desc(name: &'static str, kind: MetricType, labels: &[&'static str]) -> Descriptor {
        Descriptor::builder(name, kind, "Help.").labels(labels.iter().copied()).build().unwrap()
    }

    fn count_twice(c: &impl CounterOps<Value = u64>) -> u64 {
        c.inc();
        assert!(c.inc_by(2), "an integer counter applies every increment");
        c.get()
    }

    fn spend(c: &impl CounterOps<Value = f64>) -> (bool, bool, f64) {
        (c.inc_by(0.5), c.inc_by(-1.0), c.get())
    }

    fn swing<G: GaugeOps>(g: &G, by: G::Value) -> G::Value {
        g.set(by);
        g.add(by);
        g.sub(by);
        g.inc();
        g.dec();
        let guard = g.track_inflight();
        drop(guard);
        g.get()
    }

    fn observe_twice(h: &impl HistogramOps) -> (u64, f64) {
        h.observe(1.5);
        h.observe_duration(Duration::from_millis(500));
        h.start_timer().discard();
        (h.count(), h.sum())
    }

    #[test]
    fn every_counter_handle_takes_the_same_calls() {
        let dense = DenseFamily::<(), Counter>::new(desc("a", MetricType::Counter, &[]), ());
        let open = OpenFamily::<Counter>::new(desc("b", MetricType::Counter, &["x"]), (), OpenOptions::new());
        assert_eq!(count_twice(&dense.get(())), 3);
        assert_eq!(count_twice(&open.get(&["y"])), 3);
        assert_eq!(count_twice(&Counter::new()), 3);
        assert_eq!(count_twice(&&Counter::new()), 3);

        let dense = DenseFamily::<(), FloatCounter>::new(desc("c", MetricType::Counter, &[]), ());
        let open = OpenFamily::<FloatCounter>::new(desc("d", MetricType::Counter, &["x"]), (), OpenOptions::new());
        assert_eq!(spend(&dense.get(())), (true, false, 0.5));
        assert_eq!(spend(&open.get(&["y"])), (true, false, 0.5));
        assert_eq!(spend(&FloatCounter::new()), (true, false, 0.5));
    }

    #[test]
    fn every_gauge_handle_takes_the_same_calls() {
        let dense = DenseFamily::<(), Gauge>::new(desc("a", MetricType::Gauge, &[]), ());
        let open = OpenFamily::<FloatGauge>::new(desc("b", MetricType::Gauge, &["x"]), (), OpenOptions::new());
        assert_eq!(swing(dense.get(()), 7), 7);
        assert_eq!(swing(&open.get(&["y"]), 2.5), 2.5);
        assert_eq!(swing(&Gauge::new(), -3), -3);
        let series = open.get(&["y"]);
        let guard = GaugeOps::track_inflight(&series);
        assert_eq!(series.get(), 3.5, "the guard of an open series holds it up");
        drop(guard);
        assert_eq!(series.get(), 2.5);
    }

    #[test]
    fn every_histogram_handle_takes_the_same_calls() {
        let buckets = Buckets::new([1.0, 2.0]).unwrap();
        let dense = DenseFamily::<(), Histogram>::new(desc("a", MetricType::Histogram, &[]), buckets.clone());
        let open =
            OpenFamily::<Histogram>::new(desc("b", MetricType::Histogram, &["x"]), buckets.clone(), OpenOptions::new());
        assert_eq!(observe_twice(dense.get(())), (2, 2.0));
        assert_eq!(observe_twice(&open.get(&["y"])), (2, 2.0));
        assert_eq!(observe_twice(&Histogram::new(buckets)), (2, 2.0));
    }
}
