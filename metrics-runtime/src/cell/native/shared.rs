//! The shared stripe of a native histogram: the lane of every thread without an owned stripe, in two
//! halves (client_golang's hot and cold counts). Writers enter the hot half through a selector word that
//! counts them and update it with atomic adds; a holder of the lock who must restructure the shared
//! counts (a new layout, a reset, a table that must grow) makes the cold half hot, waits for the writers
//! of the old one to leave, and moves its counts over.

use std::sync::atomic::Ordering;

use super::core::{Control, Native, Recorded, Reduced};
use super::index::bucket_index;
use super::lane::{CLASSIC, Lane, SUM, ZERO, state_generation, state_schema};
use crate::cell::stripe_value::StripeValue;

/// The hot half's bit in the shared selector; the bits below count the writers that entered it.
pub(super) const HOT: u64 = 1 << 63;

impl Native {
    #[inline]
    pub(super) fn observe_shared(&self, v: f64, classic: Option<usize>) {
        loop {
            let entered = self.selector.fetch_add(1, Ordering::AcqRel);
            let half = &self.halves[usize::from(entered & HOT != 0)];
            // The half's layout is fixed while it is hot.
            let state = half.state.load(Ordering::Relaxed);
            if let Some(c) = classic {
                half.word(CLASSIC + c).fetch_add(1, Ordering::Relaxed);
            }
            let a = v.abs();
            if a <= f64::from_bits(half.threshold.load(Ordering::Relaxed)) {
                half.word(ZERO).fetch_add(1, Ordering::Release);
            } else {
                let index = bucket_index(a, state_schema(state));
                match half.side(v > 0.0).and_then(|side| side.find(index)) {
                    Some(count) => {
                        count.fetch_add(1, Ordering::Release);
                    }
                    None => {
                        // Leave the half before taking the lock: a holder of the lock may be waiting for
                        // its writers to leave.
                        half.left.fetch_add(1, Ordering::Release);
                        match self.record_shared_locked(v, state_generation(state)) {
                            Recorded::Yes => return,
                            Recorded::Dropped => continue,
                        }
                    }
                }
            }
            half.add_sum(v, false);
            half.left.fetch_add(1, Ordering::Release);
            return;
        }
    }

    /// The half of the shared stripe writers enter now. For a holder of the lock (only it changes which).
    pub(super) fn hot_half(&self) -> &Lane {
        &self.halves[usize::from(self.selector.load(Ordering::Acquire) & HOT != 0)]
    }

    /// Records the native count and the sum of `v` in the shared stripe under the lock, giving its bucket a
    /// slot. `entered` is the generation its classic count was recorded at.
    #[cold]
    #[inline(never)]
    pub(super) fn record_shared_locked(&self, v: f64, entered: u64) -> Recorded {
        let mut ctl = self.lock();
        if entered < ctl.reset_generation {
            return Recorded::Dropped;
        }
        let a = v.abs();
        let mut new = false;
        if a <= ctl.layout.zero_threshold {
            self.hot_half().word(ZERO).fetch_add(1, Ordering::Release);
        } else {
            let index = bucket_index(a, ctl.layout.schema);
            let positive = v > 0.0;
            new = self.hot_half().side(positive).and_then(|s| s.find(index)).is_none();
            let count = match self.hot_half().side_or_new(positive).insert(index) {
                Some(count) => count,
                None => {
                    // The hot half's table is full and cannot grow while written: make the cold half, with
                    // a larger table, hot.
                    self.move_shared(&mut ctl, false);
                    self.hot_half().side_or_new(positive).insert(index).expect("room reserved")
                }
            };
            count.fetch_add(1, Ordering::Release);
        }
        let hot = self.hot_half();
        hot.add_sum(v, false);
        if new {
            let populated = hot.populated.fetch_add(1, Ordering::Relaxed) + 1;
            if self.over_limit(populated) && self.reduce(&mut ctl, true) == Reduced::Reset {
                return Recorded::Dropped;
            }
        }
        Recorded::Yes
    }

    /// Makes the cold half of the shared stripe hot at the current layout, waits for the writers of the
    /// old one to leave, then moves its counts over (folded), or drops them for a `reset`. The new hot
    /// half's tables take every bucket of the old one and one more without growing. Holding the lock.
    pub(super) fn move_shared(&self, ctl: &mut Control, reset: bool) {
        let selector = self.selector.load(Ordering::Acquire);
        let (old, new) =
            if selector & HOT != 0 { (&self.halves[1], &self.halves[0]) } else { (&self.halves[0], &self.halves[1]) };
        new.set_layout(ctl.layout, ctl.generation);
        new.left.store(0, Ordering::Relaxed);
        if !reset {
            for positive in [true, false] {
                if let Some(side) = old.side(positive) {
                    new.side_or_new(positive).reserve(side.used() + 1);
                }
            }
        }
        let hot = if selector & HOT != 0 { 0 } else { HOT };
        let entered = self.selector.swap(hot, Ordering::AcqRel) & !HOT;
        while old.left.load(Ordering::Acquire) != entered {
            std::thread::yield_now();
        }
        if !reset {
            let from = old.layout();
            let mut zero = old.word(ZERO).load(Ordering::Relaxed);
            for positive in [true, false] {
                let Some(side) = old.side(positive) else { continue };
                side.for_each(|index, count| match ctl.layout.fold(from, index) {
                    None => zero += count,
                    Some(to) => {
                        let slot = new.side_or_new(positive).insert(to).expect("room reserved");
                        slot.fetch_add(count, Ordering::Release);
                    }
                });
            }
            new.word(ZERO).fetch_add(zero, Ordering::Release);
            for c in 0..self.classic {
                new.word(CLASSIC + c).fetch_add(old.word(CLASSIC + c).load(Ordering::Relaxed), Ordering::Relaxed);
            }
            f64::add_atomic(new.word(SUM), old.sum());
            let used = [true, false].iter().filter_map(|&p| new.side(p)).map(|s| s.used()).sum();
            new.populated.store(used, Ordering::Relaxed);
        }
        old.clear();
        old.left.store(0, Ordering::Relaxed);
    }
}
