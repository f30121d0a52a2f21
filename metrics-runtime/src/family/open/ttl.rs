//! Expiry of idle series: updates mark a series active, each scrape drops those idle past the TTL.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::OpenFamily;
use super::entry::{BELOW_MS, Entry, GENERATION_MASK, MS_SHIFT, OVERFLOW};
use super::shards::write;
use crate::cell::Metric;

impl<C: Metric> OpenFamily<C> {
    #[inline]
    pub(super) fn touch(&self, entry: &Entry<C>) {
        if self.options.ttl.is_some() {
            let g = self.generation.load(Ordering::Relaxed) & GENERATION_MASK;
            if entry.activity.load(Ordering::Relaxed) & GENERATION_MASK != g {
                // Keeps the last-active time a scrape may be storing at the same moment.
                let _ = entry
                    .activity
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| Some(a & !GENERATION_MASK | g));
            }
        }
    }

    /// Milliseconds since the family was created, in the bits [`Entry::activity`] has for them.
    pub(super) fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX).min(u64::MAX >> MS_SHIFT)
    }

    /// Drops the series not updated within the TTL; returns how many were dropped.
    pub(super) fn evict_idle(&self, ttl: Duration) -> usize {
        // Series touched since the previous scrape carry this generation; later touches carry the next.
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) & GENERATION_MASK;
        let now = self.now_ms();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        let mut dropped = 0;
        for shard in self.shards.iter() {
            let mut released = 0;
            let keep = |e: &Entry<C>| {
                let activity = e.activity.load(Ordering::Relaxed);
                if activity & GENERATION_MASK == generation {
                    // Keeps the generation an update may be storing at the same moment, and the flags.
                    let _ = e
                        .activity
                        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| Some(now << MS_SHIFT | a & BELOW_MS));
                    return true;
                }
                let keep = now.saturating_sub(activity >> MS_SHIFT) <= ttl_ms;
                if !keep && activity & OVERFLOW == 0 {
                    released += 1;
                }
                keep
            };
            write(shard).retain(keep, |e| self.entry_hash(e));
            for _ in 0..released {
                self.unreserve();
            }
            dropped += released;
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::family::open::OpenOptions;
    use crate::family::open::tests::family;

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

    #[test]
    fn expired_slots_are_taken_by_new_series_unless_a_handle_holds_their_chunk() {
        let ttl = Duration::from_millis(1);
        let f = family(OpenOptions::new().max_series(1000).ttl(ttl));
        let slots = |f: &crate::family::open::OpenFamily<_>| {
            f.shards.iter().map(|s| crate::family::open::shards::read(s).slots()).sum::<usize>()
        };
        for round in 0..20 {
            for i in 0..500 {
                f.with(&[&format!("r{round}-{i}"), "ok"], |c| c.inc());
            }
            // A scrape sees the series active; the next, past the TTL, drops them.
            assert_eq!(f.evict_idle(ttl), 0);
            std::thread::sleep(Duration::from_millis(3));
            assert_eq!(f.evict_idle(ttl), 500, "round {round}");
            assert_eq!(f.len(), 0);
        }
        let flat = slots(&f);
        assert!(flat <= 2 * 500 + 16 * 8, "{flat} slots for 500 series at a time");
        // A handle held across the expiry keeps its series' chunk: the series is gone from scrapes and
        // lookups, its updates unseen, and its slot not reused until the handle goes.
        let held = f.get(&["held", "ok"]);
        assert_eq!(f.evict_idle(ttl), 0);
        std::thread::sleep(Duration::from_millis(3));
        assert_eq!(f.evict_idle(ttl), 1);
        held.inc();
        assert_eq!(held.get(), 1);
        assert_eq!(held.label_values().collect::<Vec<_>>(), ["held", "ok"]);
        assert_eq!(f.get(&["held", "ok"]).get(), 0, "a new series, in another slot");
        drop(held);
        assert_eq!(slots(&f), flat, "the churn reused the freed slots");
    }
}
