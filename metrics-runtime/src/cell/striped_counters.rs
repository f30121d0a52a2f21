//! The counters of a dense family, striped: the thread that owns stripe 0 updates with a plain load and
//! store, every other thread with an atomic add on another cache line.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::FloatCounter;
use super::exemplar::{self, Exemplar, ExemplarError, LazyExemplars};
use super::rejections::Rejections;
use super::stripe_claim::owned_stripe;
use crate::encoding::{EncodeLabels, FamilyEncoder};
use crate::family::{DenseStorage, SealedStorage, SeriesBudget};

/// The series of one cache-line pair: the owned stripe of each in the first line, the shared stripe in
/// the second. Eight to a pair keeps a series at 16 bytes with no padding.
const SERIES_PER_CHUNK: usize = 8;

#[repr(align(128))]
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

/// The value a striped counter holds: `u64` for a [`Counter`](crate::Counter), `f64` for a
/// [`FloatCounter`]. Sealed: named in bounds (`CounterRef<'_, V>`), implemented by those two alone.
///
/// ```compile_fail,E0277
/// #[derive(Clone, Copy, Debug)]
/// struct Cents(u32);
///
/// impl promstruct::cell::CounterValue for Cents {}
/// ```
pub trait CounterValue: Copy + Send + Sync + fmt::Debug + 'static + seal::Sealed {}

impl CounterValue for u64 {}
impl CounterValue for f64 {}

mod seal {
    use super::super::stripe_value::StripeValue;

    /// The seal of [`CounterValue`](super::CounterValue): a trait in a private module, which no type
    /// outside the crate can implement.
    pub trait Sealed: StripeValue {
        /// The value as an exemplar holds it.
        fn as_f64(self) -> f64;
    }

    impl Sealed for u64 {
        #[inline]
        fn as_f64(self) -> f64 {
            self as f64
        }
    }

    impl Sealed for f64 {
        #[inline]
        fn as_f64(self) -> f64 {
            self
        }
    }
}

/// The counters of a [`DenseFamily`](crate::DenseFamily), each in two stripes: 16 bytes a series, summed
/// when read. `V` is `u64` for [`Counter`](crate::Counter)s, `f64` for [`FloatCounter`]s.
///
/// One thread at a time owns stripe 0 of every dense counter: a thread takes it once it has made a
/// thousand updates to striped cells, if no other thread holds it, and keeps it for as long as it lives.
/// It is the stripe's only writer, so its update is a relaxed load and store, with no read-modify-write.
/// Every other thread adds to the shared stripe atomically, as a plain [`Counter`](crate::Counter) does.
/// The two stripes of a series are on different cache lines, so the owner and the other threads do not
/// contend, even on one hot series. A read adds the two stripes: exact, and monotonic since each stripe only grows.
///
/// The float counters' refusals are counted per family, in `rejections`: 16 bytes a series leave no room
/// for a count each. So are the exemplars: a table of one slot a series, allocated at the family's first
/// exemplar (one word until then). Private to the crate: the storage [`Metric::Dense`](super::Metric::Dense) names for
/// counters, reached only through [`DenseFamily`](crate::DenseFamily).
pub struct StripedCounters<V: CounterValue> {
    chunks: Box<[Chunk]>,
    side: Side,
    value: PhantomData<V>,
}

/// What a dense family's counters keep beside their stripes, per family: the count of series, the refusals
/// and the exemplars.
struct Side {
    len: usize,
    rejections: Rejections,
    exemplars: LazyExemplars,
}

impl<V: CounterValue> fmt::Debug for StripedCounters<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries((0..self.side.len).map(|i| self.get(i).value())).finish()
    }
}

impl<V: CounterValue> StripedCounters<V> {
    /// `len` counters at zero.
    pub(crate) fn new(len: usize) -> Self {
        let chunks = (0..len.div_ceil(SERIES_PER_CHUNK)).map(|_| Chunk::new()).collect();
        let side = Side { len, rejections: Rejections::new(), exemplars: LazyExemplars::new() };
        StripedCounters { chunks, side, value: PhantomData }
    }
}

impl<V: CounterValue> SealedStorage for StripedCounters<V> {}

impl<V: CounterValue> DenseStorage for StripedCounters<V> {
    type Config = ();
    type Ref<'a> = CounterRef<'a, V>;

    fn with_len(len: usize, _: &(), _: &crate::Descriptor) -> Self {
        StripedCounters::new(len)
    }

    fn len(&self) -> usize {
        self.side.len
    }

    #[inline]
    fn get(&self, index: usize) -> CounterRef<'_, V> {
        assert!(index < self.side.len, "counter {index} of {}", self.side.len);
        CounterRef { chunk: &self.chunks[index / SERIES_PER_CHUNK], index, side: &self.side, value: PhantomData }
    }

    fn bind(&self, budget: &SeriesBudget) {
        self.side.rejections.bind(budget);
    }

    fn encode(
        &self,
        index: usize,
        family: &mut FamilyEncoder<'_, '_>,
        labels: &dyn EncodeLabels,
        created: Option<f64>,
    ) {
        let exemplar = self.side.exemplars.load(index);
        family.counter_with_exemplar(labels, self.get(index).value().number(), created, exemplar.as_deref());
    }
}

/// One counter series of a [`DenseFamily`](crate::DenseFamily): what the accessor `#[metrics]` generates
/// for an enum-labelled (or unlabelled) counter returns.
///
/// A copyable handle with the methods of [`Counter`](crate::Counter) (`V = u64`) or of [`FloatCounter`]
/// (`V = f64`), and [`CounterOps`](crate::CounterOps). Each series is two stripes on different cache
/// lines: an update from the thread that owns the first stripe (a thread that has made a thousand updates
/// to striped cells, while no other holds it) is a relaxed load and store; from any other thread, one
/// relaxed atomic add on the second. A read adds both. Three words: the series' chunk, its index, and
/// what its family keeps beside the stripes (refusals, exemplars), read only by the exemplar methods and
/// by a refused increment.
pub struct CounterRef<'a, V: CounterValue = u64> {
    chunk: &'a Chunk,
    index: usize,
    side: &'a Side,
    value: PhantomData<V>,
}

impl<V: CounterValue> Clone for CounterRef<'_, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V: CounterValue> Copy for CounterRef<'_, V> {}

impl<V: CounterValue> fmt::Debug for CounterRef<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CounterRef").field("value", &self.value()).finish()
    }
}

impl<V: CounterValue> CounterRef<'_, V> {
    #[inline]
    fn add(&self, n: V) {
        self.add_as(owned_stripe() == Some(0), n);
    }

    /// Adds `n` to the owned stripe if `owner` (the calling thread owns stripe 0), else to the shared one.
    /// (The remainder of `index` is below `SERIES_PER_CHUNK`; it lets the compiler drop the bounds checks.)
    #[inline]
    fn add_as(&self, owner: bool, n: V) {
        let slot = self.index % SERIES_PER_CHUNK;
        if owner {
            // This thread is the only writer of stripe 0.
            V::add_owned(&self.chunk.owned[slot], n);
        } else {
            V::add_atomic(&self.chunk.shared[slot], n);
        }
    }

    /// Keeps `labels` as the exemplar of an increment of `n` already applied.
    fn keep_exemplar(&self, n: V, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        let exemplar = exemplar::checked(labels, n.as_f64(), || self.side.rejections.count_exemplar())?;
        self.side.exemplars.store(self.index, self.side.len, exemplar);
        Ok(())
    }

    /// The exemplar of the latest increment of this series that carried one.
    pub fn exemplar(&self) -> Option<Arc<Exemplar>> {
        self.side.exemplars.load(self.index)
    }

    /// Both stripes added up.
    #[inline]
    fn value(&self) -> V {
        let slot = self.index % SERIES_PER_CHUNK;
        V::total(self.chunk.owned[slot].load(Ordering::Relaxed), self.chunk.shared[slot].load(Ordering::Relaxed))
    }
}

impl CounterRef<'_, u64> {
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n`.
    #[inline]
    pub fn inc_by(&self, n: u64) {
        self.add(n);
    }

    /// Adds one and keeps `labels` as the series' exemplar; see
    /// [`Counter::inc_with_exemplar`](crate::Counter::inc_with_exemplar). The family allocates its table
    /// of exemplars, one slot a series, at its first.
    pub fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        self.inc_by_with_exemplar(1, labels)
    }

    /// Adds `n` and keeps `labels` as the series' exemplar, of value `n`.
    pub fn inc_by_with_exemplar(&self, n: u64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        self.add(n);
        self.keep_exemplar(n, labels)
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> u64 {
        self.value()
    }
}

impl CounterRef<'_, f64> {
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Adds `v` if it is finite and not negative; returns whether it was applied. Like
    /// [`FloatCounter::inc_by`], a refused increment is counted: in the family (see
    /// [`rejected_updates`](Self::rejected_updates)) and in the registry it is registered in
    /// ([`Registry::rejected_updates`](crate::Registry::rejected_updates)).
    #[inline]
    pub fn inc_by(&self, v: f64) -> bool {
        if FloatCounter::accepts(v) {
            self.add(v);
            true
        } else {
            self.side.rejections.count();
            false
        }
    }

    /// Adds one and keeps `labels` as the series' exemplar; see
    /// [`FloatCounter::inc_with_exemplar`].
    pub fn inc_with_exemplar(&self, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        self.inc_by_with_exemplar(1.0, labels)
    }

    /// Adds `v` if [`inc_by`](Self::inc_by) takes it and keeps `labels` as the series' exemplar; see
    /// [`FloatCounter::inc_by_with_exemplar`].
    pub fn inc_by_with_exemplar(&self, v: f64, labels: &[(&str, &str)]) -> Result<(), ExemplarError> {
        if !self.inc_by(v) {
            return Err(ExemplarError::UpdateRefused);
        }
        self.keep_exemplar(v, labels)
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> f64 {
        self.value()
    }

    /// The increments refused by the float counters of this series' family, every series together (16
    /// bytes a series leave no room for a count each), registered or not.
    pub fn rejected_updates(&self) -> u64 {
        self.side.rejections.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn striped_counters_add_up_across_threads() {
        let counters = StripedCounters::<u64>::new(19);
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
    fn the_owner_stores_into_its_stripe_the_others_add_to_the_shared_one_and_a_read_sums_both() {
        let counters = StripedCounters::<u64>::new(10);
        let (series, neighbour) = (counters.get(9), counters.get(8));
        series.add_as(true, 5);
        series.add_as(true, 2);
        series.add_as(false, 30);
        series.add_as(false, 400);
        assert_eq!(series.chunk.owned[1].load(Ordering::Relaxed), 7);
        assert_eq!(series.chunk.shared[1].load(Ordering::Relaxed), 430);
        assert_eq!(series.get(), 437);
        assert_eq!(neighbour.get(), 0, "the series next to it is untouched");
        let float_counters = StripedCounters::<f64>::new(1);
        let floats = float_counters.get(0);
        floats.add_as(true, 0.25);
        floats.add_as(false, 1.5);
        floats.add_as(false, 1.5);
        assert_eq!(f64::from_bits(floats.chunk.owned[0].load(Ordering::Relaxed)), 0.25);
        assert_eq!(floats.get(), 3.25);
    }

    #[test]
    #[should_panic(expected = "counter 3 of 3")]
    fn striped_counters_refuse_an_index_out_of_range() {
        let _ = StripedCounters::<u64>::new(3).get(3);
    }

    #[test]
    fn striped_float_counters_add_up_and_refuse_what_would_break_them() {
        let counters = StripedCounters::<f64>::new(2);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let counters = &counters;
                s.spawn(move || {
                    for _ in 0..5_000 {
                        counters.get(0).inc();
                        assert!(counters.get(1).inc_by(0.5));
                    }
                });
            }
        });
        assert_eq!(counters.get(0).get(), 20_000.0);
        assert_eq!(counters.get(1).get(), 10_000.0);
        assert_eq!(counters.get(0).rejected_updates(), 0);
        for v in [-1.0, f64::NAN, f64::INFINITY] {
            assert!(!counters.get(1).inc_by(v));
        }
        assert_eq!(counters.get(1).get(), 10_000.0);
        assert_eq!(counters.get(0).rejected_updates(), 3, "the family's float counters count refusals together");
    }

    #[test]
    fn bound_float_counters_report_refusals_to_the_registry_and_handles_stay_three_words() {
        let counters = StripedCounters::<f64>::new(2);
        let budget = SeriesBudget::new(10);
        assert!(!counters.get(0).inc_by(-1.0));
        counters.bind(&budget);
        assert!(!counters.get(1).inc_by(f64::NAN));
        assert!(counters.get(1).inc_by(2.0));
        assert_eq!(budget.rejected(), 1, "what was refused after binding");
        assert_eq!(counters.get(0).rejected_updates(), 2);
        assert_eq!(std::mem::size_of::<CounterRef<'_, u64>>(), 3 * std::mem::size_of::<usize>());
        assert_eq!(std::mem::size_of::<CounterRef<'_, f64>>(), 3 * std::mem::size_of::<usize>());
    }
}
