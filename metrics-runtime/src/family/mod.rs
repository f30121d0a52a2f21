//! Families: the series of one metric, one per label combination.
//!
//! Storage follows the label types. [`DenseFamily`] holds every combination of enum labels in a flat
//! array indexed by their ordinals: no hash, no lock, no allocation on update. [`OpenFamily`] holds series
//! whose labels include open strings in a sharded map bounded by `max_series`; past the bound, updates go
//! to an overflow series and are counted.

mod dense;
mod open;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};

pub(crate) use dense::SealedStorage;
pub use dense::{DenseFamily, DenseStorage};
pub use open::{OVERFLOW_VALUE, OVERFLOW_WARNING_INTERVAL_MS, OpenFamily, OpenOptions, SeriesRef};

/// The series budget of a registry: the total series limit shared by every family registered in it, and
/// the count of updates their series refused.
///
/// Families created at run time take a slot per new series and give it back when the series is dropped;
/// an enum-labelled family's series are fixed at compile time and are counted without being refused.
/// A family bound to the budget ([`Collect::bind`](crate::Collect::bind)) binds its cells too: an update
/// a cell refuses (a negative float counter increment, a NaN observation) is counted in
/// [`rejected`](SeriesBudget::rejected), so each registry counts its own series' refusals.
#[derive(Debug, Clone)]
pub struct SeriesBudget(Arc<BudgetInner>);

#[derive(Debug)]
struct BudgetInner {
    limit: usize,
    per_family: usize,
    used: AtomicUsize,
    overflowed: AtomicU64,
    rejected: AtomicU64,
    rejected_exemplars: AtomicU64,
    /// Where the cells bound to this budget find it ([`SeriesBudget::bound_id`]), once one is.
    bound_id: OnceLock<Option<u32>>,
}

/// A [`SeriesBudget`] that a cell bound to it refers to without keeping it alive.
#[derive(Debug, Clone)]
pub(crate) struct WeakBudget(Weak<BudgetInner>);

impl WeakBudget {
    /// The budget, if its registry is still alive.
    pub(crate) fn upgrade(&self) -> Option<SeriesBudget> {
        self.0.upgrade().map(SeriesBudget)
    }
}

impl SeriesBudget {
    /// A budget of `limit` series, open families without a bound of their own bounded at
    /// [`DEFAULT_MAX_SERIES`](promstruct_naming::DEFAULT_MAX_SERIES).
    pub fn new(limit: usize) -> Self {
        Self::with_per_family(limit, promstruct_naming::DEFAULT_MAX_SERIES)
    }

    /// A budget of `limit` series, open families without a bound of their own bounded at `per_family`.
    pub fn with_per_family(limit: usize, per_family: usize) -> Self {
        SeriesBudget(Arc::new(BudgetInner {
            limit,
            per_family,
            used: AtomicUsize::new(0),
            overflowed: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            rejected_exemplars: AtomicU64::new(0),
            bound_id: OnceLock::new(),
        }))
    }

    /// The bound of an open family that sets no `max_series` of its own.
    pub fn per_family(&self) -> usize {
        self.0.per_family
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.0.limit
    }

    /// The series counted now.
    pub fn used(&self) -> usize {
        self.0.used.load(Ordering::Relaxed)
    }

    /// Updates that went to an overflow series, in every family bound to this budget.
    pub fn overflowed(&self) -> u64 {
        self.0.overflowed.load(Ordering::Relaxed)
    }

    /// Updates refused by the series of every family bound to this budget since it was bound: float counter
    /// increments that are negative, NaN or infinite, NaN observations of histograms.
    pub fn rejected(&self) -> u64 {
        self.0.rejected.load(Ordering::Relaxed)
    }

    /// Counts `n` series that exist whatever the limit says.
    pub(crate) fn reserve_fixed(&self, n: usize) {
        self.0.used.fetch_add(n, Ordering::Relaxed);
    }

    /// Takes one slot if the limit allows.
    pub(crate) fn try_acquire(&self) -> bool {
        self.0.used.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < self.0.limit).then_some(n + 1)).is_ok()
    }

    /// Gives one slot back.
    pub(crate) fn release(&self) {
        self.0.used.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn count_overflow(&self) {
        self.0.overflowed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one update a bound cell refused.
    pub(crate) fn count_rejected(&self) {
        self.0.rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Exemplars refused by the series of every family bound to this budget since it was bound: labels over
    /// 128 code points, invalid or repeated label names.
    pub fn rejected_exemplars(&self) -> u64 {
        self.0.rejected_exemplars.load(Ordering::Relaxed)
    }

    /// Counts one exemplar a bound cell refused.
    pub(crate) fn count_rejected_exemplar(&self) {
        self.0.rejected_exemplars.fetch_add(1, Ordering::Relaxed);
    }

    /// The number the cells bound to this budget keep to find it, given once by `assign` (a weak reference
    /// of the budget, to a number or `None` if none is left), then the same every time.
    pub(crate) fn bound_id(&self, assign: impl FnOnce(WeakBudget) -> Option<u32>) -> Option<u32> {
        *self.0.bound_id.get_or_init(|| assign(WeakBudget(Arc::downgrade(&self.0))))
    }
}

/// The budget a cell without [`Rejections`](crate::cell::Rejections) (a plain [`Counter`](crate::Counter))
/// counts its refused exemplars in: one word, set once when the cell is bound, read only when an exemplar
/// is refused.
#[derive(Default)]
pub(crate) struct BoundBudget(arc_swap::ArcSwapOption<BudgetInner>);

impl BoundBudget {
    /// Not bound.
    pub(crate) const fn new() -> Self {
        BoundBudget(arc_swap::ArcSwapOption::const_empty())
    }

    /// Binds `budget`, unless one was bound already (the first registry keeps the cell, as with
    /// [`Rejections`](crate::cell::Rejections)).
    pub(crate) fn bind(&self, budget: &SeriesBudget) {
        let _ = self.0.compare_and_swap(&None::<Arc<BudgetInner>>, Some(budget.0.clone()));
    }

    /// Counts one refused exemplar in the bound budget, if any.
    #[cold]
    pub(crate) fn count_rejected_exemplar(&self) {
        if let Some(inner) = &*self.0.load() {
            inner.rejected_exemplars.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl std::fmt::Debug for BoundBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundBudget").field("bound", &self.0.load().is_some()).finish()
    }
}
