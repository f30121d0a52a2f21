//! The native buckets of one lane on one side of zero: counts by bucket index, in an open-addressed table
//! that is found without a lock and only ever grows.
//!
//! A bucket's slot is its index modulo the capacity, or the next free one: the indices a histogram uses
//! are mostly consecutive, so they rarely collide. The tables are allocated once each (capacities 32,
//! 64, ... up to 2^20, more than the indices of one side at schema 8) and kept: a reset or a coarser
//! layout empties the current table and fills it again, with no allocation.
//!
//! Who may change what: a lookup ([`Side::find`]) and an update of a count are free for the lane's
//! writers; inserting an index ([`Side::insert`]) is for a holder of the histogram's lock (readers of the
//! table never see a slot half written: its count is zero before its index is published); growing,
//! clearing and filling ([`Side::grow`], [`Side::clear`], [`Side::slot_for`]) are for a holder of the lock
//! while no other thread writes the lane: the owner of an owned lane, or anyone while a shared half is cold.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};

/// The index of a free slot: no bucket has it (indices stay within a few million of zero).
const EMPTY: i32 = i32::MIN;

/// The capacity of the first table.
const MIN_CAPACITY: usize = 32;

/// The number of tables: the last holds 2^20 slots, more than the 2098 * 256 + 2 indices of one side at
/// schema 8, at the load allowed.
const LEVELS: usize = 16;

/// Slots per line.
const LINE: usize = 8;

/// One bucket: its index ([`EMPTY`] for a free slot) and its count.
struct Slot {
    index: AtomicI32,
    count: AtomicU64,
}

/// Eight slots on a 128-byte line pair of their own, so that two lanes' tables never share a line.
#[repr(align(128))]
struct Line([Slot; LINE]);

fn table(capacity: usize) -> Box<[Line]> {
    (0..capacity / LINE)
        .map(|_| Line(std::array::from_fn(|_| Slot { index: AtomicI32::new(EMPTY), count: AtomicU64::new(0) })))
        .collect()
}

/// The counts of one side of zero.
pub(super) struct Side {
    /// The table in use; the others are empty.
    level: AtomicUsize,
    /// The slots in use in the current table.
    used: AtomicUsize,
    tables: [OnceLock<Box<[Line]>>; LEVELS],
}

impl Side {
    pub(super) fn new() -> Self {
        let side = Side {
            level: AtomicUsize::new(0),
            used: AtomicUsize::new(0),
            tables: std::array::from_fn(|_| OnceLock::new()),
        };
        side.tables[0].get_or_init(|| table(MIN_CAPACITY));
        side
    }

    /// The table in use.
    #[inline]
    fn current(&self) -> &[Line] {
        // Every table up to the level in use was allocated before the level was published.
        self.tables[self.level.load(Ordering::Acquire)].get().map_or(&[], |t| &t[..])
    }

    #[inline]
    fn slot(table: &[Line], i: usize) -> &Slot {
        &table[i / LINE].0[i % LINE]
    }

    /// The first slot `index` may take in `table`.
    #[inline]
    fn home(table: &[Line], index: i32) -> usize {
        (index as u32 as usize) & (table.len() * LINE - 1)
    }

    /// The count of bucket `index`, if it has a slot.
    #[inline]
    pub(super) fn find(&self, index: i32) -> Option<&AtomicU64> {
        Self::find_in(self.current(), index)
    }

    #[inline]
    fn find_in(table: &[Line], index: i32) -> Option<&AtomicU64> {
        let mask = table.len() * LINE - 1;
        let mut i = Self::home(table, index);
        loop {
            let slot = Self::slot(table, i);
            // Acquire: a slot published by an insert of another thread is seen with its count.
            match slot.index.load(Ordering::Acquire) {
                found if found == index => return Some(&slot.count),
                EMPTY => return None,
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Whether `more` slots keep the table within its load, seven eighths: the indices a histogram uses
    /// are mostly a run of consecutive ones, which take their home slots without colliding however full
    /// the table is, so probes stay short.
    fn has_room_for(&self, more: usize) -> bool {
        (self.used.load(Ordering::Relaxed) + more) * 8 <= self.current().len() * LINE * 7
    }

    /// The count of bucket `index`, given a slot if it has none and the table has room; `None` if it has no
    /// slot and the table must grow first. For a holder of the histogram's lock.
    pub(super) fn insert(&self, index: i32) -> Option<&AtomicU64> {
        if let Some(count) = self.find(index) {
            return Some(count);
        }
        if !self.has_room_for(1) {
            return None;
        }
        let table = self.current();
        let mask = table.len() * LINE - 1;
        let mut i = Self::home(table, index);
        while Self::slot(table, i).index.load(Ordering::Relaxed) != EMPTY {
            i = (i + 1) & mask;
        }
        let slot = Self::slot(table, i);
        // The count of a free slot is zero; Release publishes the slot to lock-free lookups.
        slot.index.store(index, Ordering::Release);
        self.used.fetch_add(1, Ordering::Relaxed);
        Some(&slot.count)
    }

    /// The count of bucket `index`, growing the table if it must. For a holder of the lock while no other
    /// thread writes the lane.
    pub(super) fn slot_for(&self, index: i32) -> &AtomicU64 {
        if self.find(index).is_none() && !self.has_room_for(1) {
            self.grow();
        }
        self.insert(index).expect("a table with room takes an index")
    }

    /// Moves every bucket to the next table, twice as large. For a holder of the lock while no other thread
    /// writes the lane.
    pub(super) fn grow(&self) {
        let level = self.level.load(Ordering::Relaxed);
        assert!(level + 1 < LEVELS, "more native buckets on one side than a schema has");
        let next = self.tables[level + 1].get_or_init(|| table(MIN_CAPACITY << (level + 1)));
        let mask = next.len() * LINE - 1;
        for line in self.current() {
            for slot in &line.0 {
                let index = slot.index.load(Ordering::Relaxed);
                if index == EMPTY {
                    continue;
                }
                let mut i = Self::home(next, index);
                while Self::slot(next, i).index.load(Ordering::Relaxed) != EMPTY {
                    i = (i + 1) & mask;
                }
                let to = Self::slot(next, i);
                to.count.store(slot.count.load(Ordering::Relaxed), Ordering::Relaxed);
                to.index.store(index, Ordering::Relaxed);
                slot.count.store(0, Ordering::Relaxed);
                slot.index.store(EMPTY, Ordering::Relaxed);
            }
        }
        self.level.store(level + 1, Ordering::Release);
    }

    /// Grows until `buckets` more fit without growing. For a holder of the lock while no other thread
    /// writes the lane.
    pub(super) fn reserve(&self, buckets: usize) {
        while !self.has_room_for(buckets) {
            self.grow();
        }
    }

    /// Empties the table in use. For a holder of the lock while no other thread writes the lane.
    pub(super) fn clear(&self) {
        for line in self.current() {
            for slot in &line.0 {
                slot.count.store(0, Ordering::Relaxed);
                slot.index.store(EMPTY, Ordering::Relaxed);
            }
        }
        self.used.store(0, Ordering::Relaxed);
    }

    /// Calls `f` with the index and count of every bucket with a slot (counts read with Acquire: an
    /// observation seen here has its classic bucket seen by later reads).
    pub(super) fn for_each(&self, mut f: impl FnMut(i32, u64)) {
        for line in self.current() {
            for slot in &line.0 {
                let index = slot.index.load(Ordering::Acquire);
                if index != EMPTY {
                    f(index, slot.count.load(Ordering::Acquire));
                }
            }
        }
    }

    /// The sum of the counts, read with Acquire.
    pub(super) fn total(&self) -> u64 {
        let mut total = 0u64;
        self.for_each(|_, count| total = total.wrapping_add(count));
        total
    }

    /// The slots in use.
    pub(super) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// The bytes the tables allocated take.
    pub(super) fn heap_bytes(&self) -> usize {
        self.tables.iter().filter_map(OnceLock::get).map(|t| std::mem::size_of_val(&**t)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_find_grow_and_clear() {
        let side = Side::new();
        assert!(side.find(5).is_none());
        side.insert(5).unwrap().store(3, Ordering::Relaxed);
        side.insert(-7).unwrap().store(1, Ordering::Relaxed);
        // 5 + 32 collides with 5 and takes the next slot.
        side.insert(37).unwrap().store(2, Ordering::Relaxed);
        assert_eq!(side.find(5).map(|c| c.load(Ordering::Relaxed)), Some(3));
        assert_eq!(side.find(37).map(|c| c.load(Ordering::Relaxed)), Some(2));
        assert_eq!(side.used(), 3);
        // Seven eighths of 32 fit; the next needs a larger table.
        for i in 100..125 {
            side.insert(i).unwrap().store(1, Ordering::Relaxed);
        }
        assert_eq!(side.used(), 28);
        assert!(side.insert(500).is_none(), "a full table refuses");
        side.slot_for(500).store(9, Ordering::Relaxed);
        assert_eq!(side.total(), 3 + 1 + 2 + 25 + 9, "growing keeps every count");
        assert_eq!(side.find(-7).map(|c| c.load(Ordering::Relaxed)), Some(1));
        let mut seen = Vec::new();
        side.for_each(|i, c| seen.push((i, c)));
        assert_eq!(seen.len(), 29);
        side.clear();
        assert_eq!((side.used(), side.total()), (0, 0));
        assert!(side.find(5).is_none());
        assert_eq!(side.heap_bytes(), (32 + 64) * 16, "both tables are kept for reuse");
        side.reserve(100);
        assert!(side.current().len() * LINE >= 115);
    }
}
