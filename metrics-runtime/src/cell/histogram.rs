use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use promstruct_naming::RuleError;

use super::ops::HistogramOps;
use super::stripe_claim::{owned_stripe, owned_stripes};
use super::stripe_value::StripeValue;
use super::{Metric, Rejections};
use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder, HistogramSnapshot, canonical_float};
use crate::family::SeriesBudget;

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
        promstruct_naming::check_buckets(&bounds)?;
        let le = bounds.iter().map(|b| canonical_float(*b).into_boxed_str()).collect();
        let negative = bounds.first().is_some_and(|b| *b < 0.0);
        Ok(Buckets(Arc::new(BucketsInner { bounds: bounds.into(), le, negative })))
    }

    /// `count` bounds starting at `start`, `width` apart.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, RuleError> {
        Self::new(promstruct_naming::linear_buckets(start, width, count)?)
    }

    /// `count` bounds starting at `start`, each `factor` times the one before.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, RuleError> {
        Self::new(promstruct_naming::exponential_buckets(start, factor, count)?)
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
            // The number of bounds below `v`, counted without a branch per bound: with observations spread
            // over the buckets, the exit of a search loop is mispredicted more often than not.
            bounds.iter().map(|b| usize::from(v > *b)).sum()
        } else {
            bounds.partition_point(|b| *b < v)
        }
    }
}

impl Default for Buckets {
    /// The default buckets of the official clients, for latencies in seconds: 5 ms to 10 s.
    fn default() -> Self {
        Buckets::new(promstruct_naming::DEFAULT_BUCKETS).expect("valid default buckets")
    }
}

/// The slots of one [`Line`].
const LINE_SLOTS: usize = 16;

/// Two cache lines of slots, aligned so that no two stripes share one: Intel's adjacent-line prefetcher
/// fetches lines in pairs, so 128 bytes is the unit two cores contend on.
#[repr(align(128))]
struct Line([AtomicU64; LINE_SLOTS]);

impl Line {
    const fn new() -> Self {
        Line([const { AtomicU64::new(0) }; LINE_SLOTS])
    }
}

/// Observations counted into fixed buckets: latencies, sizes.
///
/// `observe` finds the bucket without a branch per bound and updates two relaxed atomics: the bucket's
/// count and the sum. There is no separate total: a scrape derives `_count` and the `+Inf` bucket from the
/// bucket counts it read, so they are always equal, and `_sum`, read after the buckets, lags them by at
/// most the observations in flight.
///
/// The counts and the sum are striped, each stripe on cache lines of its own, and a scrape adds the
/// stripes up. A thread that has made a thousand updates to striped cells takes one of the owned stripes
/// (one per core, at most four) for as long as it lives: no other thread writes that stripe, so its
/// updates are a relaxed load and store, with no read-modify-write and no contention. Other threads share
/// one more stripe, updated with atomic adds.
///
/// A NaN observation is refused and counted: in the cell ([`rejected_updates`](Self::rejected_updates)),
/// and in the registry its family is registered in
/// ([`Registry::rejected_updates`](crate::Registry::rejected_updates)). Every histogram handle implements
/// [`HistogramOps`].
pub struct Histogram {
    buckets: Buckets,
    /// `owned + 1` runs of `stride` slots, the shared stripe last: the bucket counts (`+Inf` last), then
    /// the sum's bits.
    lines: Box<[Line]>,
    /// Slots per stripe, a multiple of [`LINE_SLOTS`].
    stride: usize,
    /// The number of owned stripes.
    owned: usize,
    rejections: Rejections,
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("buckets", &self.buckets.bounds())
            .field("count", &self.count())
            .field("sum", &self.sum())
            .finish()
    }
}

impl Histogram {
    /// An empty histogram over `buckets`.
    pub fn new(buckets: Buckets) -> Self {
        // The bucket counts, `+Inf` among them, and the sum.
        let stride = (buckets.len() + 2).div_ceil(LINE_SLOTS) * LINE_SLOTS;
        let owned = owned_stripes();
        let lines = (0..(owned + 1) * stride / LINE_SLOTS).map(|_| Line::new()).collect();
        Histogram { buckets, lines, stride, owned, rejections: Rejections::new() }
    }

    #[inline]
    fn slot(&self, index: usize) -> &AtomicU64 {
        &self.lines[index / LINE_SLOTS].0[index % LINE_SLOTS]
    }

    /// The first slot of stripe `stripe`.
    #[inline]
    fn stripe_start(&self, stripe: usize) -> usize {
        stripe * self.stride
    }

    /// The slot of the sum in a stripe, after the counts.
    #[inline]
    fn sum_offset(&self) -> usize {
        self.buckets.len() + 1
    }

    fn stripe_count(&self) -> usize {
        self.owned + 1
    }

    /// Records one observation. NaN is refused and counted (see [`rejected_updates`](Self::rejected_updates)).
    #[inline]
    pub fn observe(&self, v: f64) {
        if v.is_nan() {
            self.rejections.count();
            return;
        }
        let i = self.buckets.index_of(v);
        if let Some(stripe) = owned_stripe() {
            // This thread is the stripe's only writer: a load and a store cannot lose an update, and a
            // scrape reading at the same time sees the count before or after, never a torn value.
            let start = self.stripe_start(stripe);
            u64::add_owned(self.slot(start + i), 1);
            f64::add_owned(self.slot(start + self.sum_offset()), v);
            return;
        }
        let start = self.stripe_start(self.owned);
        self.slot(start + i).fetch_add(1, Ordering::Relaxed);
        f64::add_atomic(self.slot(start + self.sum_offset()), v);
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

    /// The observations this histogram refused (NaN), whether or not its family is registered (a cell
    /// outside any registry counts its refusals here only).
    pub fn rejected_updates(&self) -> u64 {
        self.rejections.get()
    }

    /// The bucket layout.
    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    /// The count of bucket `index` (`buckets().len()` for `+Inf`), every stripe added up.
    fn bucket_count(&self, index: usize) -> u64 {
        (0..self.stripe_count()).map(|s| self.slot(self.stripe_start(s) + index).load(Ordering::Relaxed)).sum()
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        (0..=self.buckets.len()).map(|i| self.bucket_count(i)).sum()
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        let offset = self.sum_offset();
        (0..self.stripe_count())
            .map(|s| f64::from_bits(self.slot(self.stripe_start(s) + offset).load(Ordering::Relaxed)))
            .sum()
    }

    /// Fills `cumulative` with the cumulative bucket counts (the last is `+Inf`, the count) and returns the
    /// sum, read after the buckets.
    pub fn snapshot_into(&self, cumulative: &mut Vec<u64>) -> f64 {
        cumulative.clear();
        let mut total = 0u64;
        for i in 0..=self.buckets.len() {
            total += self.bucket_count(i);
            cumulative.push(total);
        }
        self.sum()
    }
}

impl Metric for Histogram {
    type Config = Buckets;
    type Dense = Box<[Self]>;
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

    fn bind(&self, budget: &SeriesBudget) {
        self.rejections.bind(budget);
    }
}

/// Records the seconds since it started into its histogram when dropped; see [`Histogram::start_timer`]
/// and [`HistogramOps::start_timer`].
///
/// `H` is how the timer holds the histogram: a reference, or an owned series handle of an open family;
/// anything that dereferences to a [`HistogramOps`].
#[derive(Debug)]
#[must_use = "the timer records as soon as it drops"]
pub struct HistogramTimer<H: Deref<Target: HistogramOps>> {
    histogram: H,
    start: Instant,
    armed: bool,
}

impl<H: Deref<Target: HistogramOps>> HistogramTimer<H> {
    /// Starts timing now.
    pub fn new(histogram: H) -> Self {
        HistogramTimer { histogram, start: Instant::now(), armed: true }
    }

    /// Records now and returns the elapsed time.
    pub fn observe(mut self) -> Duration {
        self.armed = false;
        let elapsed = self.start.elapsed();
        HistogramOps::observe_duration(&*self.histogram, elapsed);
        elapsed
    }

    /// Drops the timer without recording (a request that was cancelled, say).
    pub fn discard(mut self) {
        self.armed = false;
    }
}

impl<H: Deref<Target: HistogramOps>> Drop for HistogramTimer<H> {
    fn drop(&mut self) {
        if self.armed {
            HistogramOps::observe_duration(&*self.histogram, self.start.elapsed());
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
        assert_eq!(h.rejected_updates(), 1, "and counted in the cell");
        h.observe(f64::INFINITY);
        assert_eq!(cumulative(&h).0, vec![3, 5, 7, 9]);
    }

    #[test]
    fn stripes_add_up_across_threads() {
        let h = Histogram::new(Buckets::new([1.0, 2.0]).unwrap());
        std::thread::scope(|s| {
            for t in 0..6 {
                let h = &h;
                s.spawn(move || {
                    for _ in 0..1000 {
                        h.observe(t as f64 * 0.5);
                    }
                });
            }
        });
        let (c, sum) = cumulative(&h);
        assert_eq!(c, vec![3000, 5000, 6000]);
        assert_eq!(h.count(), 6000);
        assert_eq!(sum, 7500.0);
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
