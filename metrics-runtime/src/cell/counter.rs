use std::sync::atomic::{AtomicU64, Ordering};

use atomic_float::AtomicF64;

use super::stripe::owned_stripe;
use super::{Metric, reject_update};
use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder, Number};
use crate::family::DenseStorage;

/// A monotonically increasing integer: requests, tokens, errors.
///
/// Exposed as `<name>_total`. One relaxed atomic add per update. This is the cell of a standalone counter
/// and of an [`OpenFamily`](crate::OpenFamily)'s series; the series of a
/// [`DenseFamily`](crate::DenseFamily) of counters are striped ([`StripedCounters`]) and reached through a
/// [`CounterRef`], with the same methods.
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
    type Dense = StripedCounters;
    const KIND: MetricType = MetricType::Counter;

    fn with_config(_: &()) -> Self {
        Counter::new()
    }

    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, created: Option<f64>) {
        family.counter(labels, Number::U64(self.get()), created);
    }
}

/// The series of one cache-line pair: `SERIES_PER_CHUNK` counters, the owned stripe of each in the first
/// line, the shared stripe in the second.
const SERIES_PER_CHUNK: usize = 8;

#[repr(align(128))]
#[derive(Debug)]
struct Chunk {
    owned: [AtomicU64; SERIES_PER_CHUNK],
    shared: [AtomicU64; SERIES_PER_CHUNK],
}

impl Chunk {
    const fn new() -> Self {
        Chunk {
            owned: [const { AtomicU64::new(0) }; SERIES_PER_CHUNK],
            shared: [const { AtomicU64::new(0) }; SERIES_PER_CHUNK],
        }
    }
}

/// The counters of a [`DenseFamily`](crate::DenseFamily): each in two stripes, 16 bytes a series, summed
/// when read.
///
/// One thread at a time owns stripe 0 of every dense counter (the first to update one takes it, for as
/// long as it lives; it is given back when the thread exits): it is the stripe's only writer, so its
/// update is a relaxed load and store, with no read-modify-write. Every other thread adds to the shared
/// stripe with one relaxed atomic add, as a plain [`Counter`] does. The two stripes of a series are on
/// different cache lines, so the owner and the other threads never contend, even on one hot series.
/// A read adds the two stripes: exact and monotonic, since each only grows.
#[derive(Debug)]
pub struct StripedCounters {
    chunks: Box<[Chunk]>,
    len: usize,
}

impl StripedCounters {
    /// `len` counters at zero.
    pub fn new(len: usize) -> Self {
        StripedCounters { chunks: (0..len.div_ceil(SERIES_PER_CHUNK)).map(|_| Chunk::new()).collect(), len }
    }
}

impl DenseStorage for StripedCounters {
    type Config = ();
    type Ref<'a> = CounterRef<'a>;

    fn with_len(len: usize, _: &()) -> Self {
        StripedCounters::new(len)
    }

    fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn get(&self, index: usize) -> CounterRef<'_> {
        assert!(index < self.len, "counter {index} of {}", self.len);
        CounterRef { chunk: &self.chunks[index / SERIES_PER_CHUNK], slot: index % SERIES_PER_CHUNK }
    }

    fn encode(
        &self,
        index: usize,
        family: &mut FamilyEncoder<'_, '_>,
        labels: &dyn EncodeLabels,
        created: Option<f64>,
    ) {
        family.counter(labels, Number::U64(self.get(index).get()), created);
    }
}

/// One counter series of a [`DenseFamily`](crate::DenseFamily): what the accessor `#[metrics]`
/// generates for an enum-labelled (or unlabelled) counter returns.
///
/// A copyable handle with the methods of [`Counter`]. An update from the thread that owns the striped
/// counters' first stripe is a relaxed load and store; from any other thread, one relaxed atomic add (see
/// [`StripedCounters`]).
#[derive(Debug, Clone, Copy)]
pub struct CounterRef<'a> {
    chunk: &'a Chunk,
    slot: usize,
}

impl CounterRef<'_> {
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.inc_by(1);
    }

    /// Adds `n`.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        let slot = self.slot % SERIES_PER_CHUNK;
        if owned_stripe() == Some(0) {
            // This thread is the only writer of stripe 0: a load and a store cannot lose an update, and a
            // read at the same time sees the value before or after, never a torn one.
            let owned = &self.chunk.owned[slot];
            owned.store(owned.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
        } else {
            self.chunk.shared[slot].fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The current value: both stripes added up.
    #[inline]
    pub fn get(&self) -> u64 {
        let slot = self.slot % SERIES_PER_CHUNK;
        self.chunk.owned[slot].load(Ordering::Relaxed).wrapping_add(self.chunk.shared[slot].load(Ordering::Relaxed))
    }
}

/// A monotonically increasing float: spend in dollars, CPU seconds.
///
/// An increment that is negative, NaN or infinite would break the counter's contract (Prometheus reads a
/// drop as a reset); it is refused, counted in [`rejected_updates`](crate::rejected_updates), and never
/// applied.
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
        if v >= 0.0 && v.is_finite() {
            self.value.fetch_add(v, Ordering::Relaxed);
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
    type Dense = Box<[Self]>;
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

    #[test]
    fn striped_counters_add_up_across_threads() {
        let counters = StripedCounters::new(19);
        // More threads than stripes, each well past the updates that earn a stripe: the owner's plain
        // stores and the others' atomic adds land on different stripes and add up exactly.
        std::thread::scope(|s| {
            for t in 0..6 {
                let counters = &counters;
                s.spawn(move || {
                    for i in 0..20_000 {
                        counters.get(i % 19).inc();
                        counters.get(18).inc_by(t);
                    }
                });
            }
        });
        let per_series = 6 * 20_000 / 19;
        for i in 0..18 {
            assert!(counters.get(i).get().abs_diff(per_series) <= 6, "series {i}: {}", counters.get(i).get());
        }
        let total: u64 = (0..19).map(|i| counters.get(i).get()).sum();
        assert_eq!(total, 6 * 20_000 + 20_000 * (1 + 2 + 3 + 4 + 5));
        assert_eq!(counters.len(), 19);
    }

    #[test]
    #[should_panic(expected = "counter 3 of 3")]
    fn striped_counters_refuse_an_index_out_of_range() {
        let _ = StripedCounters::new(3).get(3);
    }
}
