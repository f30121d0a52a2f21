//! Series churn through a family with a TTL: a million series, created ten thousand at a time and expired
//! by later scrapes, keep the family's memory flat (counted by a global allocator) and each scrape's work
//! to what the family holds (the series alive and the slots kept for reuse), not to the series ever
//! created.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use promstruct::prelude::*;
use promstruct::{Format, Registry};

/// The system allocator, counting the bytes live.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` unchanged; counting is one atomic add.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as for `alloc`; `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The TTL of the churned family: a series not updated for 20 ms goes at the next scrape.
const TTL: Duration = Duration::from_millis(20);

#[metrics]
struct Sessions {
    /// Requests, by session (an open label whose values come and go).
    #[counter(labels(session: String), max_series = 100_000, ttl = "20ms")]
    requests: Counter,
}

/// Series created between two scrapes.
const PER_ROUND: usize = 10_000;
/// Rounds: a million series in all.
const ROUNDS: usize = 100;
/// The rounds after which the family's memory is taken as its steady state.
const WARM_ROUNDS: usize = 5;

/// One round of churn: `PER_ROUND` new series updated, a scrape that sees them active, a wait past the
/// TTL and a scrape that drops them. Returns the series the first scrape held.
fn round(registry: &Registry, sessions: &Sessions, round: usize, buf: &mut Vec<u8>) -> usize {
    let mut name = String::new();
    for i in 0..PER_ROUND {
        name.clear();
        write!(name, "session-{}", round * PER_ROUND + i).unwrap();
        sessions.requests_with(&name, |c| c.inc());
    }
    buf.clear();
    let live = registry.encode(Format::Text, buf).unwrap();
    std::thread::sleep(TTL + Duration::from_millis(5));
    buf.clear();
    registry.encode(Format::Text, buf).unwrap();
    live
}

/// The fastest of `n` scrapes, each after `touch` (untimed), which keeps the series it updates alive past
/// the TTL: a series updated since the previous scrape is kept.
fn fastest_scrape(registry: &Registry, buf: &mut Vec<u8>, n: usize, touch: impl Fn()) -> Duration {
    (0..n)
        .map(|_| {
            touch();
            buf.clear();
            let start = Instant::now();
            registry.encode(Format::Text, buf).unwrap();
            start.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn a_million_series_through_a_ttl_family_keep_memory_flat_and_scrapes_proportional_to_live_series() {
    let registry = Registry::builder().self_metrics(false).build();
    let sessions = std::sync::Arc::new(Sessions::default());
    registry.register(sessions.clone()).unwrap();
    let mut buf = Vec::with_capacity(1 << 20);

    for r in 0..WARM_ROUNDS {
        assert_eq!(round(&registry, &sessions, r, &mut buf), PER_ROUND, "round {r}: the new series, no others");
    }
    let warm = LIVE.load(Ordering::Relaxed);
    let mut peak = warm;
    for r in WARM_ROUNDS..ROUNDS {
        assert_eq!(round(&registry, &sessions, r, &mut buf), PER_ROUND, "round {r}: the expired series are gone");
        peak = peak.max(LIVE.load(Ordering::Relaxed));
    }
    // The bound: after the first 50,000 series, the next 950,000 add less than 1 MiB (the slots of the
    // expired series are taken by the new ones; a series takes about 100 bytes, so a leak of one in a
    // hundred would show).
    assert!(
        peak - warm < 1 << 20,
        "memory grew by {} bytes over {} series created after the first {} (warm: {warm} bytes)",
        peak - warm,
        (ROUNDS - WARM_ROUNDS) * PER_ROUND,
        WARM_ROUNDS * PER_ROUND,
    );

    // Scrapes follow what the family holds, not what it ever held: with every series expired, walking
    // the slots kept for reuse costs less than writing 10,000 live series, and with 10,000 alive the
    // churned family scrapes as fast as a fresh family of 10,000 (within 4x, for a loaded machine).
    // Relative figures of the same process, never a time limit.
    buf.clear();
    assert_eq!(registry.encode(Format::Text, &mut buf).unwrap(), 0, "every series expired");
    let empty_churned = fastest_scrape(&registry, &mut buf, 20, || ());
    let fresh_registry = Registry::builder().self_metrics(false).build();
    let fresh = std::sync::Arc::new(Sessions::default());
    fresh_registry.register(fresh.clone()).unwrap();
    let names: Vec<String> = (0..PER_ROUND).map(|i| format!("last-{i}")).collect();
    let touch = |family: &Sessions| {
        for name in &names {
            family.requests_with(name, |c| c.inc());
        }
    };
    let churned = fastest_scrape(&registry, &mut buf, 10, || touch(&sessions));
    assert_eq!(registry.encode(Format::Text, &mut buf).unwrap(), PER_ROUND);
    let fresh = fastest_scrape(&fresh_registry, &mut buf, 10, || touch(&fresh));
    assert!(
        empty_churned < fresh,
        "with every series expired the churned family scrapes in {empty_churned:?}, more than a fresh family \
         of 10,000 live series ({fresh:?})"
    );
    assert!(
        churned <= fresh * 4,
        "10,000 live series: the churned family scrapes in {churned:?}, a fresh one in {fresh:?}"
    );
}
