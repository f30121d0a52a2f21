//! Where exemplars are kept: an [`ExemplarSlot`] a counter or classic bucket, replaced whole; the tables of
//! a dense family's counters ([`LazyExemplars`]) and of a histogram's buckets ([`HistogramExemplars`]),
//! allocated at their first exemplar.
//!
//! # Why `arc-swap`
//!
//! A slot is an [`ArcSwapOption`]: one word, null until the first exemplar. Storing one is an allocation
//! (the exemplar's `Arc`) and a lock-free swap of the pointer; a scrape loads the `Arc` whole, so it reads
//! one exemplar or the next, never the labels of one with the value of another. A seqlock over an inline
//! buffer would avoid the allocation but needs a buffer of the largest exemplar (128 code points, up to 512
//! bytes) in every slot, allocated or not, and a reader that retries while a writer is in the middle; with
//! `arc-swap` the reader never waits and an empty slot costs a null pointer. `arc-swap` is a small crate
//! without dependencies of its own, widely used (tokio's and tracing's ecosystems) and maintained since 2018.
//!
//! The price is on the exemplar's own path: a replace allocates the new exemplar, frees the old one and
//! pays `arc-swap`'s readers' debts (about half of an `inc_with_exemplar`, some 300 ns on the bench
//! machine, where prometheus-client's `RwLock` takes about 100; see BENCHMARKS.md). A seqlock over an
//! inline buffer, allocated with the table, is the way to make it cheaper without a lock.
//!
//! A table is allocated by the first exemplar of its family or histogram and installed with a
//! compare-and-swap, so two first exemplars at once never wait on each other either: the loser drops its
//! table and uses the winner's. Updates that carry no exemplar never read a slot or a table.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arc_swap::ArcSwapOption;

use super::Exemplar;

/// The recent exemplars a histogram with native buckets keeps, client_golang's default
/// (`NativeHistogramMaxExemplars`): the protobuf format carries them beside the native buckets.
pub(crate) const NATIVE_EXEMPLARS: usize = 10;

/// One exemplar, replaced whole: null until the first.
#[derive(Default)]
pub(crate) struct ExemplarSlot(ArcSwapOption<Exemplar>);

impl ExemplarSlot {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        ExemplarSlot(ArcSwapOption::const_empty())
    }

    /// Replaces the exemplar.
    pub(crate) fn store(&self, exemplar: Arc<Exemplar>) {
        self.0.store(Some(exemplar));
    }

    /// The exemplar, if any.
    pub(crate) fn load(&self) -> Option<Arc<Exemplar>> {
        self.0.load_full()
    }
}

impl fmt::Debug for ExemplarSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.load(), f)
    }
}

/// A slot for each of a dense family's counters, allocated at the family's first exemplar: one word until
/// then, so that a series stays 16 bytes.
#[derive(Default)]
pub(crate) struct LazyExemplars(ArcSwapOption<Box<[ExemplarSlot]>>);

impl LazyExemplars {
    /// No table yet.
    pub(crate) const fn new() -> Self {
        LazyExemplars(ArcSwapOption::const_empty())
    }

    /// Replaces the exemplar of series `index` of `len`, allocating the table if this is the first.
    pub(crate) fn store(&self, index: usize, len: usize, exemplar: Exemplar) {
        // A borrowed load: no reference count of the table to contend on between writers.
        if let Some(table) = &*self.0.load() {
            return table[index].store(Arc::new(exemplar));
        }
        install(&self.0, || (0..len).map(|_| ExemplarSlot::new()).collect())[index].store(Arc::new(exemplar));
    }

    /// The exemplar of series `index`, if any.
    pub(crate) fn load(&self, index: usize) -> Option<Arc<Exemplar>> {
        self.0.load().as_ref()?.get(index)?.load()
    }
}

impl fmt::Debug for LazyExemplars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyExemplars").field("allocated", &self.0.load().is_some()).finish()
    }
}

/// Installs the table `make` builds in `slot` unless another was installed first, and returns the one
/// installed: a compare-and-swap, so two first exemplars never wait on each other.
#[cold]
fn install<T>(slot: &ArcSwapOption<T>, make: impl FnOnce() -> T) -> Arc<T> {
    let fresh = Arc::new(make());
    let previous = slot.compare_and_swap(&None::<Arc<T>>, Some(fresh.clone()));
    match &*previous {
        Some(theirs) => theirs.clone(),
        None => fresh,
    }
}

/// A histogram's exemplars: one a classic bucket, and with native buckets the [`NATIVE_EXEMPLARS`] most
/// recent, kept in a ring. One word until the first exemplar.
#[derive(Default)]
pub(crate) struct HistogramExemplars(ArcSwapOption<HistogramSlots>);

/// The slots of a histogram that has had an exemplar.
struct HistogramSlots {
    /// One a classic bucket, `+Inf` last; empty without classic buckets.
    buckets: Box<[ExemplarSlot]>,
    /// The ring of recent exemplars of a histogram with native buckets; empty without.
    recent: Box<[ExemplarSlot]>,
    /// The next slot of `recent` to replace, modulo its length.
    next: AtomicUsize,
}

impl HistogramExemplars {
    /// No exemplar yet.
    pub(crate) const fn new() -> Self {
        HistogramExemplars(ArcSwapOption::const_empty())
    }

    /// Keeps `exemplar` as the one of classic bucket `bucket` (of `buckets`, `+Inf` counted) if given,
    /// and among the recent ones if the histogram has native buckets (`native`).
    pub(crate) fn store(&self, exemplar: Exemplar, bucket: Option<usize>, buckets: usize, native: bool) {
        // A borrowed load: no reference count of the table to contend on between writers.
        let guard = self.0.load();
        let installed;
        let slots = match &*guard {
            Some(slots) => slots,
            None => {
                installed = install(&self.0, || HistogramSlots {
                    buckets: (0..buckets).map(|_| ExemplarSlot::new()).collect(),
                    recent: (0..if native { NATIVE_EXEMPLARS } else { 0 }).map(|_| ExemplarSlot::new()).collect(),
                    next: AtomicUsize::new(0),
                });
                &installed
            }
        };
        let exemplar = Arc::new(exemplar);
        if let Some(slot) = bucket.and_then(|b| slots.buckets.get(b)) {
            slot.store(exemplar.clone());
        }
        if !slots.recent.is_empty() {
            let at = slots.next.fetch_add(1, Ordering::Relaxed) % slots.recent.len();
            slots.recent[at].store(exemplar);
        }
    }

    /// Whether no exemplar was ever kept: a scrape then reads nothing more.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.load().is_none()
    }

    /// Fills `out` with the exemplar of each of `buckets` classic buckets (`None` where there is none).
    pub(crate) fn buckets_into(&self, out: &mut Vec<Option<Arc<Exemplar>>>, buckets: usize) {
        out.clear();
        let slots = self.0.load();
        let slots = slots.as_ref().map_or(&[][..], |s| &s.buckets[..]);
        out.extend((0..buckets).map(|i| slots.get(i).and_then(ExemplarSlot::load)));
    }

    /// Fills `out` with the recent exemplars of a histogram with native buckets, oldest first.
    pub(crate) fn recent_into(&self, out: &mut Vec<Arc<Exemplar>>) {
        out.clear();
        if let Some(slots) = &*self.0.load() {
            out.extend(slots.recent.iter().filter_map(ExemplarSlot::load));
        }
        out.sort_by_key(|e| e.timestamp_ms());
    }
}

impl fmt::Debug for HistogramExemplars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HistogramExemplars").field("allocated", &!self.is_empty()).finish()
    }
}
