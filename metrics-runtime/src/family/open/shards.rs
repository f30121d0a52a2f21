//! The shards of an open family: each keeps its series in chunks of slots, walked in order by a scrape,
//! and finds them through a table of their positions, grown or rebuilt in place.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, RwLock};

use hashbrown::HashTable;

use super::entry::{DEAD, Entry};
use super::hash::table_hash;
use crate::Descriptor;

/// Series per shard a family is sized for: few shards keep a scrape's walk long and in order, and a table
/// this size is rebuilt in well under a millisecond.
const SERIES_PER_SHARD: usize = 8192;
/// The fewest shards, so that threads updating different series rarely share a lock.
const MIN_SHARDS: usize = 16;
/// The most shards: a family bounded at two million series or more still holds them in 256 tables.
const MAX_SHARDS: usize = 256;
/// The fewest slots of a chunk, and the size of a shard's first. Each next chunk has a quarter as many
/// slots as the shard's chunks before it, up to [`MAX_CHUNK`]: a family of a few series takes a few slots a
/// shard, one of many takes chunks of tens of kilobytes, and slots not yet used are at most a fifth of a
/// shard's (the last chunk's), which matters for large cells such as histograms.
const FIRST_CHUNK: usize = 4;
/// The most slots of a chunk.
const MAX_CHUNK: usize = 1024;
/// The freed slots an insert tries before it takes a new one: a handle kept for long holds its chunk, whose
/// freed slots wait until it goes.
const FREE_TRIES: usize = 8;
/// A position is `chunk << CHUNK_BITS | slot`.
const CHUNK_BITS: u32 = 16;

/// A run of series in one allocation: what a scrape reads in order, and what a [`SeriesRef`] keeps alive.
/// A slot is set once; it is emptied, for a new series to take, only when no handle holds the chunk.
///
/// [`SeriesRef`]: super::SeriesRef
pub(super) type Chunk<C> = Arc<[OnceLock<Entry<C>>]>;

/// A share of the series: chunks of slots filled in the order the series were created (a slot freed by an
/// expired series is taken by a later one), and a table of the live series' positions.
pub(super) struct Series<C> {
    chunks: Vec<Chunk<C>>,
    /// Slots used in the last chunk.
    tail: usize,
    /// The positions of expired series, whose slots a new series may take once their chunk has no handle.
    free: Vec<u32>,
    /// Each live series' position and the hash of its labels: the table grows without reading the series.
    table: HashTable<(u32, u32)>,
    /// Series added so far: a thread that found no series under the read lock need not look again under
    /// the write lock if none was added in between (series that go cannot make a lookup succeed).
    pub(super) added: u64,
}

/// A chunk and the slot of a series in it: what a handle holds.
pub(super) struct Place<'a, C> {
    pub(super) chunk: &'a Chunk<C>,
    pub(super) slot: u32,
    pub(super) entry: &'a Entry<C>,
}

fn split(position: u32) -> (usize, usize) {
    ((position >> CHUNK_BITS) as usize, (position & ((1 << CHUNK_BITS) - 1)) as usize)
}

impl<C> Series<C> {
    pub(super) fn new() -> Self {
        Series { chunks: Vec::new(), tail: 0, free: Vec::new(), table: HashTable::new(), added: 0 }
    }

    fn place(&self, position: u32) -> Place<'_, C> {
        let (c, s) = split(position);
        let chunk = &self.chunks[c];
        let entry = chunk[s].get().expect("a position in the table is a set slot");
        Place { chunk, slot: s as u32, entry }
    }

    #[inline]
    pub(super) fn find(&self, desc: &Descriptor, hash: u32, values: &[&str]) -> Option<Place<'_, C>> {
        self.table
            .find(table_hash(hash), |&(p, h)| h == hash && self.place(p).entry.matches(desc, values))
            .map(|&(p, _)| self.place(p))
    }

    /// The live series, in the order of their slots.
    #[inline]
    pub(super) fn iter(&self) -> impl Iterator<Item = &Entry<C>> {
        self.chunks
            .iter()
            .flat_map(|chunk| chunk.iter())
            .filter_map(OnceLock::get)
            .filter(|e| e.activity.load(Ordering::Relaxed) & DEAD == 0)
    }

    /// Adds a series whose labels hash to `hash`, in a freed slot whose chunk no handle holds, else at the
    /// end; returns its place.
    pub(super) fn insert(&mut self, entry: Entry<C>, hash: u32) -> Place<'_, C> {
        let position = self.free_slot().unwrap_or_else(|| self.next_slot());
        let (c, s) = split(position);
        if self.chunks[c][s].set(entry).is_err() {
            unreachable!("a new series' slot is empty");
        }
        self.table.insert_unique(table_hash(hash), (position, hash), |&(_, h)| table_hash(h));
        self.added = self.added.wrapping_add(1);
        self.place(position)
    }

    /// One of the last [`FREE_TRIES`] freed slots whose chunk no handle holds, emptied.
    fn free_slot(&mut self) -> Option<u32> {
        let tries = self.free.len().saturating_sub(FREE_TRIES);
        for i in (tries..self.free.len()).rev() {
            let (c, s) = split(self.free[i]);
            if let Some(chunk) = Arc::get_mut(&mut self.chunks[c]) {
                chunk[s].take();
                return Some(self.free.swap_remove(i));
            }
        }
        None
    }

    /// The next slot never used, in a new chunk if the last is full.
    fn next_slot(&mut self) -> u32 {
        let full = self.chunks.last().is_none_or(|chunk| self.tail == chunk.len());
        if full {
            let slots: usize = self.chunks.iter().map(|chunk| chunk.len()).sum();
            let len = (slots / 4).clamp(FIRST_CHUNK, MAX_CHUNK);
            assert!(self.chunks.len() < 1 << (32 - CHUNK_BITS), "under 2^16 chunks in a shard");
            self.chunks.push((0..len).map(|_| OnceLock::new()).collect());
            self.tail = 0;
        }
        self.tail += 1;
        ((self.chunks.len() - 1) as u32) << CHUNK_BITS | (self.tail - 1) as u32
    }

    /// Keeps the series `keep` returns true for; those that go are marked dead (a handle may still update
    /// them, unseen), their slots freed for new series, and the table is rebuilt, hashing the labels of
    /// the series that stay with `rehash`.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Entry<C>) -> bool, rehash: impl Fn(&Entry<C>) -> u32) {
        let before = self.free.len();
        let mut live = 0;
        for (c, chunk) in self.chunks.iter().enumerate() {
            for (s, slot) in chunk.iter().enumerate() {
                let Some(entry) = slot.get() else { continue };
                if entry.activity.load(Ordering::Relaxed) & DEAD != 0 {
                    continue;
                }
                if keep(entry) {
                    live += 1;
                } else {
                    entry.activity.fetch_or(DEAD, Ordering::Relaxed);
                    self.free.push((c as u32) << CHUNK_BITS | s as u32);
                }
            }
        }
        if self.free.len() == before {
            return;
        }
        // Drops what the expired series hold (label text on the heap, histogram stripes) now in the chunks
        // no handle holds; the others' when their slot is taken.
        for &position in &self.free[before..] {
            let (c, s) = split(position);
            if let Some(chunk) = Arc::get_mut(&mut self.chunks[c]) {
                chunk[s].take();
            }
        }
        let mut table = HashTable::with_capacity(live);
        for (c, chunk) in self.chunks.iter().enumerate() {
            for (s, slot) in chunk.iter().enumerate() {
                if let Some(entry) = slot.get().filter(|e| e.activity.load(Ordering::Relaxed) & DEAD == 0) {
                    let hash = rehash(entry);
                    let position = (c as u32) << CHUNK_BITS | s as u32;
                    table.insert_unique(table_hash(hash), (position, hash), |&(_, h)| table_hash(h));
                }
            }
        }
        self.table = table;
    }

    /// Slots allocated, live, dead or empty: what the shard's chunks take in memory.
    #[cfg(test)]
    pub(super) fn slots(&self) -> usize {
        self.chunks.iter().map(|chunk| chunk.len()).sum()
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
