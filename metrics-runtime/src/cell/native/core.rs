//! [`Native`]: the native buckets of one histogram series (and its classic buckets beside them), observed
//! without a lock, read consistently, and reduced past the bucket limit as client_golang reduces them
//! (`reduce.rs`); the shared stripe's half of it is `shared.rs`.
//!
//! # Lanes
//!
//! As a classic histogram's counts, a native histogram's are striped: the first thread to observe writes a
//! [`Lane`] of its own, other threads one per owned stripe, each lane written by its thread alone with
//! loads and stores and allocated at its first observation, and a shared stripe that any other thread
//! updates with atomic adds. The shared stripe has two halves, client_golang's hot and cold counts: writers enter the
//! hot one through a selector word that counts them, and a holder of the lock who must restructure the
//! shared counts makes the cold half hot, waits for the writers of the old one to leave, and moves its
//! counts over. A scrape reads every lane and folds each to the histogram's current layout.
//!
//! # Layouts and generations
//!
//! The layout (schema, zero threshold) changes only under the lock: coarser when the histogram is past its
//! bucket limit, back to the configured one at a reset. Each change is a new generation, published in
//! [`Native::generation`]. An owned lane is moved to the new layout by its own thread, at its next
//! observation (it alone may restructure it); until then a scrape folds it (a finer layout folds into a
//! coarser one exactly: schema `s` buckets merge into schema `s - 1` buckets, a bucket under a widened
//! zero threshold into the zero bucket). A lane counted before the last reset is left out of every read:
//! an observation racing the reset counts as one before it.
//!
//! # The warm path
//!
//! Once the layout is settled and the bucket has a slot, an observation makes no allocation, takes no lock
//! and makes no read-modify-write on an owned lane: the classic bucket's count, then the native bucket's
//! (a store with Release), then the sum. A scrape reads every native count (with Acquire) before any
//! classic count, so every observation it counts in the native buckets is in the classic ones too; it
//! derives the count from the native buckets and caps the classic cumulative counts at it, so that the
//! count, the native buckets and the classic `+Inf` bucket agree exactly. Giving a bucket a slot, moving a
//! lane to a new layout and reducing take the lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use super::config::NativeConfig;
use super::index::bucket_index;
use super::lane::{CLASSIC, Lane, Layout, ZERO, state_generation, state_schema};
use super::snapshot::{NativeSnapshot, merge};
use crate::cell::first_writer::FirstWriter;
use crate::cell::stripe_claim::{owned_stripe, owned_stripes};
use crate::cell::stripe_value::StripeValue;

/// What recording an observation under the lock came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recorded {
    /// It is counted.
    Yes,
    /// A reset dropped what was recorded of it already: it must be recorded again, from its classic bucket.
    Dropped,
}

/// What a reduction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reduced {
    /// Nothing: within the limit, or nothing left to reduce.
    Nothing,
    /// A coarser layout: a wider zero bucket, a lower schema, or both.
    Coarser,
    /// A reset to the configured layout, every count dropped.
    Reset,
}

/// The time, with an offset tests move forward.
#[derive(Debug, Default)]
pub(super) struct Clock {
    #[cfg(test)]
    pub(super) offset_ms: AtomicU64,
}

impl Clock {
    pub(super) fn now(&self) -> Instant {
        let now = Instant::now();
        #[cfg(test)]
        let now = now + std::time::Duration::from_millis(self.offset_ms.load(Ordering::Relaxed));
        now
    }
}

/// What a text scrape reads of a native histogram beside its classic cumulative counts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Totals {
    /// The sum of observations.
    pub(crate) sum: f64,
    /// Whether a negative observation is counted (past the zero bucket).
    pub(crate) negative: bool,
    /// When the histogram was last reset, milliseconds since the Unix epoch.
    pub(crate) reset_ms: Option<u64>,
}

/// What only the holder of the lock reads and writes.
#[derive(Debug)]
pub(super) struct Control {
    pub(super) layout: Layout,
    pub(super) generation: u64,
    /// Lanes of an older generation were counted before the last reset.
    pub(super) reset_generation: u64,
    pub(super) last_reset: Instant,
    /// When a reduced histogram returns to its configuration (client_golang's scheduled reset).
    pub(super) reset_due: Option<Instant>,
    /// The wall-clock time of the last reset, milliseconds since the Unix epoch.
    pub(super) reset_ms: Option<u64>,
    /// Buffers reused by moves and reductions.
    pub(super) fold: Vec<(bool, i32, u64)>,
    pub(super) positive: Vec<(i32, u64)>,
    pub(super) negative: Vec<(i32, u64)>,
}

/// The native buckets (and classic ones, if any) of one histogram series.
pub(crate) struct Native {
    pub(super) config: NativeConfig,
    /// The classic buckets, `+Inf` among them; 0 for a histogram without.
    pub(super) classic: usize,
    /// The generation of the current layout; an owned lane of another moves before it counts.
    pub(super) generation: AtomicU64,
    /// One lane per owned stripe, then the first writer's lane, each allocated at its writer's first
    /// observation: a series written by one thread keeps one lane.
    pub(super) lanes: Box<[OnceLock<Box<Lane>>]>,
    /// The thread that writes the last lane: the first to observe. Every other thread counts in its
    /// owned stripe's lane or in the shared stripe.
    pub(super) writer: FirstWriter,
    /// [`HOT`](super::shared::HOT): which half of the shared stripe is hot; below it, the writers that
    /// entered it.
    pub(super) selector: AtomicU64,
    pub(super) halves: [Lane; 2],
    pub(super) control: Mutex<Control>,
    pub(super) clock: Clock,
}

impl std::fmt::Debug for Native {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Native").field("config", &self.config).field("lanes", &self.lanes.len()).finish()
    }
}

/// Adds one to a count its lane's only writer updates, publishing the observation's earlier writes.
#[inline]
pub(super) fn add_one_owned(count: &AtomicU64) {
    count.store(count.load(Ordering::Relaxed).wrapping_add(1), Ordering::Release);
}

impl Native {
    /// An empty histogram with `config`'s native buckets and `classic` classic buckets (`+Inf` among them;
    /// 0 for none).
    pub(crate) fn new(config: NativeConfig, classic: usize) -> Self {
        let layout = Layout { schema: config.schema(), zero_threshold: config.zero_threshold() };
        Native {
            config,
            classic,
            generation: AtomicU64::new(0),
            lanes: (0..=owned_stripes()).map(|_| OnceLock::new()).collect(),
            writer: FirstWriter::new(),
            selector: AtomicU64::new(0),
            halves: [Lane::new(layout, 0, classic), Lane::new(layout, 0, classic)],
            control: Mutex::new(Control {
                layout,
                generation: 0,
                reset_generation: 0,
                last_reset: Instant::now(),
                reset_due: None,
                reset_ms: None,
                fold: Vec::new(),
                positive: Vec::new(),
                negative: Vec::new(),
            }),
            clock: Clock::default(),
        }
    }

    pub(crate) fn config(&self) -> &NativeConfig {
        &self.config
    }

    pub(super) fn initial_layout(&self) -> Layout {
        Layout { schema: self.config.schema(), zero_threshold: self.config.zero_threshold() }
    }

    /// Records `v` (not NaN), whose classic bucket is `classic` (`None` for a histogram without).
    #[inline]
    pub(crate) fn observe(&self, v: f64, classic: Option<usize>) {
        if self.writer.is_caller() {
            // The first writer's lane, which no other thread writes.
            return self.observe_owned(self.lane(self.lanes.len() - 1), v, classic);
        }
        match owned_stripe() {
            Some(stripe) => self.observe_owned(self.owned_lane(stripe), v, classic),
            None => self.observe_shared(v, classic),
        }
    }

    /// The lane of owned stripe `stripe` for its owner; if it has none yet and the first writer has
    /// exited, the first writer's lane instead, which the caller takes over: a series written by one thread
    /// at a time keeps one lane.
    #[inline]
    fn owned_lane(&self, stripe: usize) -> &Lane {
        if self.lanes[stripe].get().is_none() && self.writer.take_over_exited() {
            return self.lane(self.lanes.len() - 1);
        }
        self.lane(stripe)
    }

    /// The lane of owned stripe `stripe` (or the first writer's, the last), created at the configured layout of generation 0 if it has none
    /// yet (its first observation then moves it to the current one, as any lane behind is moved). For the
    /// stripe's owner.
    #[inline]
    fn lane(&self, stripe: usize) -> &Lane {
        self.lanes[stripe].get_or_init(|| Box::new(Lane::new(self.initial_layout(), 0, self.classic)))
    }

    /// Records `v` as the owner of owned stripe `stripe` would, or as a thread without one (`None`); the
    /// caller is the only thread using that owned stripe.
    #[cfg(test)]
    pub(super) fn observe_in(&self, stripe: Option<usize>, v: f64) {
        match stripe {
            Some(stripe) => self.observe_owned(self.lane(stripe), v, None),
            None => self.observe_shared(v, None),
        }
    }

    /// The number of owned stripes' lanes (the first writer's is not among them).
    #[cfg(test)]
    pub(super) fn owned_lanes(&self) -> usize {
        self.lanes.len() - 1
    }

    #[inline]
    fn observe_owned(&self, lane: &Lane, v: f64, classic: Option<usize>) {
        loop {
            let state = lane.state.load(Ordering::Relaxed);
            if state_generation(state) != self.generation.load(Ordering::Relaxed) {
                self.move_owned(lane);
                continue;
            }
            if let Some(c) = classic {
                u64::add_owned(lane.word(CLASSIC + c), 1);
            }
            let a = v.abs();
            if a <= f64::from_bits(lane.threshold.load(Ordering::Relaxed)) {
                add_one_owned(lane.word(ZERO));
            } else {
                let index = bucket_index(a, state_schema(state));
                match lane.side(v > 0.0).and_then(|side| side.find(index)) {
                    Some(count) => add_one_owned(count),
                    None => {
                        if self.record_owned_locked(lane, v, state_generation(state)) == Recorded::Dropped {
                            continue;
                        }
                    }
                }
            }
            lane.add_sum(v, true);
            return;
        }
    }

    /// Moves an owned lane to the current layout. For the lane's owner.
    #[cold]
    #[inline(never)]
    fn move_owned(&self, lane: &Lane) {
        let mut ctl = self.lock();
        self.sync_owned(lane, &mut ctl);
    }

    /// Brings an owned lane to the current generation: emptied if it was counted before the last reset,
    /// else folded into the current layout. For the lane's owner, holding the lock.
    fn sync_owned(&self, lane: &Lane, ctl: &mut Control) {
        let generation = lane.generation();
        if generation == ctl.generation {
            return;
        }
        if generation < ctl.reset_generation {
            lane.clear();
            lane.set_layout(ctl.layout, ctl.generation);
        } else {
            lane.fold_to(ctl.layout, ctl.generation, &mut ctl.fold);
        }
    }

    /// Records the native count of `v` in an owned lane under the lock: gives its bucket a slot, and
    /// reduces if the lane is past the limit. `entered` is the generation the observation's classic
    /// count was recorded at. For the lane's owner.
    #[cold]
    #[inline(never)]
    fn record_owned_locked(&self, lane: &Lane, v: f64, entered: u64) -> Recorded {
        let mut ctl = self.lock();
        if entered < ctl.reset_generation {
            // A reset dropped the classic count already recorded.
            self.sync_owned(lane, &mut ctl);
            return Recorded::Dropped;
        }
        self.sync_owned(lane, &mut ctl);
        let layout = lane.layout();
        let a = v.abs();
        if a <= layout.zero_threshold {
            add_one_owned(lane.word(ZERO));
            return Recorded::Yes;
        }
        let side = lane.side_or_new(v > 0.0);
        let index = bucket_index(a, layout.schema);
        let new = side.find(index).is_none();
        add_one_owned(side.slot_for(index));
        if new {
            let populated = lane.populated.load(Ordering::Relaxed) + 1;
            lane.populated.store(populated, Ordering::Relaxed);
            if self.over_limit(populated) {
                match self.reduce(&mut ctl, true) {
                    Reduced::Reset => {
                        self.sync_owned(lane, &mut ctl);
                        return Recorded::Dropped;
                    }
                    Reduced::Coarser => self.sync_owned(lane, &mut ctl),
                    Reduced::Nothing => {}
                }
            }
        }
        Recorded::Yes
    }

    pub(super) fn over_limit(&self, buckets: usize) -> bool {
        self.config.max_buckets().is_some_and(|max| buckets > max as usize)
    }

    /// Takes the lock, first resetting the histogram if a reset is due.
    pub(super) fn lock(&self) -> MutexGuard<'_, Control> {
        let mut ctl = self.control.lock().unwrap_or_else(PoisonError::into_inner);
        if ctl.reset_due.is_some_and(|due| self.clock.now() >= due) {
            self.reset(&mut ctl);
        }
        ctl
    }

    /// The lanes counted since the last reset: the owned ones and the hot half. Holding the lock.
    pub(super) fn counted<'s>(&'s self, ctl: &Control) -> impl Iterator<Item = &'s Lane> {
        let reset = ctl.reset_generation;
        self.lanes
            .iter()
            .filter_map(|l| l.get().map(|l| &**l))
            .filter(move |l| l.generation() >= reset)
            .chain([self.hot_half()])
    }

    /// Reads every native count, folded to the current layout, into `positive` and `negative` (sorted,
    /// merged); returns the zero count. Holding the lock.
    pub(super) fn collect(&self, ctl: &Control, positive: &mut Vec<(i32, u64)>, negative: &mut Vec<(i32, u64)>) -> u64 {
        positive.clear();
        negative.clear();
        let mut zero = 0;
        for lane in self.counted(ctl) {
            lane.collect_native(ctl.layout, &mut zero, positive, negative);
        }
        merge(positive);
        merge(negative);
        zero
    }

    /// Fills `out` with one consistent read of the histogram, first reducing it if its buckets together
    /// are past the limit (without a reset: a scrape does not drop counts).
    pub(crate) fn snapshot_into(&self, out: &mut NativeSnapshot) {
        let mut ctl = self.lock();
        if self.config.max_buckets().is_some() {
            self.reduce(&mut ctl, false);
        }
        out.clear();
        out.schema = ctl.layout.schema;
        out.zero_threshold = ctl.layout.zero_threshold;
        out.zero_count = self.collect(&ctl, &mut out.positive, &mut out.negative);
        let buckets: u64 = out.positive.iter().chain(&out.negative).map(|b| b.1).sum();
        out.count = out.zero_count + buckets;
        self.classic_into(&ctl, out.count, &mut out.classic);
        out.sum = self.counted(&ctl).map(Lane::sum).sum();
        out.reset_ms = ctl.reset_ms;
    }

    /// The classic cumulative counts, capped at `count` and ending with it (`[count]` without classic
    /// buckets). Read after the native counts. Holding the lock.
    fn classic_into(&self, ctl: &Control, count: u64, cumulative: &mut Vec<u64>) {
        cumulative.clear();
        if self.classic == 0 {
            cumulative.push(count);
            return;
        }
        cumulative.resize(self.classic, 0);
        for lane in self.counted(ctl) {
            lane.collect_classic(cumulative);
        }
        let mut total = 0u64;
        for c in cumulative.iter_mut() {
            total += *c;
            *c = total.min(count);
        }
        *cumulative.last_mut().expect("a classic histogram has the +Inf bucket") = count;
    }

    /// What a text scrape reads: the classic cumulative counts (capped at and ending with the native
    /// count, `[count]` without classic buckets) and the rest of [`Totals`].
    pub(crate) fn totals_into(&self, cumulative: &mut Vec<u64>) -> Totals {
        let ctl = self.lock();
        let count = self.counted(&ctl).map(Lane::native_total).sum();
        let negative = self.counted(&ctl).any(Lane::has_negative);
        self.classic_into(&ctl, count, cumulative);
        Totals { sum: self.counted(&ctl).map(Lane::sum).sum(), negative, reset_ms: ctl.reset_ms }
    }

    /// The number of observations.
    pub(crate) fn count(&self) -> u64 {
        let ctl = self.lock();
        self.counted(&ctl).map(Lane::native_total).sum()
    }

    /// The sum of observations.
    pub(crate) fn sum(&self) -> f64 {
        let ctl = self.lock();
        self.counted(&ctl).map(Lane::sum).sum()
    }

    /// The bytes the histogram's lanes allocated.
    pub(crate) fn heap_bytes(&self) -> usize {
        let owned = self.lanes.iter().filter_map(OnceLock::get).map(|l| std::mem::size_of::<Lane>() + l.heap_bytes());
        std::mem::size_of_val(&*self.lanes)
            + owned.sum::<usize>()
            + self.halves.iter().map(Lane::heap_bytes).sum::<usize>()
    }
}
