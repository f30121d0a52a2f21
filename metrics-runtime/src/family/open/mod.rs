//! Open families: options, the series handle and the family; its series, label text, hashing, shards and
//! TTL live in the submodules.

mod bytes;
mod entry;
mod hash;
mod label_text;
mod options;
mod shards;
mod ttl;

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use smallvec::SmallVec;

use self::entry::{ESCAPED, Entry, GENERATION_MASK, MS_SHIFT, OVERFLOW};
use self::label_text::{LabelValues, label_text, plain_values};
pub use self::options::OpenOptions;
use self::shards::{Chunk, Place, Series, Shard, read, shard_count, write};
use super::SeriesBudget;
use crate::cell::{Gauge, Histogram, HistogramTimer, InflightGuard, Metric};
use crate::encoding::{EncodeLabels, Encoder, LabelWriter, coarse_epoch_millis, epoch_millis_to_seconds};
use crate::registry::Collect;
use crate::schema::SchemaConfig;
use crate::{Descriptor, FamilySchema};
use promstruct_naming::DEFAULT_MAX_SERIES;

/// The value the open labels of the overflow series read.
pub const OVERFLOW_VALUE: &str = promstruct_naming::OVERFLOW_VALUE;

/// The least time between two warnings that a family is at its series limit.
pub const OVERFLOW_WARNING_INTERVAL_MS: u64 = 60_000;

/// A shared handle to one series of an [`OpenFamily`]; dereferences to the cell, and implements the
/// cell's trait ([`CounterOps`](crate::CounterOps), [`GaugeOps`](crate::GaugeOps),
/// [`HistogramOps`](crate::HistogramOps)).
///
/// The handle keeps the series alive, and with it the chunk of its shard that holds it: updates through it
/// after the family dropped the series for being idle are not seen by later scrapes, and the slots of
/// that chunk's expired series wait for the handle to go before new series take them. Take a handle per
/// operation, as the generated accessors do (or none: [`OpenFamily::with`]).
pub struct SeriesRef<C> {
    /// The chunk of the shard that holds the series: a handle keeps it whole, and its slots are not
    /// emptied while any handle holds it.
    chunk: Chunk<C>,
    slot: u32,
}

impl<C> Clone for SeriesRef<C> {
    fn clone(&self) -> Self {
        SeriesRef { chunk: self.chunk.clone(), slot: self.slot }
    }
}

impl<C> Deref for SeriesRef<C> {
    type Target = C;

    #[inline]
    fn deref(&self) -> &C {
        &self.entry().cell
    }
}

impl<C: fmt::Debug> fmt::Debug for SeriesRef<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesRef")
            .field("labels", &self.label_values().collect::<Vec<_>>())
            .field("cell", &self.entry().cell)
            .finish()
    }
}

impl<C> SeriesRef<C> {
    fn new(place: Place<'_, C>) -> Self {
        SeriesRef { chunk: place.chunk.clone(), slot: place.slot }
    }

    /// The series: its slot stays set while a handle holds its chunk.
    #[inline]
    fn entry(&self) -> &Entry<C> {
        match self.chunk[self.slot as usize].get() {
            Some(entry) => entry,
            None => unreachable!("a handle's slot is set"),
        }
    }

    /// The label values of the series, in declaration order.
    pub fn label_values(&self) -> impl ExactSizeIterator<Item = &str> {
        LabelValues::new(self.entry(), LabelValues::count(self.entry()))
    }

    /// Whether this is the overflow series.
    pub fn is_overflow(&self) -> bool {
        self.entry().is_overflow()
    }
}

impl SeriesRef<Gauge> {
    /// Adds one now and subtracts it when the guard drops; the guard owns the handle.
    pub fn track_inflight(self) -> InflightGuard<SeriesRef<Gauge>> {
        InflightGuard::new(self)
    }
}

impl SeriesRef<Histogram> {
    /// Starts a timer that records the elapsed seconds when dropped; the timer owns the handle.
    pub fn start_timer(self) -> HistogramTimer<SeriesRef<Histogram>> {
        HistogramTimer::new(self)
    }
}

/// The series of a family with open (string) labels, bounded.
///
/// Series live in shards (16, or one per 8,192 series of `max_series`, at most 256), each behind a
/// reader-writer lock: an update of an existing series hashes its label values and takes one shard's read
/// lock. Each series keeps its label text rendered, in a slot of one of its shard's chunks (runs of a few to
/// a thousand series in one allocation, filled in creation order), and a scrape walks each shard's chunks in
/// order, reading the series one after the other and copying that text. Past `max_series` series (or
/// the registry's total limit), an update for a new label combination goes to the overflow series, whose
/// open labels read `__overflow__`, so totals stay exact; [`OpenFamily::overflowed`] and the registry count
/// those updates.
pub struct OpenFamily<C: Metric> {
    desc: Descriptor,
    config: C::Config,
    options: OpenOptions,
    shards: Box<[Shard<C>]>,
    /// The keys of [`label_hash`], drawn for each family, so that label values chosen to collide in one
    /// process do not collide in another.
    ///
    /// [`label_hash`]: hash::label_hash
    keys: [u64; 2],
    len: AtomicUsize,
    overflowed: AtomicU64,
    /// The bound in force: the options' own, else the registry's per family once bound.
    max_series: AtomicUsize,
    /// When the family last warned that it is at its bound (ms since the Unix epoch; 0: never).
    warned_ms: AtomicU64,
    budget: OnceLock<SeriesBudget>,
    generation: AtomicU64,
    epoch: Instant,
}

impl<C: Metric> fmt::Debug for OpenFamily<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenFamily")
            .field("name", &self.desc.name())
            .field("series", &self.len())
            .field("options", &self.options)
            .finish()
    }
}

impl<C: Metric> OpenFamily<C> {
    /// A family with `desc`, every cell built from `config` (or from what converts into it: a
    /// histogram's [`Buckets`](crate::Buckets) or [`NativeConfig`](crate::cell::NativeConfig)).
    ///
    /// # Panics
    /// If `desc`'s type is not `C`'s, or `options` break a limit every family follows (a `max_series` or a
    /// TTL of zero: see [`check_series_limit`](promstruct_naming::check_series_limit) and
    /// [`check_ttl`](promstruct_naming::check_ttl)).
    pub fn new(desc: Descriptor, config: impl Into<C::Config>, options: OpenOptions) -> Self {
        let config = config.into();
        assert_eq!(desc.kind(), C::KIND, "family `{}`: descriptor type does not match the cell", desc.name());
        if let Err(e) = options.check() {
            panic!("family `{}`: {e}", desc.name());
        }
        OpenFamily {
            desc,
            config,
            options,
            shards: (0..shard_count(options.max_series.unwrap_or(DEFAULT_MAX_SERIES)))
                .map(|_| RwLock::new(Series::new()))
                .collect(),
            max_series: AtomicUsize::new(options.max_series.unwrap_or(DEFAULT_MAX_SERIES)),
            warned_ms: AtomicU64::new(0),
            keys: {
                use std::hash::BuildHasher;
                let random = foldhash::fast::RandomState::default();
                [random.hash_one(1u64), random.hash_one(2u64)]
            },
            len: AtomicUsize::new(0),
            overflowed: AtomicU64::new(0),
            budget: OnceLock::new(),
            generation: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// The family `#[metrics]` declared as `schema`: its descriptor, its cells' configuration (a
    /// histogram's buckets) and its options derived from it.
    ///
    /// # Panics
    /// As [`new`](Self::new), which the macro rules out at compile time.
    pub fn from_schema(schema: &'static FamilySchema) -> Self
    where
        C::Config: SchemaConfig,
    {
        Self::new(Descriptor::from_schema(schema), C::Config::from_schema(schema), OpenOptions::from_schema(schema))
    }

    /// The family's descriptor.
    pub fn descriptor(&self) -> &Descriptor {
        &self.desc
    }

    /// The number of series, the overflow series aside.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether the family holds no series (the overflow series aside).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Updates that went to the overflow series.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// The most series the family holds besides its overflow series: its own `max_series`, else its
    /// registry's bound per family once registered, else [`DEFAULT_MAX_SERIES`].
    pub fn max_series(&self) -> usize {
        self.max_series.load(Ordering::Relaxed)
    }

    /// Logs that the family is at its bound, at most once per [`OVERFLOW_WARNING_INTERVAL_MS`] (ADR-001 of
    /// the LLM platform's design: a cardinality limit refuses new label combinations and says so).
    #[cold]
    fn warn_overflow(&self) {
        let now = coarse_epoch_millis();
        let last = self.warned_ms.load(Ordering::Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= OVERFLOW_WARNING_INTERVAL_MS;
        if due && self.warned_ms.compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            tracing::warn!(
                family = %self.desc.name(),
                max_series = self.max_series(),
                overflowed_updates = self.overflowed(),
                "metric family is at its series limit: updates for new label values go to its overflow series \
                 (labels `{OVERFLOW_VALUE}`); raise `max_series` or `cardinality.max_per_metric`, or drop a label"
            );
        }
    }

    /// The series for these label values, one per declared label, in order; created if new.
    ///
    /// # Panics
    /// If the number of values differs from the number of labels.
    #[inline]
    pub fn get(&self, values: &[&str]) -> SeriesRef<C> {
        assert_eq!(
            values.len(),
            self.desc.label_count(),
            "family `{}`: wrong number of label values",
            self.desc.name()
        );
        let hash = self.hash(values.iter().copied());
        let shard = &self.shards[self.shard_of(hash)];
        let series = read(shard);
        match series.find(&self.desc, hash, values) {
            Some(place) => {
                self.touch(place.entry);
                SeriesRef::new(place)
            }
            None => {
                let added = series.added;
                drop(series);
                self.insert(hash, values, added)
            }
        }
    }

    /// Calls `f` with the series for these label values (created if new), one per declared label, in
    /// order: [`get`](Self::get) without the handle, so that an update of an existing series takes no
    /// reference count (`family.with(&["planner"], |c| c.inc())`).
    ///
    /// `f` runs while the series' shard is read-locked: it must not use this family (another family is
    /// fine). A lookup or a new series in it could wait for a writer that waits for `f`.
    ///
    /// # Panics
    /// If the number of values differs from the number of labels.
    #[inline]
    pub fn with<R>(&self, values: &[&str], f: impl FnOnce(&C) -> R) -> R {
        assert_eq!(
            values.len(),
            self.desc.label_count(),
            "family `{}`: wrong number of label values",
            self.desc.name()
        );
        let hash = self.hash(values.iter().copied());
        let series = read(&self.shards[self.shard_of(hash)]);
        if let Some(place) = series.find(&self.desc, hash, values) {
            self.touch(place.entry);
            return f(&place.entry.cell);
        }
        let added = series.added;
        drop(series);
        f(&self.insert(hash, values, added))
    }

    /// Takes a slot for a new series, in the family and in the registry's budget.
    fn reserve(&self) -> bool {
        let max = self.max_series();
        if self.len.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < max).then_some(n + 1)).is_err() {
            return false;
        }
        if let Some(budget) = self.budget.get() {
            if !budget.try_acquire() {
                self.len.fetch_sub(1, Ordering::Relaxed);
                return false;
            }
        }
        true
    }

    fn unreserve(&self) {
        self.len.fetch_sub(1, Ordering::Relaxed);
        if let Some(budget) = self.budget.get() {
            budget.release();
        }
    }

    #[cold]
    /// Adds the series of `values`, not found when the shard had had `added` series added.
    fn insert(&self, hash: u32, values: &[&str], added: u64) -> SeriesRef<C> {
        if !self.reserve() {
            return self.overflow(values);
        }
        let mut table = write(&self.shards[self.shard_of(hash)]);
        if let Some(found) = (table.added != added).then(|| table.find(&self.desc, hash, values)).flatten() {
            let found = SeriesRef::new(found);
            drop(table);
            self.unreserve();
            self.touch(found.entry());
            return found;
        }
        let entry = self.new_entry(values, false);
        SeriesRef::new(table.insert(entry, hash))
    }

    fn new_entry(&self, values: &[&str], overflow: bool) -> Entry<C> {
        let (text, escaped) = label_text(&self.desc, values);
        let generation = self.generation.load(Ordering::Relaxed) & GENERATION_MASK;
        // Only a family with a TTL reads the time of last activity.
        let ms = if self.options.ttl.is_some() { self.now_ms() } else { 0 };
        let flags = if overflow { OVERFLOW } else { 0 } | if escaped { ESCAPED } else { 0 };
        let cell = C::with_config(&self.config);
        cell.attach(&self.desc);
        // Called under the shard's write lock: `bind` sets the budget before it walks the shards, so a
        // series is bound here or by that walk.
        if let Some(budget) = self.budget.get() {
            cell.bind(budget);
        }
        Entry {
            cell,
            text,
            created_ms: coarse_epoch_millis(),
            activity: AtomicU64::new(ms << MS_SHIFT | flags | generation),
        }
    }

    #[cold]
    fn overflow(&self, values: &[&str]) -> SeriesRef<C> {
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        if let Some(budget) = self.budget.get() {
            budget.count_overflow();
        }
        self.warn_overflow();
        let key: SmallVec<[&str; 8]> = values
            .iter()
            .enumerate()
            .map(|(i, v)| if i < 64 && self.options.enum_labels & (1 << i) != 0 { *v } else { OVERFLOW_VALUE })
            .collect();
        let hash = self.hash(key.iter().copied());
        let shard = &self.shards[self.shard_of(hash)];
        if let Some(place) = read(shard).find(&self.desc, hash, &key) {
            return SeriesRef::new(place);
        }
        let mut table = write(shard);
        if let Some(place) = table.find(&self.desc, hash, &key) {
            return SeriesRef::new(place);
        }
        let entry = self.new_entry(&key, true);
        SeriesRef::new(table.insert(entry, hash))
    }
}

/// The labels of a series: the family's names and the values the series keeps escaped, copied whole into
/// the text formats and read back one by one for the protobuf format, which wants them raw.
struct OpenLabels<'a, C> {
    desc: &'a Descriptor,
    entry: &'a Entry<C>,
}

impl<C> EncodeLabels for OpenLabels<'_, C> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        if self.desc.label_count() == 0 {
            return;
        }
        if out.wants_raw_values() {
            raw_labels(self.desc, self.entry, out);
        } else {
            out.escaped_label(self.desc.label_name(0), self.entry.rendered());
        }
    }
}

/// The labels of a series one value at a time, raw, for the protobuf format and for a text format that
/// rewrites UTF-8 label names; out of line, so that the text formats' path stays as short as it was.
#[inline(never)]
fn raw_labels<C>(desc: &Descriptor, entry: &Entry<C>, out: &mut LabelWriter<'_>) {
    match entry.plain_text() {
        Some(text) => plain_values(text, desc, |i, value| out.label_bytes(desc.label_name(i), value)),
        None => {
            for (i, value) in LabelValues::new(entry, desc.label_count()).enumerate() {
                out.label(desc.label_name(i), value);
            }
        }
    }
}

impl<C: Metric> Collect for OpenFamily<C> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&self.desc)
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        if let Some(ttl) = self.options.ttl {
            self.evict_idle(ttl);
        }
        let mut family = enc.family(&self.desc);
        for shard in self.shards.iter() {
            for entry in read(shard).iter() {
                let labels = OpenLabels { desc: &self.desc, entry };
                entry.cell.encode(&mut family, &labels, Some(epoch_millis_to_seconds(entry.created_ms)));
            }
        }
    }

    fn bind(&self, budget: &SeriesBudget) {
        if self.budget.set(budget.clone()).is_ok() {
            if self.options.max_series.is_none() {
                self.max_series.store(budget.per_family(), Ordering::Relaxed);
            }
            for _ in 0..self.len() {
                budget.reserve_fixed(1);
            }
            for shard in self.shards.iter() {
                for entry in read(shard).iter() {
                    entry.cell.bind(budget);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricType;
    use crate::cell::Counter;

    pub(super) fn family(options: OpenOptions) -> OpenFamily<Counter> {
        let desc =
            Descriptor::builder("jobs", MetricType::Counter, "Jobs.").labels(["agent", "status"]).build().unwrap();
        OpenFamily::new(desc, (), options)
    }

    #[test]
    fn same_labels_same_series() {
        let f = family(OpenOptions::new());
        f.get(&["planner", "ok"]).inc();
        f.get(&["planner", "ok"]).inc_by(2);
        f.get(&["planner", "error"]).inc();
        assert_eq!(f.get(&["planner", "ok"]).get(), 3);
        assert_eq!(f.len(), 2);
        assert_eq!(f.get(&["planner", "ok"]).label_values().collect::<Vec<_>>(), ["planner", "ok"]);
    }

    #[test]
    fn overflow_keeps_totals_and_enum_labels() {
        let f = family(OpenOptions::new().max_series(3).enum_label(1));
        for i in 0..30 {
            f.get(&[&format!("agent-{i}"), if i % 2 == 0 { "ok" } else { "error" }]).inc();
        }
        assert_eq!(f.len(), 3);
        assert_eq!(f.overflowed(), 27);
        let ok = f.get(&["agent-99", "ok"]);
        assert!(ok.is_overflow());
        assert_eq!(ok.label_values().collect::<Vec<_>>(), [OVERFLOW_VALUE, "ok"]);
        assert_eq!(f.get(&["agent-0", "ok"]).get(), 1, "existing series still update after the bound");
    }

    #[test]
    fn budget_bounds_across_families() {
        let budget = SeriesBudget::new(4);
        let a = family(OpenOptions::new());
        let b = family(OpenOptions::new());
        a.bind(&budget);
        b.bind(&budget);
        for i in 0..3 {
            a.get(&[&i.to_string(), "x"]).inc();
            b.get(&[&i.to_string(), "x"]).inc();
        }
        assert_eq!(a.len() + b.len(), 4);
        assert_eq!(budget.used(), 4);
        assert_eq!(budget.overflowed(), 2);
    }

    #[test]
    fn with_updates_the_series_get_returns() {
        let f = family(OpenOptions::new().max_series(2));
        assert_eq!(
            f.with(&["planner", "ok"], |c| {
                c.inc();
                c.get()
            }),
            1
        );
        f.with(&["planner", "ok"], |c| c.inc_by(2));
        assert_eq!(f.get(&["planner", "ok"]).get(), 3);
        f.with(&["coder", "ok"], |c| c.inc());
        f.with(&["reviewer", "ok"], |c| c.inc());
        assert_eq!((f.len(), f.overflowed()), (2, 1), "past the bound `with` goes to the overflow series");
        assert_eq!(f.get(&[OVERFLOW_VALUE, OVERFLOW_VALUE]).get(), 1);
    }
}
