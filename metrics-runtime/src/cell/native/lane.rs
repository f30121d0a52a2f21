//! One lane of a native histogram: the counts one writer (an owned stripe's thread) or one half of the
//! shared stripe keeps, with the layout they are counted at.
//!
//! A lane holds its zero count, its sum, its classic bucket counts (`+Inf` last) and its native buckets on
//! each side of zero, at the layout (schema and zero threshold) of its generation. A lane is only ever
//! restructured (moved to another layout, emptied) by a holder of the histogram's lock while no other
//! thread writes it: its owner, or anyone while a shared half is cold.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::index::{coarsen, upper_bound};
use super::sparse::Side;
use crate::cell::stripe_value::StripeValue;

/// Counts per line of the lane's fixed counts.
const WORDS: usize = 16;

/// The slots of a lane's fixed counts.
pub(super) const ZERO: usize = 0;
pub(super) const SUM: usize = 1;
pub(super) const CLASSIC: usize = 2;

/// The lane's fixed counts on a 128-byte line pair of their own.
#[repr(align(128))]
struct Words([AtomicU64; WORDS]);

/// Where counts are read from and folded to: a schema and a zero threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Layout {
    pub(super) schema: i8,
    pub(super) zero_threshold: f64,
}

impl Layout {
    /// Where a bucket of `from` lies at `self`, at least as coarse: `None` for the zero bucket.
    #[inline]
    pub(super) fn fold(&self, from: Layout, index: i32) -> Option<i32> {
        if from == *self {
            return Some(index);
        }
        if upper_bound(index, from.schema) <= self.zero_threshold {
            return None;
        }
        Some(coarsen(index, (from.schema - self.schema) as u8))
    }
}

/// The state word of a lane: its generation and schema.
#[inline]
pub(super) fn state(generation: u64, schema: i8) -> u64 {
    generation << 8 | u64::from((schema - promstruct_naming::NATIVE_SCHEMA_MIN) as u8)
}

#[inline]
pub(super) fn state_generation(state: u64) -> u64 {
    state >> 8
}

#[inline]
pub(super) fn state_schema(state: u64) -> i8 {
    (state & 0xff) as i8 + promstruct_naming::NATIVE_SCHEMA_MIN
}

/// One lane. `repr(C)`: the fields in this order, so that what an observation touches is in the first
/// line pair.
#[repr(C, align(128))]
pub(super) struct Lane {
    /// The generation and schema of the lane's layout ([`state`]).
    pub(super) state: AtomicU64,
    /// The bits of the zero threshold of the lane's layout.
    pub(super) threshold: AtomicU64,
    /// Positive, then negative.
    sides: [OnceLock<Box<Side>>; 2],
    /// The first [`WORDS`] fixed counts, right after what every observation reads (state, threshold,
    /// sides): the zero count, the sum and the first eight classic counts share their line pair, and up to
    /// 14 classic counts are reached without following a pointer.
    first: [AtomicU64; WORDS],
    /// The native buckets with a slot, both sides.
    pub(super) populated: AtomicUsize,
    /// A shared half's writers that left it (its entries are counted in the shared selector).
    pub(super) left: AtomicU64,
    /// The fixed counts past the first [`WORDS`]; empty for up to 13 classic bounds.
    more: Box<[Words]>,
}

impl Lane {
    /// An empty lane at `layout` of `generation`, with `classic` classic buckets (`+Inf` among them; 0
    /// for a histogram without).
    pub(super) fn new(layout: Layout, generation: u64, classic: usize) -> Self {
        let more = (WORDS..CLASSIC + classic).step_by(WORDS).map(|_| Words(Default::default())).collect();
        Lane {
            state: AtomicU64::new(state(generation, layout.schema)),
            threshold: AtomicU64::new(layout.zero_threshold.to_bits()),
            populated: AtomicUsize::new(0),
            left: AtomicU64::new(0),
            first: Default::default(),
            more,
            sides: [OnceLock::new(), OnceLock::new()],
        }
    }

    #[inline]
    pub(super) fn word(&self, i: usize) -> &AtomicU64 {
        match i.checked_sub(WORDS) {
            None => &self.first[i],
            Some(past) => &self.more[past / WORDS].0[past % WORDS],
        }
    }

    #[inline]
    pub(super) fn side(&self, positive: bool) -> Option<&Side> {
        self.sides[usize::from(!positive)].get().map(|s| &**s)
    }

    /// The side, created if the lane has none yet. For a holder of the lock.
    pub(super) fn side_or_new(&self, positive: bool) -> &Side {
        self.sides[usize::from(!positive)].get_or_init(|| Box::new(Side::new()))
    }

    pub(super) fn generation(&self) -> u64 {
        state_generation(self.state.load(Ordering::Relaxed))
    }

    pub(super) fn layout(&self) -> Layout {
        Layout {
            schema: state_schema(self.state.load(Ordering::Relaxed)),
            zero_threshold: f64::from_bits(self.threshold.load(Ordering::Relaxed)),
        }
    }

    /// Sets the lane's layout. For a holder of the lock while no other thread writes the lane.
    pub(super) fn set_layout(&self, layout: Layout, generation: u64) {
        self.threshold.store(layout.zero_threshold.to_bits(), Ordering::Relaxed);
        self.state.store(state(generation, layout.schema), Ordering::Release);
    }

    /// Empties the lane: every count, the sum, every bucket. For a holder of the lock while no other thread
    /// writes the lane.
    pub(super) fn clear(&self) {
        for words in std::iter::once(&self.first).chain(self.more.iter().map(|w| &w.0)) {
            for w in words {
                w.store(0, Ordering::Relaxed);
            }
        }
        for side in self.sides.iter().filter_map(OnceLock::get) {
            side.clear();
        }
        self.populated.store(0, Ordering::Relaxed);
    }

    /// Moves the native counts to `layout`, at least as coarse as the lane's, using `scratch`; the zero
    /// count takes the buckets the zero bucket now covers. For a holder of the lock while no other thread
    /// writes the lane.
    pub(super) fn fold_to(&self, layout: Layout, generation: u64, scratch: &mut Vec<(bool, i32, u64)>) {
        let from = self.layout();
        if from != layout {
            scratch.clear();
            for positive in [true, false] {
                if let Some(side) = self.side(positive) {
                    side.for_each(|index, count| scratch.push((positive, index, count)));
                    side.clear();
                }
            }
            let mut zero = 0u64;
            for &(positive, index, count) in scratch.iter().filter(|(_, _, count)| *count > 0) {
                match layout.fold(from, index) {
                    None => zero += count,
                    Some(to) => {
                        let slot = self.side_or_new(positive).slot_for(to);
                        slot.store(slot.load(Ordering::Relaxed) + count, Ordering::Relaxed);
                    }
                }
            }
            let z = self.word(ZERO);
            z.store(z.load(Ordering::Relaxed) + zero, Ordering::Relaxed);
            let used = self.sides.iter().filter_map(OnceLock::get).map(|s| s.used()).sum();
            self.populated.store(used, Ordering::Relaxed);
        }
        self.set_layout(layout, generation);
    }

    /// Adds the native counts, folded to `layout`, to `zero` and the bucket lists (unsorted), reading every
    /// count with Acquire before any classic count is read.
    pub(super) fn collect_native(
        &self,
        layout: Layout,
        zero: &mut u64,
        positive: &mut Vec<(i32, u64)>,
        negative: &mut Vec<(i32, u64)>,
    ) {
        let from = self.layout();
        *zero += self.word(ZERO).load(Ordering::Acquire);
        for (is_positive, out) in [(true, positive), (false, negative)] {
            let Some(side) = self.side(is_positive) else { continue };
            side.for_each(|index, count| {
                if count == 0 {
                    return;
                }
                match layout.fold(from, index) {
                    None => *zero += count,
                    Some(to) => out.push((to, count)),
                }
            });
        }
    }

    /// The native count: the zero count and every bucket's, read with Acquire.
    pub(super) fn native_total(&self) -> u64 {
        let buckets: u64 = self.sides.iter().filter_map(OnceLock::get).map(|s| s.total()).sum();
        self.word(ZERO).load(Ordering::Acquire) + buckets
    }

    /// Whether a negative bucket has a count.
    pub(super) fn has_negative(&self) -> bool {
        self.side(false).is_some_and(|s| s.total() > 0)
    }

    /// Adds the classic counts (not cumulative) to `classic`.
    pub(super) fn collect_classic(&self, classic: &mut [u64]) {
        for (i, c) in classic.iter_mut().enumerate() {
            *c += self.word(CLASSIC + i).load(Ordering::Relaxed);
        }
    }

    /// The lane's sum of observations.
    pub(super) fn sum(&self) -> f64 {
        f64::from_bits(self.word(SUM).load(Ordering::Relaxed))
    }

    /// Adds one observation to the sum: with a load and a store by the lane's only writer, or atomically.
    #[inline]
    pub(super) fn add_sum(&self, v: f64, owned: bool) {
        if owned { f64::add_owned(self.word(SUM), v) } else { f64::add_atomic(self.word(SUM), v) }
    }

    /// The bytes the lane allocated beyond its own size.
    pub(super) fn heap_bytes(&self) -> usize {
        let sides: usize =
            self.sides.iter().filter_map(OnceLock::get).map(|s| std::mem::size_of::<Side>() + s.heap_bytes()).sum();
        std::mem::size_of_val(&*self.more) + sides
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zero_count_the_sum_and_eight_classic_counts_share_the_header_line_pair() {
        let first = std::mem::offset_of!(Lane, first);
        assert_eq!(first + (CLASSIC + 8) * 8, 128, "header of {first} bytes");
        assert_eq!(std::mem::size_of::<Lane>(), 256, "two line pairs, no more");
    }
}
