//! What a registry holds: anything that writes metric families.

use std::sync::Arc;

use crate::Descriptor;
use crate::encoding::Encoder;
use crate::family::SeriesBudget;

/// Something that exposes metric families: a `#[metrics]` struct, a family, a custom collector.
///
/// `describe` names every family `collect` writes, so the registry can refuse clashing names when the
/// collector is registered rather than expose an invalid scrape later; `collect` must write exactly those
/// families, each once, through [`Encoder::family`].
pub trait Collect: Send + Sync {
    /// Calls `out` with the descriptor of every family this collector writes.
    fn describe(&self, out: &mut dyn FnMut(&Descriptor));

    /// Writes every family.
    fn collect(&self, enc: &mut Encoder<'_>);

    /// Called once when registered: families created at run time take their series from `budget`.
    fn bind(&self, budget: &SeriesBudget) {
        let _ = budget;
    }
}

impl<T: Collect + ?Sized> Collect for &T {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}

impl<T: Collect + ?Sized> Collect for Arc<T> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}

impl<T: Collect + ?Sized> Collect for Box<T> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}
