//! Where a cell counts the updates it refuses (a negative or NaN float counter increment, a NaN
//! observation): in itself, and in the registry that exposes it once its family is registered.
//!
//! Only the refusal path touches this: an accepted update never reads it.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::family::SeriesBudget;

/// The refusals of one cell (or of a dense family's float counters, counted together), and the registry
/// they are reported to.
///
/// A refusal is counted here always, so a cell outside any registry still knows its own; once the family
/// holding the cell is registered ([`Metric::bind`](super::Metric::bind), from
/// [`Collect::bind`](crate::Collect::bind)), it is counted in that registry's [`SeriesBudget`] too, which
/// [`Registry::rejected_updates`](crate::Registry::rejected_updates) reads. A cell registered twice
/// reports to the first registry, as its family's series count in the first registry's budget.
#[derive(Default)]
pub(crate) struct Rejections {
    own: AtomicU64,
    registry: OnceLock<SeriesBudget>,
}

impl Rejections {
    /// No refusal yet, and no registry.
    pub(crate) const fn new() -> Self {
        Rejections { own: AtomicU64::new(0), registry: OnceLock::new() }
    }

    /// Counts one refused update, here and in the registry bound, if any.
    #[cold]
    #[inline(never)]
    pub(crate) fn count(&self) {
        self.own.fetch_add(1, Ordering::Relaxed);
        if let Some(budget) = self.registry.get() {
            budget.count_rejected();
        }
    }

    /// Counts one refused exemplar in the registry bound, if any (`promstruct_exemplars_rejected_total`).
    #[cold]
    #[inline(never)]
    pub(crate) fn count_exemplar(&self) {
        if let Some(budget) = self.registry.get() {
            budget.count_rejected_exemplar();
        }
    }

    /// The updates refused so far, whether or not a registry was bound.
    pub(crate) fn get(&self) -> u64 {
        self.own.load(Ordering::Relaxed)
    }

    /// Reports later refusals to `budget`'s registry too, unless a registry was bound already.
    pub(crate) fn bind(&self, budget: &SeriesBudget) {
        let _ = self.registry.set(budget.clone());
    }
}

impl fmt::Debug for Rejections {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejections").field("count", &self.get()).field("bound", &self.registry.get().is_some()).finish()
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
    }
}
