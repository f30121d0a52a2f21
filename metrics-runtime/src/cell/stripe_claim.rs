//! Owned stripes: which threads may update a striped cell with a plain load and store.
//!
//! A striped cell keeps one copy of its value per *owned* stripe, plus one shared stripe that any thread
//! updates with atomic read-modify-writes; a scrape adds the stripes up. A thread takes an owned stripe
//! once it has updated striped cells a while, and keeps it for as long as it lives: it is then the only
//! writer of that stripe in every striped cell, so its update needs no read-modify-write and contends with
//! no other core. When the thread exits the stripe is given back, with everything the thread wrote, to
//! the next thread that asks.
//!
//! There is one owned stripe per core, at most [`MAX_OWNED`]. Histograms keep all of them once a second
//! thread observes a series (until then its first writer alone writes a compact run: `first_writer.rs`);
//! dense counter families, which must stay small, keep only stripe 0 and the shared one.

use std::cell::Cell;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::first_writer::writer_exited;

/// The most owned stripes a cell keeps.
pub(crate) const MAX_OWNED: usize = 4;

/// The number of owned stripes: one per core, at most [`MAX_OWNED`].
pub(crate) fn owned_stripes() -> usize {
    static STRIPES: OnceLock<usize> = OnceLock::new();
    *STRIPES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_OWNED))
}

/// The owned stripes taken, one bit each.
static CLAIMED: AtomicUsize = AtomicUsize::new(0);

/// The updates a thread makes to striped cells before it asks for an owned stripe, and between two asks
/// while it has none: a thread that updates a few times and then idles (a `main` that counts its start
/// and then waits) does not take a stripe that the busy threads could use, and a thread that found every
/// stripe taken gets one once an owner has exited.
const UPDATES_BEFORE_CLAIM: u32 = 1024;

/// The stripe a thread owns, given back when the thread exits.
struct Claim {
    stripe: Cell<Option<usize>>,
    /// Updates left before the next ask, while `stripe` is `None`.
    until_ask: Cell<u32>,
    /// The thread's tag once it became the first writer of a cell, listed when it exits
    /// ([`writer_exited`]); 0 until then.
    writer_tag: Cell<u64>,
}

/// Takes the first free owned stripe, if any.
fn take() -> Option<usize> {
    take_from(&CLAIMED, owned_stripes())
}

/// Takes the first of `owned` stripes whose bit in `claimed` is clear.
fn take_from(claimed_bits: &AtomicUsize, owned: usize) -> Option<usize> {
    let mut claimed = claimed_bits.load(Ordering::Acquire);
    loop {
        let free = (!claimed).trailing_zeros() as usize;
        if free >= owned {
            return None;
        }
        // Acquire: the stripe's last owner released it after its last update, which this thread continues
        // from.
        match claimed_bits.compare_exchange_weak(claimed, claimed | 1 << free, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Some(free),
            Err(now) => claimed = now,
        }
    }
}

impl Claim {
    /// The stripe this thread owns; counts the update and asks for one when it is time.
    #[inline]
    fn stripe(&self) -> Option<usize> {
        let stripe = self.stripe.get();
        if stripe.is_none() {
            self.count_unowned();
        }
        stripe
    }

    #[cold]
    fn count_unowned(&self) {
        match self.until_ask.get() {
            0 => {
                self.stripe.set(take());
                self.until_ask.set(UPDATES_BEFORE_CLAIM);
            }
            n => self.until_ask.set(n - 1),
        }
    }
}

/// Gives `stripe` back to `claimed_bits`.
fn release_to(claimed_bits: &AtomicUsize, stripe: usize) {
    // Release: the next owner sees every update this thread made.
    claimed_bits.fetch_and(!(1 << stripe), Ordering::Release);
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(stripe) = self.stripe.get() {
            release_to(&CLAIMED, stripe);
        }
        if self.writer_tag.get() != 0 {
            writer_exited(self.writer_tag.get());
        }
    }
}

/// Has the calling thread list `tag`, its own, as an exited first writer when it exits (not if it is
/// exiting already).
#[cold]
pub(crate) fn report_exit_of(tag: u64) {
    let _ = CLAIM.try_with(|c| c.writer_tag.set(tag));
}

thread_local! {
    static CLAIM: Claim = const {
        Claim { stripe: Cell::new(None), until_ask: Cell::new(UPDATES_BEFORE_CLAIM), writer_tag: Cell::new(0) }
    };
}

/// The stripe the calling thread owns, or `None` if it has none (yet, or every owned stripe is taken, or
/// the thread is exiting and has given its stripe back). Counts as one update of a striped cell.
#[inline]
pub(crate) fn owned_stripe() -> Option<usize> {
    CLAIM.try_with(Claim::stripe).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_takes_a_stripe_once_busy_and_keeps_it() {
        let (early, late, kept) = std::thread::spawn(|| {
            let early = (0..UPDATES_BEFORE_CLAIM).map(|_| owned_stripe()).find(Option::is_some);
            let late = (0..4 * UPDATES_BEFORE_CLAIM).map(|_| owned_stripe()).find(Option::is_some).flatten();
            (early, late, (0..100).all(|_| owned_stripe() == late))
        })
        .join()
        .unwrap();
        assert_eq!(early, None, "no stripe before {UPDATES_BEFORE_CLAIM} updates");
        assert!(kept, "a thread keeps its stripe");
        assert!(late.is_none_or(|s| s < owned_stripes() && owned_stripes() <= MAX_OWNED));
    }

    #[test]
    fn stripes_are_taken_lowest_first_until_none_is_free_and_taken_again_once_given_back() {
        let claimed = AtomicUsize::new(0);
        assert_eq!((0..4).map(|_| take_from(&claimed, 3)).collect::<Vec<_>>(), [Some(0), Some(1), Some(2), None]);
        release_to(&claimed, 1);
        assert_eq!(take_from(&claimed, 3), Some(1), "a stripe given back is taken again");
        assert_eq!(take_from(&claimed, 3), None);
        assert_eq!(claimed.load(Ordering::Relaxed), 0b111);
    }
}
