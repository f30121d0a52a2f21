//! The clocks: wall-clock time since the Unix epoch, for `_created` samples and start times.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, for `_created` samples: whole milliseconds (the resolution Prometheus keeps
/// of created timestamps), so that a scrape writes them with integer formatting (see `encoding::number::write_timestamp`).
pub(crate) fn now_epoch_seconds() -> f64 {
    epoch_millis_to_seconds(now_epoch_millis())
}

/// Milliseconds since the Unix epoch: what a series keeps of its creation time, converted to seconds
/// ([`epoch_millis_to_seconds`]) only when scraped.
pub(crate) fn now_epoch_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs().saturating_mul(1000).saturating_add(u64::from(d.subsec_millis())))
}

/// Milliseconds since the Unix epoch by the coarse wall clock, for the `_created` time of a new open series:
/// the time of the kernel's last tick (1 to 4 ms behind, a resolution Prometheus does not need for created
/// timestamps), read in a few nanoseconds where [`now_epoch_millis`] takes about 25, which an insert of a
/// high-cardinality family would otherwise spend a sixth of its time on.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) fn coarse_epoch_millis() -> u64 {
    use rustix::time::{ClockId, clock_gettime};
    let now = clock_gettime(ClockId::RealtimeCoarse);
    u64::try_from(now.tv_sec).map_or(0, |s| s.saturating_mul(1000))
        + u64::try_from(now.tv_nsec / 1_000_000).unwrap_or(0)
}

/// Milliseconds since the Unix epoch, where no coarse clock is known: [`now_epoch_millis`].
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(crate) fn coarse_epoch_millis() -> u64 {
    now_epoch_millis()
}

/// Seconds of a count of milliseconds, exactly `ms / 1000` rounded once: a float holds every integer below
/// 2^53, and milliseconds since 1970 stay below it for 285,000 years.
#[inline]
pub(crate) fn epoch_millis_to_seconds(ms: u64) -> f64 {
    // Through `i64`, one instruction where `u64` takes several; no count of milliseconds a clock reads
    // reaches 2^63.
    ms as i64 as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coarse_clock_is_the_wall_clock_within_a_tick() {
        let before = now_epoch_millis();
        let coarse = coarse_epoch_millis();
        let after = now_epoch_millis();
        // The coarse clock is the time of the last tick: never ahead, at most a tick (4 ms at 250 Hz, 10 ms
        // at 100 Hz) behind.
        assert!(coarse <= after, "coarse {coarse} after {after}");
        assert!(coarse + 20 >= before, "coarse {coarse} far behind {before}");
    }
}
