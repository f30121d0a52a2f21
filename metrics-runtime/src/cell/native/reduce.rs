//! What a native histogram does past its bucket limit, in client_golang's order: a reset once `min_reset`
//! has passed since the last one, else a wider zero bucket, else a lower schema; and the reset itself.

use std::sync::atomic::Ordering;

use super::core::{Control, Native, Reduced};
use super::index::{coarsen, upper_bound};
use super::snapshot::merge;

impl Native {
    /// Brings the histogram within its bucket limit, in client_golang's order: a reset if `allow_reset` and
    /// `min_reset` has passed since the last one, else a wider zero bucket (up to `max_zero_threshold`),
    /// else a lower schema; each step repeated until the buckets fit or nothing is left to reduce. Counts
    /// the buckets of every lane, folded. Holding the lock.
    pub(super) fn reduce(&self, ctl: &mut Control, allow_reset: bool) -> Reduced {
        let Some(max) = self.config.max_buckets() else { return Reduced::Nothing };
        let max = max as usize;
        let (mut positive, mut negative) = (std::mem::take(&mut ctl.positive), std::mem::take(&mut ctl.negative));
        self.collect(ctl, &mut positive, &mut negative);
        let reduced = self.reduce_buckets(ctl, max, allow_reset, &mut positive, &mut negative);
        (ctl.positive, ctl.negative) = (positive, negative);
        reduced
    }

    fn reduce_buckets(
        &self,
        ctl: &mut Control,
        max: usize,
        allow_reset: bool,
        positive: &mut Vec<(i32, u64)>,
        negative: &mut Vec<(i32, u64)>,
    ) -> Reduced {
        if positive.len() + negative.len() <= max {
            return Reduced::Nothing;
        }
        if let Some(min_reset) = self.config.min_reset() {
            let now = self.clock.now();
            if allow_reset && ctl.reset_due.is_none() && now.duration_since(ctl.last_reset) >= min_reset {
                self.reset(ctl);
                return Reduced::Reset;
            }
            // The reduced layout lasts until `min_reset` after the last reset.
            ctl.reset_due.get_or_insert(ctl.last_reset + min_reset);
        }
        let mut layout = ctl.layout;
        while positive.len() + negative.len() > max {
            if layout.zero_threshold < self.config.max_zero_threshold() {
                let smallest = match (positive.first(), negative.first()) {
                    (Some(p), Some(n)) => p.0.min(n.0),
                    (Some(p), None) => p.0,
                    (None, Some(n)) => n.0,
                    (None, None) => break,
                };
                let widened = upper_bound(smallest, layout.schema);
                if widened <= self.config.max_zero_threshold() {
                    layout.zero_threshold = widened;
                    for buckets in [&mut *positive, &mut *negative] {
                        let under = buckets.partition_point(|&(i, _)| upper_bound(i, layout.schema) <= widened);
                        buckets.drain(..under);
                    }
                    continue;
                }
            }
            if layout.schema > promstruct_naming::NATIVE_SCHEMA_MIN {
                layout.schema -= 1;
                for buckets in [&mut *positive, &mut *negative] {
                    for b in buckets.iter_mut() {
                        b.0 = coarsen(b.0, 1);
                    }
                    merge(buckets);
                }
                continue;
            }
            break;
        }
        if layout == ctl.layout {
            return Reduced::Nothing;
        }
        ctl.layout = layout;
        ctl.generation += 1;
        self.generation.store(ctl.generation, Ordering::Release);
        self.move_shared(ctl, false);
        Reduced::Coarser
    }

    /// Resets the histogram to its configuration, every count dropped. Holding the lock.
    pub(super) fn reset(&self, ctl: &mut Control) {
        ctl.layout = self.initial_layout();
        ctl.generation += 1;
        ctl.reset_generation = ctl.generation;
        ctl.last_reset = self.clock.now();
        ctl.reset_due = None;
        ctl.reset_ms = Some(crate::clock::now_epoch_millis());
        self.generation.store(ctl.generation, Ordering::Release);
        self.move_shared(ctl, true);
    }
}
