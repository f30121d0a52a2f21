//! Where a cell counts the updates it refuses (a negative or NaN float counter increment, a NaN
//! observation): in itself, and in the registry that exposes it once its family is registered.
//!
//! Only the refusal path touches this: an accepted update never reads it. A cell pays one word for it:
//! the count of its own refusals and the number of the registry it is bound to share a `u64`, and the
//! registry is found through a process-wide table of the [`SeriesBudget`]s that cells were bound to.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

use crate::family::{SeriesBudget, WeakBudget};

/// The bits of [`Rejections`]' word that count the cell's own refusals; the bits above hold the bound
/// budget's number in [`BOUND`] plus one (0: none).
const COUNT_BITS: u32 = 40;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;
/// Budget numbers: the 24 bits above the count, less the 0 of "none".
const MAX_BUDGETS: usize = (1 << (64 - COUNT_BITS)) - 1;

/// Every budget a cell was ever bound to, by its number: weak, so that a registry dropped is freed (its
/// entry, a pointer, stays: a number is never given to another budget, as a cell may still hold it).
static BOUND: RwLock<Vec<WeakBudget>> = RwLock::new(Vec::new());

/// The number of `budget` in [`BOUND`], given it at its first binding; `None` once [`MAX_BUDGETS`]
/// budgets have been numbered (a process that made sixteen million registries binds no more).
fn budget_number(budget: &SeriesBudget) -> Option<u32> {
    budget.bound_id(|weak| {
        let mut bound = BOUND.write().unwrap_or_else(PoisonError::into_inner);
        (bound.len() < MAX_BUDGETS).then(|| {
            bound.push(weak);
            bound.len() as u32
        })
    })
}

/// The budget whose number a [`Rejections`] word holds, if one is bound and its registry is alive.
fn bound_budget(word: u64) -> Option<SeriesBudget> {
    let number = (word >> COUNT_BITS) as usize;
    let bound = BOUND.read().unwrap_or_else(PoisonError::into_inner);
    (number != 0).then(|| bound[number - 1].upgrade()).flatten()
}

/// The refusals of one cell (or of a dense family's float counters, counted together), and the registry
/// they are reported to, in one word.
///
/// A refusal is counted here always, so a cell outside any registry still knows its own (up to 2^40 - 1,
/// where the cell's own count stops; the registry's goes on); once the family holding the cell is
/// registered ([`Metric::bind`](super::Metric::bind), from [`Collect::bind`](crate::Collect::bind)), it is
/// counted in that registry's [`SeriesBudget`] too, which
/// [`Registry::rejected_updates`](crate::Registry::rejected_updates) reads. A cell registered twice
/// reports to the first registry, as its family's series count in the first registry's budget.
#[derive(Default)]
pub(crate) struct Rejections(AtomicU64);

impl Rejections {
    /// No refusal yet, and no registry.
    pub(crate) const fn new() -> Self {
        Rejections(AtomicU64::new(0))
    }

    /// Counts one refused update, here and in the registry bound, if any.
    #[cold]
    #[inline(never)]
    pub(crate) fn count(&self) {
        let before = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |word| {
                Some(if word & COUNT_MASK == COUNT_MASK { word } else { word + 1 })
            })
            .unwrap_or_else(|word| word);
        if let Some(budget) = bound_budget(before) {
            budget.count_rejected();
        }
    }

    /// Counts one refused exemplar in the registry bound, if any (`promstruct_exemplars_rejected_total`).
    #[cold]
    #[inline(never)]
    pub(crate) fn count_exemplar(&self) {
        if let Some(budget) = bound_budget(self.0.load(Ordering::Relaxed)) {
            budget.count_rejected_exemplar();
        }
    }

    /// The updates refused so far, whether or not a registry was bound.
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed) & COUNT_MASK
    }

    /// Reports later refusals to `budget`'s registry too, unless a registry was bound already.
    pub(crate) fn bind(&self, budget: &SeriesBudget) {
        let Some(number) = budget_number(budget) else { return };
        let _ = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |word| {
            (word >> COUNT_BITS == 0).then_some(word | u64::from(number) << COUNT_BITS)
        });
    }

    /// Whether a registry is bound.
    fn is_bound(&self) -> bool {
        self.0.load(Ordering::Relaxed) >> COUNT_BITS != 0
    }
}

impl fmt::Debug for Rejections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejections").field("count", &self.get()).field("bound", &self.is_bound()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_count_here_always_and_in_the_first_registry_bound() {
        let rejections = Rejections::new();
        rejections.count();
        let (first, second) = (SeriesBudget::new(10), SeriesBudget::new(10));
        rejections.bind(&first);
        rejections.bind(&second);
        rejections.count();
        rejections.count();
        assert_eq!(rejections.get(), 3);
        assert_eq!(first.rejected(), 2, "only what was refused after binding");
        assert_eq!(second.rejected(), 0, "a second binding is ignored");
        assert_eq!(std::mem::size_of::<Rejections>(), 8, "one word a cell");
    }

    #[test]
    fn cells_bound_to_one_budget_share_its_number_and_a_dropped_registry_takes_no_count() {
        let budget = SeriesBudget::new(10);
        let (a, b) = (Rejections::new(), Rejections::new());
        a.bind(&budget);
        b.bind(&budget);
        assert_eq!(a.0.load(Ordering::Relaxed), b.0.load(Ordering::Relaxed), "one number a budget");
        a.count();
        b.count();
        assert_eq!(budget.rejected(), 2);
        drop(budget);
        a.count();
        assert_eq!(a.get(), 2, "the cell counts on after its registry is gone");
    }

    #[test]
    fn the_own_count_stops_at_its_bits_without_touching_the_budget_number() {
        let budget = SeriesBudget::new(10);
        let r = Rejections::new();
        r.bind(&budget);
        let number = r.0.load(Ordering::Relaxed) & !COUNT_MASK;
        r.0.fetch_or(COUNT_MASK - 1, Ordering::Relaxed);
        r.count();
        r.count();
        assert_eq!(r.get(), COUNT_MASK, "saturated");
        assert_eq!(r.0.load(Ordering::Relaxed) & !COUNT_MASK, number, "the budget's number is kept");
        assert_eq!(budget.rejected(), 2, "the registry counts every refusal");
    }
}
