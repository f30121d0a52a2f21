use std::fmt;
use std::marker::PhantomData;

use super::SeriesBudget;
use crate::Descriptor;
use crate::cell::Metric;
use crate::encoding::{EncodeLabels, Encoder, LabelWriter, now_epoch_seconds};
use crate::label::LabelSet;
use crate::registry::Collect;

/// Every series of a family whose labels are all enums, in one flat array indexed by the ordinals.
///
/// `L` is the tuple of label enums (`()` for a family without labels), `C` the cell. An update is an
/// index computation and one relaxed atomic operation. Every combination exists from the start, so each
/// is exposed, at zero until updated.
pub struct DenseFamily<L: LabelSet, C: Metric> {
    desc: Descriptor,
    cells: Box<[C]>,
    created: f64,
    labels: PhantomData<fn(L)>,
}

impl<L: LabelSet, C: Metric> DenseFamily<L, C> {
    /// A family with `desc`, every cell built from `config`.
    ///
    /// # Panics
    /// If `desc` does not declare exactly `L::ARITY` labels, or its type is not `C`'s.
    pub fn new(desc: Descriptor, config: C::Config) -> Self {
        assert_eq!(desc.label_count(), L::ARITY, "family `{}`: label names do not match the label set", desc.name());
        assert_eq!(desc.kind(), C::KIND, "family `{}`: descriptor type does not match the cell", desc.name());
        let cells = (0..L::CARDINALITY).map(|_| C::with_config(&config)).collect();
        DenseFamily { desc, cells, created: now_epoch_seconds(), labels: PhantomData }
    }

    /// The series for `labels`.
    #[inline]
    pub fn get(&self, labels: L) -> &C {
        &self.cells[labels.index()]
    }

    /// The family's descriptor.
    pub fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    /// Every series, in exposition order, with its index (see [`LabelSet::value_at`]).
    pub fn iter(&self) -> impl Iterator<Item = (usize, &C)> {
        self.cells.iter().enumerate()
    }
}

impl<L: LabelSet, C: Metric> fmt::Debug for DenseFamily<L, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DenseFamily").field("name", &self.desc.name()).field("series", &self.cells.len()).finish()
    }
}

/// The labels of the series at `index`.
struct DenseLabels<'a, L> {
    desc: &'a Descriptor,
    index: usize,
    labels: PhantomData<fn(L)>,
}

impl<L: LabelSet> EncodeLabels for DenseLabels<'_, L> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        for label in 0..L::ARITY {
            out.label(self.desc.label_name(label), L::value_at(self.index, label));
        }
    }
}

impl<L: LabelSet, C: Metric> Collect for DenseFamily<L, C> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&self.desc)
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        let mut family = enc.family(&self.desc);
        for (index, cell) in self.cells.iter().enumerate() {
            let labels = DenseLabels::<L> { desc: &self.desc, index, labels: PhantomData };
            cell.encode(&mut family, &labels, Some(self.created));
        }
    }

    fn bind(&self, budget: &SeriesBudget) {
        budget.reserve_fixed(self.cells.len());
    }
}
