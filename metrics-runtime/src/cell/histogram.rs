//! [`Histogram`]: observations counted into classic buckets, native buckets, or both; and
//! [`HistogramTimer`].

use std::fmt;
use std::ops::Deref;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::buckets::Buckets;
use super::exemplar::{self, Exemplar, ExemplarError, HistogramExemplars};
use super::first_writer::FirstWriter;
use super::histogram_config::HistogramConfig;
use super::native::{Native, NativeConfig, NativeSnapshot};
use super::ops::HistogramOps;
use super::stripe_claim::{owned_stripe, owned_stripes};
use super::stripe_value::StripeValue;
use super::{Metric, Rejections};
use crate::MetricType;
use crate::encoding::{EncodeLabels, Exemplars, FamilyEncoder, HistogramSnapshot};
use crate::family::SeriesBudget;

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

/// Where a histogram's counts live.
enum Counts {
    /// Classic buckets only: the first writer's compact run, and stripes for the others once there are.
    Classic(Classic),
    /// Native buckets, with the classic buckets' counts beside them.
    Native(Box<Native>),
}

/// The counts of a histogram with classic buckets only.
///
/// The thread that observes first becomes the run's *writer* ([`FirstWriter`]): it alone writes `run`, with
/// loads and stores. Any other thread observing the series is contention seen: the stripes are allocated
/// then, once, and every thread but the writer counts in them as a striped counter does (its owned stripe
/// with loads and stores, the shared one with atomic adds) — unless the writer has exited, in which case
/// that thread takes the run over. A series written by one thread at a time stays compact.
struct Classic {
    /// The bucket counts (`+Inf` last), then the sum's bits: written by the thread tagged `writer` only.
    run: Box<[AtomicU64]>,
    /// The run's writer: the first thread to observe.
    writer: FirstWriter,
    /// `owned_stripes() + 1` runs of `stride` slots, the shared stripe last, laid out as `run`; allocated
    /// when a second thread observes.
    stripes: OnceLock<Box<[Line]>>,
}

impl Classic {
    fn new(buckets: &Buckets) -> Self {
        // Read now, not at the first contended observation: the first read asks the system for its CPUs,
        // which allocates, and an update must not.
        owned_stripes();
        let run = (0..buckets.len() + 2).map(|_| AtomicU64::new(0)).collect();
        Classic { run, writer: FirstWriter::new(), stripes: OnceLock::new() }
    }

    /// Slots per stripe, a multiple of [`LINE_SLOTS`].
    #[inline]
    fn stride(&self) -> usize {
        self.run.len().div_ceil(LINE_SLOTS) * LINE_SLOTS
    }

    /// The slot of the sum, after the counts.
    #[inline]
    fn sum_offset(&self) -> usize {
        self.run.len() - 1
    }

    #[inline]
    fn observe(&self, i: usize, v: f64) {
        if self.writer.is_caller() {
            // The run's only writer: a load and a store cannot lose an update, and a scrape reading at the
            // same time sees the count before or after, never a torn value.
            u64::add_owned(&self.run[i], 1);
            f64::add_owned(&self.run[self.sum_offset()], v);
            return;
        }
        self.observe_striped(i, v);
    }

    /// An observation from a thread other than the run's writer: into the stripes, allocated by the first.
    #[inline(never)]
    fn observe_striped(&self, i: usize, v: f64) {
        if self.stripes.get().is_none() && self.writer.take_over_exited() {
            // The writer has exited, leaving the run to this thread: still no contention.
            u64::add_owned(&self.run[i], 1);
            f64::add_owned(&self.run[self.sum_offset()], v);
            return;
        }
        let stripes = self
            .stripes
            .get_or_init(|| (0..(owned_stripes() + 1) * self.stride() / LINE_SLOTS).map(|_| Line::new()).collect());
        let slot = |index: usize| &stripes[index / LINE_SLOTS].0[index % LINE_SLOTS];
        let stripe = owned_stripe();
        let start = stripe.unwrap_or(owned_stripes()) * self.stride();
        if stripe.is_some() {
            // This thread is the stripe's only writer, as the run's writer is the run's.
            u64::add_owned(slot(start + i), 1);
            f64::add_owned(slot(start + self.sum_offset()), v);
        } else {
            slot(start + i).fetch_add(1, Ordering::Relaxed);
            f64::add_atomic(slot(start + self.sum_offset()), v);
        }
    }

    /// Slot `index` of the run and of every stripe, values read relaxed.
    fn reads(&self, index: usize) -> impl Iterator<Item = u64> + '_ {
        let stride = self.stride();
        let striped = self.stripes.get().into_iter().flat_map(move |lines| {
            (0..lines.len() * LINE_SLOTS / stride).map(move |s| {
                lines[(s * stride + index) / LINE_SLOTS].0[(s * stride + index) % LINE_SLOTS].load(Ordering::Relaxed)
            })
        });
        std::iter::once(self.run[index].load(Ordering::Relaxed)).chain(striped)
    }

    /// The count of bucket `index`, the run and every stripe added up.
    fn bucket_count(&self, index: usize) -> u64 {
        self.reads(index).sum()
    }

    /// The sum, the run's and every stripe's, read after the counts by the callers.
    fn sum(&self) -> f64 {
        self.reads(self.sum_offset()).map(f64::from_bits).sum()
    }

    fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.run) + self.stripes.get().map_or(0, |lines| std::mem::size_of_val(&**lines))
    }
}

/// Observations counted into buckets: latencies, sizes. Classic buckets ([`Buckets`]), native buckets
/// ([`NativeConfig`]), or both ([`HistogramConfig`]).
///
/// # Classic buckets
///
/// `observe` finds the bucket without a branch per bound and updates two relaxed atomics: the bucket's
/// count and the sum. There is no separate total: a scrape derives `_count` and the `+Inf` bucket from the
/// bucket counts it read, so they are always equal, and `_sum`, read after the buckets, lags them by at
/// most the observations in flight.
///
/// A series pays for stripes only once contention is seen. The first thread to observe writes a compact
/// run of the counts and the sum alone, with relaxed loads and stores (no read-modify-write). When another
/// thread observes the series, the stripes are allocated, once, each on cache lines of its own, and every
/// thread but the first counts there: a thread that has made a thousand updates to striped cells takes
/// one of the owned stripes (one per core, at most four) for as long as it lives, and updates it with a
/// load and a store too; the others share one more stripe, updated with atomic adds. A scrape adds the
/// run and the stripes up.
///
/// # Native buckets
///
/// A histogram with native (sparse, exponential) buckets counts each observation in the bucket of its
/// magnitude at its schema (`base^(i-1) < |v| <= base^i`, `base = 2^(2^-schema)`), on the side of its
/// sign, or in the zero bucket when `|v|` is at most the zero threshold; `+Inf` and `-Inf` in the buckets
/// after the largest float's, as the specification places them. Its counts are striped as the classic
/// ones are, and once a bucket exists and the layout is settled, an observation takes no lock, allocates
/// nothing and, from a thread with an owned stripe, makes no read-modify-write. Creating a bucket, and the
/// reductions past [`NativeConfig::with_max_buckets`], take a lock of the series. A scrape derives the
/// count from the native buckets it read, so the count, the zero and native buckets and the classic
/// `+Inf` bucket always agree (see [`NativeSnapshot`]); the protobuf format exposes the native buckets
/// (see [`native_snapshot_into`](Self::native_snapshot_into)), the text formats only the classic ones,
/// or `_sum`, `_count` and `+Inf` for a histogram without.
///
/// A NaN observation is refused and counted: in the cell ([`rejected_updates`](Self::rejected_updates)),
/// and in the registry its family is registered in
/// ([`Registry::rejected_updates`](crate::Registry::rejected_updates)). Every histogram handle implements
/// [`HistogramOps`].
pub struct Histogram {
    buckets: Buckets,
    counts: Counts,
    rejections: Rejections,
    /// The exemplars of `observe_with_exemplar`: one word until the first (`cell/exemplar/`).
    exemplars: HistogramExemplars,
}

impl fmt::Debug for Histogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Histogram")
            .field("buckets", &self.buckets.bounds())
            .field("native", &self.native_config())
            .field("count", &self.count())
            .field("sum", &self.sum())
            .finish()
    }
}

impl Histogram {
    /// An empty histogram with these buckets: a [`Buckets`] (classic buckets), a [`NativeConfig`] (native
    /// buckets) or a [`HistogramConfig`] (either, or both).
    pub fn new(config: impl Into<HistogramConfig>) -> Self {
        Self::with_config(&config.into())
    }

    fn with(config: &HistogramConfig) -> Self {
        let buckets = config.buckets().clone();
        let counts = match config.native_config() {
            Some(native) => {
                let classic = if buckets.is_empty() { 0 } else { buckets.len() + 1 };
                Counts::Native(Box::new(Native::new(*native, classic)))
            }
            None => Counts::Classic(Classic::new(&buckets)),
        };
        Histogram { buckets, counts, rejections: Rejections::new(), exemplars: HistogramExemplars::new() }
    }

    /// The native buckets, if the histogram has them.
    fn native(&self) -> Option<&Native> {
        match &self.counts {
            Counts::Native(native) => Some(native),
            Counts::Classic(_) => None,
        }
    }

    /// Records one observation. NaN is refused and counted (see [`rejected_updates`](Self::rejected_updates)).
    #[inline]
    pub fn observe(&self, v: f64) {
        if v.is_nan() {
            self.rejections.count();
            return;
        }
        match &self.counts {
            Counts::Classic(classic) => classic.observe(self.buckets.index_of(v), v),
            Counts::Native(native) => {
                let classic = (!self.buckets.is_empty()).then(|| self.buckets.index_of(v));
                native.observe(v, classic);
            }
        }
    }

    /// Records one observation and keeps `labels` (a trace id, say) as the exemplar of its classic bucket,
    /// replacing the bucket's previous one, and with native buckets among the histogram's ten most recent
    /// (client_golang's default). The histogram allocates its exemplar slots at its first exemplar.
    ///
    /// A NaN is refused as [`observe`](Self::observe) refuses it ([`ExemplarError::UpdateRefused`]).
    /// Labels whose names are invalid or repeated, or that hold more than 128 code points with their
    /// values, are refused (the observation is recorded all the same) and counted in the registry's
    /// [`rejected_exemplars`](crate::Registry::rejected_exemplars).
    ///
    /// ```
    /// use promstruct::{Buckets, Histogram};
    ///
    /// let latency = Histogram::new(Buckets::new([0.1, 1.0]).unwrap());
    /// latency.observe_with_exemplar(0.4, &[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")]).unwrap();
    /// let exemplars = latency.exemplars();
    /// assert!(exemplars[0].is_none());
    /// assert_eq!(exemplars[1].as_ref().unwrap().value(), 0.4, "the bucket le=1");
    /// ```
    pub fn observe_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        if v.is_nan() {
            self.rejections.count();
            return Err(ExemplarError::UpdateRefused);
        }
        self.observe(v);
        let exemplar = exemplar::checked(labels, v, || self.rejections.count_exemplar())?;
        let classic = (!self.buckets.is_empty()).then(|| self.buckets.index_of(v));
        self.exemplars.store(exemplar, classic, self.classic_slots(), self.native().is_some());
        Ok(())
    }

    /// The exemplar of each classic bucket, `+Inf` last (`None` where none was kept); empty for a
    /// histogram with native buckets only, whose exemplars are [`recent_exemplars`](Self::recent_exemplars).
    pub fn exemplars(&self) -> Vec<Option<std::sync::Arc<Exemplar>>> {
        let mut out = Vec::new();
        self.exemplars.buckets_into(&mut out, self.classic_slots());
        out
    }

    /// The most recent exemplars of a histogram with native buckets, oldest first (at most ten); empty
    /// for one with classic buckets only.
    pub fn recent_exemplars(&self) -> Vec<std::sync::Arc<Exemplar>> {
        let mut out = Vec::new();
        self.exemplars.recent_into(&mut out);
        out
    }

    /// The classic buckets with `+Inf`, or none for a histogram with native buckets only.
    fn classic_slots(&self) -> usize {
        if self.native().is_some() && self.buckets.is_empty() { 0 } else { self.buckets.len() + 1 }
    }

    /// The exemplars a scrape writes, read once: each classic bucket's, and the recent ones of native
    /// buckets. In the text formats, a histogram with native buckets only shows its latest on `+Inf`.
    /// Nothing is read, or allocated, for a histogram that never had one.
    fn exemplars_for(&self, protobuf: bool) -> (Vec<Option<std::sync::Arc<Exemplar>>>, Vec<std::sync::Arc<Exemplar>>) {
        if self.exemplars.is_empty() {
            return (Vec::new(), Vec::new());
        }
        let (mut buckets, mut recent) = (Vec::new(), Vec::new());
        self.exemplars.buckets_into(&mut buckets, self.classic_slots());
        self.exemplars.recent_into(&mut recent);
        if !protobuf && self.classic_slots() == 0 {
            buckets.push(recent.pop());
            recent.clear();
        }
        (buckets, recent)
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

    /// The classic bucket layout; [empty](Buckets::is_empty) for a histogram with native buckets only.
    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    /// The native buckets' configuration, if the histogram has native buckets.
    pub fn native_config(&self) -> Option<&NativeConfig> {
        self.native().map(Native::config)
    }

    /// Fills `out` with one consistent read of a histogram with native buckets (its schema, zero bucket,
    /// buckets on each side, count, sum and classic cumulative counts; see [`NativeSnapshot`]) and returns
    /// true; returns false, leaving `out` as it was, for a histogram with classic buckets only. `out`'s
    /// buffers are reused: keep one snapshot for every scrape and no read allocates once it has grown.
    ///
    /// A histogram whose buckets together are past its limit (each writer's alone within it) is reduced
    /// first, so that the snapshot holds at most `max_buckets` buckets.
    pub fn native_snapshot_into(&self, out: &mut NativeSnapshot) -> bool {
        match self.native() {
            Some(native) => {
                native.snapshot_into(out);
                true
            }
            None => false,
        }
    }

    /// The bytes the histogram keeps beyond its own size: its compact run and, once a second thread has
    /// observed it, its stripes; a native histogram's buckets as they are now (the tables of buckets grow
    /// with the range of values observed, and are kept).
    pub fn heap_bytes(&self) -> usize {
        match &self.counts {
            Counts::Classic(classic) => classic.heap_bytes(),
            Counts::Native(native) => std::mem::size_of::<Native>() + native.heap_bytes(),
        }
    }

    /// Whether a classic-only histogram has grown its stripes (a second thread observed it).
    #[cfg(test)]
    fn is_striped(&self) -> bool {
        matches!(&self.counts, Counts::Classic(c) if c.stripes.get().is_some())
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        match &self.counts {
            Counts::Classic(classic) => (0..=self.buckets.len()).map(|i| classic.bucket_count(i)).sum(),
            Counts::Native(native) => native.count(),
        }
    }

    /// The sum of observations.
    pub fn sum(&self) -> f64 {
        match &self.counts {
            Counts::Classic(classic) => classic.sum(),
            Counts::Native(native) => native.sum(),
        }
    }

    /// Fills `cumulative` with the cumulative classic bucket counts (the last is `+Inf`, the count; just the
    /// count for a histogram with native buckets only) and returns the sum, read after the buckets.
    pub fn snapshot_into(&self, cumulative: &mut Vec<u64>) -> f64 {
        let classic = match &self.counts {
            Counts::Classic(classic) => classic,
            Counts::Native(native) => return native.totals_into(cumulative).sum,
        };
        cumulative.clear();
        let mut total = 0u64;
        for i in 0..=self.buckets.len() {
            total += classic.bucket_count(i);
            cumulative.push(total);
        }
        classic.sum()
    }
}

impl Metric for Histogram {
    type Config = HistogramConfig;
    type Dense = Box<[Self]>;
    const KIND: MetricType = MetricType::Histogram;

    fn with_config(config: &HistogramConfig) -> Self {
        Histogram::with(config)
    }

    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, created: Option<f64>) {
        let (bucket_exemplars, recent) = self.exemplars_for(family.is_protobuf());
        let exemplars = Exemplars { buckets: &bucket_exemplars, native: &recent };
        if let Some(native) = self.native().filter(|_| family.is_protobuf()) {
            // Protobuf carries the native buckets: one consistent read of both kinds.
            let mut snapshot = family.native_scratch();
            native.snapshot_into(&mut snapshot);
            let created = snapshot.reset_at().or(created);
            let classic = HistogramSnapshot {
                buckets: &self.buckets,
                cumulative: snapshot.classic_cumulative(),
                sum: snapshot.sum(),
            };
            family.native_histogram_with_exemplars(labels, classic, &snapshot, created, exemplars);
            family.return_native_scratch(snapshot);
            return;
        }
        let mut cumulative = family.counts_scratch();
        let (buckets, sum, created) = match self.native() {
            Some(native) => {
                let totals = native.totals_into(&mut cumulative);
                // OpenMetrics allows `_sum` only where no observation can be negative: once one is, the
                // histogram is written as one with a negative bound is. A histogram reset past its bucket
                // limit counts from its reset: its created time.
                let signed = totals.negative || totals.sum < 0.0 || totals.sum.is_nan();
                let buckets = if signed { self.buckets.signed() } else { &self.buckets };
                let reset = totals.reset_ms.map(crate::clock::epoch_millis_to_seconds);
                (buckets, totals.sum, reset.or(created))
            }
            None => (&self.buckets, self.snapshot_into(&mut cumulative), created),
        };
        let snapshot = HistogramSnapshot { buckets, cumulative: &cumulative, sum };
        family.histogram_with_exemplars(labels, snapshot, created, exemplars);
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
    fn a_series_grows_stripes_only_once_two_threads_observe_it_at_once() {
        let h = Histogram::new(Buckets::new([1.0, 2.0]).unwrap());
        // Joined, not left to the scope's end: a thread's exit is reported by a thread-local destructor,
        // which runs before `join` returns but may run after the scope's implicit wait does.
        std::thread::scope(|s| s.spawn(|| (0..3000).for_each(|_| h.observe(0.5))).join().unwrap());
        assert!(!h.is_striped(), "one writing thread: compact");
        assert_eq!(h.heap_bytes(), 4 * 8, "three counts and the sum");
        std::thread::scope(|s| s.spawn(|| (0..2000).for_each(|_| h.observe(1.5))).join().unwrap());
        assert!(!h.is_striped(), "a thread after the first writer exited takes the run over");
        let (ready, exit) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|s| {
            s.spawn(|| {
                h.observe(1.5);
                ready.wait();
                exit.wait();
            });
            ready.wait();
            h.observe(3.0);
            exit.wait();
        });
        assert!(h.is_striped(), "a second thread while the writer lives grows the stripes");
        assert!(h.heap_bytes() > 4 * 8);
        assert_eq!(cumulative(&h), (vec![3000, 5001, 5002], 3000.0 * 0.5 + 2001.0 * 1.5 + 3.0));
    }

    #[test]
    fn scrapes_during_contended_observes_never_go_back_and_the_total_is_exact() {
        let h = Histogram::new(Buckets::new([1.0, 2.0, 4.0]).unwrap());
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            for t in 0..3 {
                let (h, done) = (&h, &done);
                s.spawn(move || {
                    for i in 0..20_000u32 {
                        h.observe(f64::from((i + t) % 5));
                    }
                    done.store(true, Ordering::Relaxed);
                });
            }
            let (mut before, mut now) = (Vec::new(), Vec::new());
            while !done.load(Ordering::Relaxed) {
                h.snapshot_into(&mut now);
                assert!(
                    before.iter().zip(&now).all(|(b, n)| b <= n),
                    "no bucket count goes back between scrapes: {before:?} then {now:?}"
                );
                std::mem::swap(&mut before, &mut now);
            }
        });
        let (c, _) = cumulative(&h);
        assert_eq!(*c.last().unwrap(), 60_000);
        assert_eq!(h.count(), 60_000);
    }

    #[test]
    fn an_uncontended_ten_bucket_series_takes_at_most_200_bytes() {
        let h = Histogram::new(Buckets::new([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]).unwrap());
        (0..5000).for_each(|i| h.observe(f64::from(i) / 1000.0));
        let bytes = std::mem::size_of::<Histogram>() + h.heap_bytes();
        assert!(bytes <= 200, "{bytes} bytes");
        assert_eq!(h.heap_bytes(), 12 * 8, "ten bounds, +Inf and the sum");
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
