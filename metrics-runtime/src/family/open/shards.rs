//! The shards of an open family: each a table of series, found by hash and grown or rebuilt in place.

use std::sync::{Arc, RwLock};

use hashbrown::HashTable;

use super::entry::Entry;
use super::hash::table_hash;
use crate::Descriptor;

/// Series per shard a family is sized for: few shards keep a scrape's walk through memory close to the
/// order the series were allocated in, and a table this size is rebuilt in well under a millisecond.
const SERIES_PER_SHARD: usize = 8192;
/// The fewest shards, so that threads updating different series rarely share a lock.
const MIN_SHARDS: usize = 16;
/// The most shards: a family bounded at two million series or more still holds them in 256 tables.
const MAX_SHARDS: usize = 256;

/// A share of the series: kept in the order they were created, so that a scrape walks memory about in the
/// order it was allocated, and found through a table of their positions.
pub(super) struct Series<C> {
    pub(super) entries: Vec<Arc<Entry<C>>>,
    /// Each series' position in `entries` and the hash of its labels: the table grows without reading
    /// the series.
    table: HashTable<(u32, u32)>,
    /// Series added so far: a thread that found no series under the read lock need not look again under
    /// the write lock if none was added in between (series that go cannot make a lookup succeed).
    pub(super) added: u64,
}

impl<C> Series<C> {
    pub(super) fn new() -> Self {
        Series { entries: Vec::new(), table: HashTable::new(), added: 0 }
    }

    #[inline]
    pub(super) fn find(&self, desc: &Descriptor, hash: u32, values: &[&str]) -> Option<&Arc<Entry<C>>> {
        let entries = &self.entries;
        self.table
            .find(table_hash(hash), |&(i, h)| h == hash && entries[i as usize].matches(desc, values))
            .map(|&(i, _)| &entries[i as usize])
    }

    /// Adds a series whose labels hash to `hash`.
    pub(super) fn insert(&mut self, entry: Arc<Entry<C>>, hash: u32) {
        let index = u32::try_from(self.entries.len()).expect("under 2^32 series in a shard");
        self.entries.push(entry);
        self.table.insert_unique(table_hash(hash), (index, hash), |&(_, h)| table_hash(h));
        self.added = self.added.wrapping_add(1);
    }

    /// Keeps the series `keep` returns true for; if any went, the table is rebuilt, hashing the labels of
    /// the series that stay with `rehash`.
    pub(super) fn retain(&mut self, keep: impl FnMut(&Arc<Entry<C>>) -> bool, rehash: impl Fn(&Entry<C>) -> u32) {
        let before = self.entries.len();
        self.entries.retain(keep);
        if self.entries.len() != before {
            let mut table = HashTable::with_capacity(self.entries.len());
            for (i, entry) in self.entries.iter().enumerate() {
                let hash = rehash(entry);
                table.insert_unique(table_hash(hash), (i as u32, hash), |&(_, h)| table_hash(h));
            }
            self.table = table;
        }
    }
}

pub(super) type Shard<C> = RwLock<Series<C>>;

/// The shards of a family bounded at `max_series`: a power of two from [`MIN_SHARDS`] to [`MAX_SHARDS`], so
/// that a full family holds about [`SERIES_PER_SHARD`] series in each.
pub(super) fn shard_count(max_series: usize) -> usize {
    (max_series / SERIES_PER_SHARD).clamp(MIN_SHARDS, MAX_SHARDS).next_power_of_two()
}

pub(super) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use crate::family::open::OpenOptions;
    use crate::family::open::tests::family;

    #[test]
    fn series_are_found_again_after_the_tables_grow() {
        let f = family(OpenOptions::new().max_series(10_000));
        let name = |i: usize| if i % 3 == 0 { format!("q\"{i}") } else { format!("agent-{i}") };
        for i in 0..4000 {
            f.get(&[&name(i), "ok"]).inc();
        }
        for i in 0..4000 {
            assert_eq!(f.get(&[&name(i), "ok"]).get(), 1, "{}", name(i));
        }
        assert_eq!(f.len(), 4000);
        assert_eq!(f.overflowed(), 0);
    }
}
