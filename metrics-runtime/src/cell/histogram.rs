use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use atomic_float::AtomicF64;
use metrics_naming::RuleError;

use super::{Metric, reject_update};
use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder, HistogramSnapshot, canonical_float};

/// The bucket bounds of a histogram, checked once and shared by every series of a family.
///
/// Bounds are finite and strictly increasing; the `+Inf` bucket is implied. The canonical text of each
/// bound (`le="0.25"`) is computed here once, not at every scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets(Arc<BucketsInner>);

#[derive(Debug, PartialEq)]
struct BucketsInner {
    bounds: Box<[f64]>,
    le: Box<[Box<str>]>,
    negative: bool,
}

impl Buckets {
    /// Buckets with these upper bounds (the `+Inf` bucket is added).
    pub fn new(bounds: impl Into<Vec<f64>>) -> Result<Self, RuleError> {
        let bounds: Vec<f64> = bounds.into();
        metrics_naming::check_buckets(&bounds)?;
        let le = bounds.iter().map(|b| canonical_float(*b).into_boxed_str()).collect();
        let negative = bounds.first().is_some_and(|b| *b < 0.0);
        Ok(Buckets(Arc::new(BucketsInner { bounds: bounds.into(), le, negative })))
    }

    /// `count` bounds starting at `start`, `width` apart.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, RuleError> {
        Self::new(metrics_naming::linear_buckets(start, width, count)?)
    }

    /// `count` bounds starting at `start`, each `factor` times the one before.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, RuleError> {
        Self::new(metrics_naming::exponential_buckets(start, factor, count)?)
    }

    /// The finite upper bounds, increasing.
    pub fn bounds(&self) -> &[f64] {
        &self.0.bounds
    }

    /// The number of finite bounds.
    pub fn len(&self) -> usize {
        self.0.bounds.len()
    }

    /// Always false: a layout has at least one bound.
    pub fn is_empty(&self) -> bool {
        self.0.bounds.is_empty()
    }

    pub(crate) fn le_texts(&self) -> &[Box<str>] {
        &self.0.le
    }

    pub(crate) fn has_negative(&self) -> bool {
        self.0.negative
    }

    /// The index of the bucket `v` falls in: the first bound `>= v`, or `len()` for `+Inf`.
    #[inline]
    fn index_of(&self, v: f64) -> usize {
        let bounds = &*self.0.bounds;
        if bounds.len() <= 16 {
            bounds.iter().position(|b| v <= *b).unwrap_or(bounds.len())
        } else {
            bounds.partition_point(|b| *b < v)
        }
    }
}

impl Default for Buckets {
    /// The default buckets of the official clients, for latencies in seconds: 5 ms to 10 s.
    fn default() -> Self {
        Buckets::new(metrics_naming::DEFAULT_BUCKETS).expect("valid default buckets")
    }
}

/// Observations counted into fixed buckets: latencies, sizes.
///
/// `observe` finds the bucket and makes two relaxed atomic adds: the bucket's count and the sum. There is
/// no separate total: a scrape derives `_count` and the `+Inf` bucket from the bucket counts it read, so
/// they are always equal, and `_sum` lags them by at most the observations in flight.
#[derive(Debug)]
pub struct Histogram {
    buckets: Buckets,
    counts: Box<[AtomicU64]>,
    sum: AtomicF64,
}

impl Histogram {
    /// An empty histogram over `buckets`.
    pub fn new(buckets: Buckets) -> Self {
        let counts = (0..=buckets.len()).map(|_| AtomicU64::new(0)).collect();
        Histogram { buckets, counts, sum: AtomicF64::new(0.0) }
    }

    /// Records one observation. NaN is refused and counted in [`rejected_updates`](crate::rejected_updates).
    #[inline]
    pub fn observe(&self, v: f64) {
        if v.is_nan() {
            reject_update();
            return;
        }
        let i = self.buckets.index_of(v);
        self.counts[i].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(v, Ordering::Relaxed);
    }

    /// Records a duration in seconds.
    #[inline]
    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    /// Starts a timer that records the elapsed seconds when dropped.
    pub fn start_timer(&self) -> HistogramTimer<&Histogram> {
        HistogramTimer::new(self)
    }

    /// The bucket layout.
    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|c| c.load(Ordering::Relaxed)).sum()
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        self.sum.load(Ordering::Relaxed)
    }

    /// Fills `cumulative` with the cumulative bucket counts (the last is `+Inf`, the count) and returns the
    /// sum, read after the buckets.
    pub fn snapshot_into(&self, cumulative: &mut Vec<u64>) -> f64 {
        cumulative.clear();
        let mut total = 0u64;
        for c in self.counts.iter() {
            total += c.load(Ordering::Relaxed);
            cumulative.push(total);
        }
        self.sum.load(Ordering::Relaxed)
    }
}

impl Metric for Histogram {
    type Config = Buckets;
    const KIND: MetricType = MetricType::Histogram;

    fn with_config(buckets: &Buckets) -> Self {
        Histogram::new(buckets.clone())
    }

    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, created: Option<f64>) {
        let mut cumulative = family.counts_scratch();
        let sum = self.snapshot_into(&mut cumulative);
        family.histogram(labels, HistogramSnapshot { buckets: &self.buckets, cumulative: &cumulative, sum }, created);
        family.return_counts_scratch(cumulative);
    }
}

/// Records the seconds since it started into its histogram when dropped; see [`Histogram::start_timer`].
#[derive(Debug)]
///
/// `H` is how the timer holds the histogram: a reference, or an owned series handle of an open family.
#[must_use = "the timer records as soon as it drops"]
pub struct HistogramTimer<H: Deref<Target = Histogram>> {
    histogram: H,
    start: Instant,
    armed: bool,
}

impl<H: Deref<Target = Histogram>> HistogramTimer<H> {
    /// Starts timing now.
    pub fn new(histogram: H) -> Self {
        HistogramTimer { histogram, start: Instant::now(), armed: true }
    }

    /// Records now and returns the elapsed time.
    pub fn observe(mut self) -> Duration {
        self.armed = false;
        let elapsed = self.start.elapsed();
        self.histogram.observe_duration(elapsed);
        elapsed
    }

    /// Drops the timer without recording (a request that was cancelled, say).
    pub fn discard(mut self) {
        self.armed = false;
    }
}

impl<H: Deref<Target = Histogram>> Drop for HistogramTimer<H> {
    fn drop(&mut self) {
        if self.armed {
            self.histogram.observe_duration(self.start.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cumulative(h: &Histogram) -> (Vec<u64>, f64) {
        let mut v = Vec::new();
        let sum = h.snapshot_into(&mut v);
        (v, sum)
    }

    #[test]
    fn buckets_are_checked_and_formatted() {
        assert!(Buckets::new([]).is_err());
        assert!(Buckets::new([1.0, 0.5]).is_err());
        assert!(Buckets::new([1.0, 1.0]).is_err());
        assert!(Buckets::new([f64::NAN]).is_err());
        let b = Buckets::new([0.1, 1.0, 1e6]).unwrap();
        assert_eq!(&*b.le_texts()[0], "0.1");
        assert_eq!(&*b.le_texts()[1], "1.0");
        assert_eq!(&*b.le_texts()[2], "1e+06");
        assert_eq!(Buckets::linear(0.0, 0.5, 3).unwrap().bounds(), &[0.0, 0.5, 1.0]);
        assert_eq!(Buckets::exponential(1.0, 10.0, 3).unwrap().bounds(), &[1.0, 10.0, 100.0]);
        assert_eq!(Buckets::default().len(), 11);
    }

    #[test]
    fn observations_land_in_le_buckets() {
        let h = Histogram::new(Buckets::new([1.0, 2.0, 5.0]).unwrap());
        for v in [0.5, 1.0, 1.5, 2.0, 4.0, 5.0, 7.0, -3.0] {
            h.observe(v);
        }
        let (c, sum) = cumulative(&h);
        assert_eq!(c, vec![3, 5, 7, 8]);
        assert_eq!(sum, 18.0);
        assert_eq!(h.count(), 8);
        h.observe(f64::NAN);
        assert_eq!(h.count(), 8, "NaN is refused");
        h.observe(f64::INFINITY);
        assert_eq!(cumulative(&h).0, vec![3, 5, 7, 9]);
    }

    #[test]
    fn many_buckets_use_binary_search() {
        let b = Buckets::linear(0.0, 1.0, 40).unwrap();
        let h = Histogram::new(b);
        for v in 0..50 {
            h.observe(v as f64 - 0.5);
        }
        let (c, _) = cumulative(&h);
        assert_eq!(c[0], 1, "-0.5 goes to le=0");
        assert_eq!(c[39], 40);
        assert_eq!(c[40], 50);
    }

    #[test]
    fn timer_records_once() {
        let h = Histogram::new(Buckets::default());
        {
            let _t = h.start_timer();
        }
        assert_eq!(h.count(), 1);
        let d = h.start_timer().observe();
        assert_eq!(h.count(), 2);
        assert!(h.sum() >= d.as_secs_f64());
        h.start_timer().discard();
        assert_eq!(h.count(), 2);
    }
}
