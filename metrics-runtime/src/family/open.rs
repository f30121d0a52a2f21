use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use hashbrown::HashTable;
use smallvec::SmallVec;

use super::SeriesBudget;
use crate::Descriptor;
use crate::cell::{Gauge, Histogram, HistogramTimer, InflightGuard, Metric};
use crate::encoding::{EncodeLabels, Encoder, LabelWriter, now_epoch_seconds};
use crate::registry::Collect;

/// The value the open labels of the overflow series read.
pub const OVERFLOW_VALUE: &str = metrics_naming::OVERFLOW_VALUE;

const SHARDS: usize = 16;

/// How an [`OpenFamily`] bounds itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOptions {
    max_series: usize,
    ttl: Option<Duration>,
    enum_labels: u64,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { max_series: 1000, ttl: None, enum_labels: 0 }
    }
}

impl OpenOptions {
    /// At most 1000 series, kept until the process ends, every label open.
    pub const fn new() -> Self {
        OpenOptions { max_series: 1000, ttl: None, enum_labels: 0 }
    }

    /// The most series the family holds besides its overflow series.
    pub const fn max_series(mut self, max_series: usize) -> Self {
        self.max_series = max_series;
        self
    }

    /// Drops a series that has not been updated for `ttl` (checked at each scrape, to within one scrape
    /// interval, never early).
    pub const fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Marks label `index` as taking a closed set of values (an enum): the overflow series keeps its value
    /// instead of reading `__overflow__`.
    pub const fn enum_label(mut self, index: usize) -> Self {
        assert!(index < 64, "at most 64 labels");
        self.enum_labels |= 1 << index;
        self
    }
}

/// One series of an [`OpenFamily`].
struct Entry<C> {
    values: Box<[Box<str>]>,
    cell: C,
    created: f64,
    overflow: bool,
    /// The scrape generation during which the series was last updated.
    touched: AtomicU64,
    /// Milliseconds since the family's epoch at the scrape that last saw the series updated.
    last_active: AtomicU64,
}

/// A shared handle to one series of an [`OpenFamily`]; dereferences to the cell.
///
/// The handle keeps the series alive: updates through it after the family dropped the series for being
/// idle are not seen by later scrapes. Take a handle per operation, as the generated accessors do.
pub struct SeriesRef<C>(Arc<Entry<C>>);

impl<C> Clone for SeriesRef<C> {
    fn clone(&self) -> Self {
        SeriesRef(self.0.clone())
    }
}

impl<C> Deref for SeriesRef<C> {
    type Target = C;

    #[inline]
    fn deref(&self) -> &C {
        &self.0.cell
    }
}

impl<C: fmt::Debug> fmt::Debug for SeriesRef<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeriesRef").field("labels", &self.0.values).field("cell", &self.0.cell).finish()
    }
}

impl<C> SeriesRef<C> {
    /// The label values of the series, in declaration order.
    pub fn label_values(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.values.iter().map(|v| &**v)
    }

    /// Whether this is the overflow series.
    pub fn is_overflow(&self) -> bool {
        self.0.overflow
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

type Shard<C> = RwLock<HashTable<Arc<Entry<C>>>>;

/// The series of a family with open (string) labels, bounded.
///
/// Series live in a map sharded sixteen ways, each shard behind a reader-writer lock: an update of an
/// existing series hashes its label values and takes one shard's read lock. Past `max_series` series (or
/// the registry's total limit), an update for a new label combination goes to the overflow series, whose
/// open labels read `__overflow__`, so totals stay exact; [`OpenFamily::overflowed`] and the registry count
/// those updates.
pub struct OpenFamily<C: Metric> {
    desc: Descriptor,
    config: C::Config,
    options: OpenOptions,
    shards: Box<[Shard<C>]>,
    hasher: foldhash::fast::RandomState,
    len: AtomicUsize,
    overflowed: AtomicU64,
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
    /// A family with `desc`, every cell built from `config`.
    ///
    /// # Panics
    /// If `desc`'s type is not `C`'s.
    pub fn new(desc: Descriptor, config: C::Config, options: OpenOptions) -> Self {
        assert_eq!(desc.kind(), C::KIND, "family `{}`: descriptor type does not match the cell", desc.name());
        OpenFamily {
            desc,
            config,
            options,
            shards: (0..SHARDS).map(|_| RwLock::new(HashTable::new())).collect(),
            hasher: foldhash::fast::RandomState::default(),
            len: AtomicUsize::new(0),
            overflowed: AtomicU64::new(0),
            budget: OnceLock::new(),
            generation: AtomicU64::new(0),
            epoch: Instant::now(),
        }
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
        let shard = &self.shards[shard_of(hash)];
        let found = read(shard).find(hash, |e| same_values(e, values)).cloned();
        match found {
            Some(entry) => {
                self.touch(&entry);
                SeriesRef(entry)
            }
            None => self.insert(hash, values),
        }
    }

    fn hash<'v>(&self, values: impl Iterator<Item = &'v str>) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = self.hasher.build_hasher();
        for v in values {
            v.hash(&mut h);
        }
        h.finish()
    }

    #[inline]
    fn touch(&self, entry: &Entry<C>) {
        if self.options.ttl.is_some() {
            let g = self.generation.load(Ordering::Relaxed);
            if entry.touched.load(Ordering::Relaxed) != g {
                entry.touched.store(g, Ordering::Relaxed);
            }
        }
    }

    /// Takes a slot for a new series, in the family and in the registry's budget.
    fn reserve(&self) -> bool {
        let max = self.options.max_series;
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
    fn insert(&self, hash: u64, values: &[&str]) -> SeriesRef<C> {
        if !self.reserve() {
            return self.overflow(values);
        }
        let mut table = write(&self.shards[shard_of(hash)]);
        if let Some(entry) = table.find(hash, |e| same_values(e, values)) {
            let entry = entry.clone();
            drop(table);
            self.unreserve();
            self.touch(&entry);
            return SeriesRef(entry);
        }
        let entry = self.new_entry(values, false);
        table.insert_unique(hash, entry.clone(), |e| self.hash(e.values.iter().map(|v| &**v)));
        SeriesRef(entry)
    }

    fn new_entry(&self, values: &[&str], overflow: bool) -> Arc<Entry<C>> {
        Arc::new(Entry {
            values: values.iter().map(|v| Box::from(*v)).collect(),
            cell: C::with_config(&self.config),
            created: now_epoch_seconds(),
            overflow,
            touched: AtomicU64::new(self.generation.load(Ordering::Relaxed)),
            last_active: AtomicU64::new(self.now_ms()),
        })
    }

    #[cold]
    fn overflow(&self, values: &[&str]) -> SeriesRef<C> {
        self.overflowed.fetch_add(1, Ordering::Relaxed);
        if let Some(budget) = self.budget.get() {
            budget.count_overflow();
        }
        let key: SmallVec<[&str; 8]> = values
            .iter()
            .enumerate()
            .map(|(i, v)| if i < 64 && self.options.enum_labels & (1 << i) != 0 { *v } else { OVERFLOW_VALUE })
            .collect();
        let hash = self.hash(key.iter().copied());
        let shard = &self.shards[shard_of(hash)];
        if let Some(entry) = read(shard).find(hash, |e| same_values(e, &key)) {
            return SeriesRef(entry.clone());
        }
        let mut table = write(shard);
        if let Some(entry) = table.find(hash, |e| same_values(e, &key)) {
            return SeriesRef(entry.clone());
        }
        let entry = self.new_entry(&key, true);
        table.insert_unique(hash, entry.clone(), |e| self.hash(e.values.iter().map(|v| &**v)));
        SeriesRef(entry)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Drops the series not updated within the TTL; returns how many were dropped.
    fn evict_idle(&self, ttl: Duration) -> usize {
        // Series touched since the previous scrape carry this generation; later touches carry the next.
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let now = self.now_ms();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let mut dropped = 0;
        for shard in self.shards.iter() {
            let mut released = 0;
            write(shard).retain(|e| {
                if e.touched.load(Ordering::Relaxed) == generation {
                    e.last_active.store(now, Ordering::Relaxed);
                    return true;
                }
                let keep = now.saturating_sub(e.last_active.load(Ordering::Relaxed)) <= ttl_ms;
                if !keep && !e.overflow {
                    released += 1;
                }
                keep
            });
            for _ in 0..released {
                self.unreserve();
            }
            dropped += released;
        }
        dropped
    }
}

fn shard_of(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

fn same_values<C>(entry: &Entry<C>, values: &[&str]) -> bool {
    entry.values.len() == values.len() && entry.values.iter().zip(values).all(|(a, b)| **a == **b)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

struct OpenLabels<'a> {
    desc: &'a Descriptor,
    values: &'a [Box<str>],
}

impl EncodeLabels for OpenLabels<'_> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        for (i, value) in self.values.iter().enumerate() {
            out.label(self.desc.label_name(i), value);
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
                let labels = OpenLabels { desc: &self.desc, values: &entry.values };
                entry.cell.encode(&mut family, &labels, Some(entry.created));
            }
        }
    }

    fn bind(&self, budget: &SeriesBudget) {
        if self.budget.set(budget.clone()).is_ok() {
            for _ in 0..self.len() {
                budget.reserve_fixed(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MetricType;
    use crate::cell::Counter;

    fn family(options: OpenOptions) -> OpenFamily<Counter> {
        let desc =
            Descriptor::new("jobs", MetricType::Counter, "Jobs.").unwrap().with_labels(["agent", "status"]).unwrap();
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
    fn idle_series_expire() {
        let f = family(OpenOptions::new().ttl(Duration::from_millis(50)));
        f.get(&["idle", "ok"]).inc();
        f.get(&["busy", "ok"]).inc();
        assert_eq!(f.evict_idle(Duration::from_millis(50)), 0);
        std::thread::sleep(Duration::from_millis(30));
        f.get(&["busy", "ok"]).inc();
        std::thread::sleep(Duration::from_millis(40));
        f.get(&["busy", "ok"]).inc();
        assert_eq!(f.evict_idle(Duration::from_millis(50)), 1);
        assert_eq!(f.len(), 1);
        assert_eq!(f.get(&["busy", "ok"]).get(), 3);
        assert_eq!(f.get(&["idle", "ok"]).get(), 0, "an expired series starts again from zero");
    }
}
