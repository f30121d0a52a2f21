//! The first writer of a compact cell: the one thread that may update it with plain loads and stores
//! before contention is seen (a histogram series' compact run, a native histogram's first lane).
//!
//! Each thread has a tag, a number no other thread of the process ever has. A cell records the tag of the
//! first thread that writes it; any other thread sees that it is not the writer and counts elsewhere
//! (the stripes), which is how a cell learns that it is contended. A writer that exits hands its cells
//! on: its tag joins the [`EXITED`] list (under a lock, which orders everything it wrote before the next
//! writer's first update), and the next thread to write such a cell before it grew stripes takes it
//! over, so that a series whose threads come and go one at a time stays compact.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use super::stripe_claim::report_exit_of;

/// The source of [`thread_tag`]s: the next one handed out.
static NEXT_TAG: AtomicU64 = AtomicU64::new(1);

/// The tags of the latest [`EXITED_KEPT`] threads that exited after becoming a first writer. A tag that
/// dropped off the list only costs its cells their take-over: they grow stripes instead.
static EXITED: Mutex<VecDeque<u64>> = Mutex::new(VecDeque::new());
const EXITED_KEPT: usize = 1024;

thread_local! {
    /// This thread's tag; 0 until it first asks.
    static TAG: Cell<u64> = const { Cell::new(0) };
}

/// A number that tells the calling thread from every other thread of the process, for as long as the
/// process lives (never 0, never reused, even after the thread exits).
#[inline]
pub(crate) fn thread_tag() -> u64 {
    TAG.with(|tag| match tag.get() {
        0 => {
            // Relaxed: only uniqueness matters, which the read-modify-write gives.
            let new = NEXT_TAG.fetch_add(1, Ordering::Relaxed);
            tag.set(new);
            new
        }
        known => known,
    })
}

/// Lists `tag`, the tag of the calling thread, which became a first writer and is exiting, in [`EXITED`]:
/// its cells may be taken over. Called by the thread's stripe claim as it drops (a thread-local whose
/// destructor every updating thread registers anyway, so that becoming a writer allocates nothing).
pub(crate) fn writer_exited(tag: u64) {
    // From now on this thread writes no cell as their writer (a destructor running later on it may still
    // observe): it takes a new tag, which is never listed, so that what it writes goes to the stripes.
    TAG.with(|t| t.set(NEXT_TAG.fetch_add(1, Ordering::Relaxed)));
    let mut exited = EXITED.lock().unwrap_or_else(PoisonError::into_inner);
    if exited.len() == EXITED_KEPT {
        exited.pop_front();
    }
    exited.push_back(tag);
}

/// The one thread that writes a compact run of a cell: the first to ask, recorded by its [`thread_tag`].
#[derive(Debug, Default)]
pub(crate) struct FirstWriter(AtomicU64);

impl FirstWriter {
    /// No writer yet.
    pub(crate) const fn new() -> Self {
        FirstWriter(AtomicU64::new(0))
    }

    /// Whether the calling thread is the writer: it was the first to ask, now or before. Relaxed: the
    /// writer's own updates need no ordering with this word, only the one thread that may make them.
    #[inline]
    pub(crate) fn is_caller(&self) -> bool {
        let tag = thread_tag();
        match self.0.load(Ordering::Relaxed) {
            w if w == tag => true,
            0 => self.claim(0, tag),
            _ => false,
        }
    }

    /// Makes the calling thread the writer in place of `from` (0, or an exited writer); whether it is now.
    #[cold]
    fn claim(&self, from: u64, tag: u64) -> bool {
        match self.0.compare_exchange(from, tag, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => {
                report_exit_of(tag);
                true
            }
            Err(w) => w == tag,
        }
    }

    /// Makes the calling thread the writer if the writer has exited (and is among the latest
    /// [`EXITED_KEPT`] to); whether it is now. For a cell that is about to grow stripes: what the exited
    /// writer wrote is seen by the new one (the list's lock orders them), and a cell written by one
    /// thread at a time stays compact.
    #[cold]
    #[inline(never)]
    pub(crate) fn take_over_exited(&self) -> bool {
        let writer = self.0.load(Ordering::Relaxed);
        let exited = EXITED.lock().unwrap_or_else(PoisonError::into_inner).contains(&writer);
        exited && self.claim(writer, thread_tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_its_tag_and_no_two_threads_share_one() {
        let mine = thread_tag();
        assert_eq!(thread_tag(), mine, "the same thread, the same tag");
        let others: Vec<u64> = (0..4).map(|_| std::thread::spawn(thread_tag).join().unwrap()).collect();
        let mut all = others.clone();
        all.push(mine);
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 5, "threads run one after the other still get tags of their own: {others:?}");
        assert!(!all.contains(&0));
    }

    #[test]
    fn the_first_thread_to_ask_is_the_writer_and_another_takes_over_only_once_it_exited() {
        let writer = FirstWriter::new();
        let (ready, exit) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
        std::thread::scope(|s| {
            let first = s.spawn(|| {
                let first = writer.is_caller() && writer.is_caller();
                ready.wait();
                exit.wait();
                first
            });
            ready.wait();
            assert!(!writer.is_caller(), "another thread is not the writer");
            assert!(!writer.take_over_exited(), "nor takes over from a writer alive");
            exit.wait();
            assert!(first.join().unwrap(), "the first to ask is");
        });
        assert!(writer.take_over_exited(), "a writer that exited is taken over");
        assert!(writer.is_caller());
        let other = std::thread::scope(|s| s.spawn(|| !writer.is_caller() && !writer.take_over_exited()).join());
        assert!(other.unwrap(), "nor does a third thread while the new writer lives");
    }
}
