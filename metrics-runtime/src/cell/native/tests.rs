//! The native histogram against the specification and client_golang's behaviour: where observations
//! land, each reduction step, resets, and reads racing writers.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Native, NativeConfig, NativeSnapshot};
use crate::cell::{Buckets, HistogramConfig};
use crate::{Histogram, HistogramOps};

fn config(schema: i8) -> NativeConfig {
    NativeConfig::new().with_schema(schema).unwrap()
}

fn snapshot(native: &Native) -> NativeSnapshot {
    let mut s = NativeSnapshot::new();
    native.snapshot_into(&mut s);
    s
}

/// The lanes to write in a test: the first owned lane and the shared stripe.
fn writers(native: &Native) -> Vec<Option<usize>> {
    (0..native.owned_lanes()).map(Some).take(1).chain([None]).collect()
}

#[test]
fn observations_land_in_their_buckets_on_each_side() {
    for stripe in writers(&Native::new(config(0), 0)) {
        let n = Native::new(config(0), 0);
        // Schema 0: bucket i is (2^(i-1), 2^i].
        for v in [1.0, 1.5, 2.0, 3.0, 0.75, -1.0, -0.6, -4.0] {
            n.observe_in(stripe, v);
        }
        // Zeros and values at most 2^-128 go to the zero bucket, of either sign.
        for v in [0.0, -0.0, 1e-40, -2.938_735_877_055_719e-39] {
            n.observe_in(stripe, v);
        }
        let s = snapshot(&n);
        assert_eq!((s.schema(), s.zero_threshold()), (0, 2f64.powi(-128)));
        assert_eq!(s.positive(), [(0, 2), (1, 2), (2, 1)], "{stripe:?}");
        assert_eq!(s.negative(), [(0, 2), (2, 1)], "{stripe:?}");
        assert_eq!(s.zero_count(), 4);
        assert_eq!(s.count(), 12);
        assert_eq!(s.sum(), 1.0 + 1.5 + 2.0 + 3.0 + 0.75 - 1.0 - 0.6 - 4.0 + 1e-40 - 2.938_735_877_055_719e-39);
        assert_eq!(s.classic_cumulative(), [12], "no classic buckets: the +Inf bucket alone");
    }
}

#[test]
fn infinities_go_past_the_largest_float() {
    let n = Native::new(config(3), 0);
    n.observe_in(None, f64::INFINITY);
    n.observe_in(None, f64::MAX);
    n.observe_in(None, f64::NEG_INFINITY);
    let s = snapshot(&n);
    // The bucket of f64::MAX at schema 3 is 1024 * 8; the infinities go to the one after it.
    assert_eq!(s.positive(), [(8192, 1), (8193, 1)]);
    assert_eq!(s.negative(), [(8193, 1)]);
    assert!(s.sum().is_nan(), "+Inf and -Inf add up to NaN, as the specification says");
    assert_eq!(s.count(), 3);
}

#[test]
fn a_zero_threshold_of_zero_takes_exact_zeros_only() {
    let n = Native::new(NativeConfig::new().with_zero_threshold(0.0).unwrap(), 0);
    let tiny = f64::from_bits(1);
    for v in [0.0, -0.0, tiny, -tiny] {
        n.observe_in(None, v);
    }
    let s = snapshot(&n);
    assert_eq!(s.zero_count(), 2);
    // 2^-1074 is the upper boundary of bucket -1074 * 8 at schema 3.
    assert_eq!(s.positive(), [(-8592, 1)]);
    assert_eq!(s.negative(), [(-8592, 1)]);
}

#[test]
fn past_the_limit_the_resolution_halves() {
    for stripe in writers(&Native::new(config(2), 0)) {
        let n = Native::new(config(2).with_max_buckets(4).unwrap(), 0);
        // Schema 2, boundaries 2^(k/4): 1.0 in bucket 0, 1.1 in 1, 1.3 in 2, 1.5 in 3, 1.9 in 4.
        for v in [1.0, 1.1, 1.3, 1.5] {
            n.observe_in(stripe, v);
        }
        assert_eq!(snapshot(&n).schema(), 2, "four buckets fit");
        n.observe_in(stripe, 1.9);
        let s = snapshot(&n);
        // Schema 1: bucket i merges buckets 2i - 1 and 2i of schema 2.
        assert_eq!(s.schema(), 1, "{stripe:?}");
        assert_eq!(s.positive(), [(0, 1), (1, 2), (2, 2)], "{stripe:?}");
        assert_eq!(s.count(), 5);
        // Later observations are counted at the new schema.
        n.observe_in(stripe, 1.2);
        assert_eq!(snapshot(&n).positive(), [(0, 1), (1, 3), (2, 2)]);
    }
}

#[test]
fn past_the_limit_the_zero_bucket_widens_up_to_its_maximum_then_the_resolution_halves() {
    for stripe in writers(&Native::new(config(0), 0)) {
        let n = Native::new(config(0).with_max_buckets(2).unwrap().with_max_zero_threshold(1.0).unwrap(), 0);
        // Schema 0: 0.3 in bucket -1, 0.6 in 0, 3 in 2.
        for v in [0.3, 0.6, 3.0] {
            n.observe_in(stripe, v);
        }
        let s = snapshot(&n);
        // The bucket nearest zero, -1, goes into the zero bucket, whose threshold becomes its bound 0.5.
        assert_eq!((s.schema(), s.zero_threshold(), s.zero_count()), (0, 0.5, 1), "{stripe:?}");
        assert_eq!(s.positive(), [(0, 1), (2, 1)]);
        n.observe_in(stripe, 0.4);
        n.observe_in(stripe, -0.45);
        assert_eq!(snapshot(&n).zero_count(), 3, "under the widened threshold, of either sign");
        // A third bucket (4: 10): bucket 0 goes into the zero bucket, threshold 1.0, the maximum.
        n.observe_in(stripe, 10.0);
        let s = snapshot(&n);
        assert_eq!((s.zero_threshold(), s.zero_count()), (1.0, 4));
        assert_eq!(s.positive(), [(2, 1), (4, 1)]);
        // A third again (7: 100): widening to bucket 2's bound 4 would pass the maximum, so the schema
        // halves, to -1 (2, 4, 7 -> 1, 2, 4: three still), then to -2 (1, 1, 2).
        n.observe_in(stripe, 100.0);
        let s = snapshot(&n);
        assert_eq!((s.schema(), s.zero_threshold(), s.zero_count()), (-2, 1.0, 4), "{stripe:?}");
        assert_eq!(s.positive(), [(1, 2), (2, 1)]);
        assert_eq!(s.count(), 7);
    }
}

#[test]
fn widening_takes_the_bucket_nearest_zero_on_either_side() {
    let n = Native::new(config(0).with_max_buckets(2).unwrap().with_max_zero_threshold(1.0).unwrap(), 0);
    // -0.3 in negative bucket -1, 0.6 in positive 0, 3 in positive 2.
    for v in [0.6, 3.0, -0.3] {
        n.observe_in(None, v);
    }
    let s = snapshot(&n);
    assert_eq!((s.zero_threshold(), s.zero_count()), (0.5, 1));
    assert!(s.negative().is_empty());
    assert_eq!(s.positive(), [(0, 1), (2, 1)]);
}

#[test]
fn at_the_coarsest_schema_the_buckets_stay() {
    let n = Native::new(config(-4).with_max_buckets(1).unwrap(), 0);
    // Schema -4: buckets of 2^16; 1 in bucket 0, 1e6 in 2, 1e300 in 63.
    for v in [1.0, 1e6, 1e300] {
        n.observe_in(None, v);
    }
    let s = snapshot(&n);
    assert_eq!(s.schema(), -4);
    assert_eq!(s.positive().len(), 3, "nothing is left to reduce");
    assert_eq!(s.count(), 3);
}

#[test]
fn past_the_limit_after_min_reset_the_histogram_resets() {
    let n = Native::new(config(0).with_max_buckets(2).unwrap().with_min_reset(Duration::from_secs(3600)).unwrap(), 0);
    for v in [1.0, 2.0, 4.0] {
        n.observe_in(None, v);
    }
    // Within `min_reset` of the creation: halved instead, and a reset is due an hour after the creation.
    let s = snapshot(&n);
    assert_eq!((s.schema(), s.count(), s.reset_at()), (-1, 3, None));
    n.clock.offset_ms.store(3_600_001, Ordering::Relaxed);
    // The scheduled reset: the next read finds the histogram back at its configuration, empty.
    let s = snapshot(&n);
    assert_eq!((s.schema(), s.count()), (0, 0));
    assert!(s.positive().is_empty());
    assert!(s.reset_at().is_some(), "the reset is the histogram's new created time");
    n.observe_in(None, 1.0);
    n.observe_in(None, 2.0);
    assert_eq!(snapshot(&n).count(), 2);
    // An hour after that reset, going past the limit resets at once, and the observation that went past
    // it is the first of the new counts.
    n.clock.offset_ms.store(7_200_002, Ordering::Relaxed);
    n.observe_in(None, 4.0);
    let s = snapshot(&n);
    assert_eq!((s.schema(), s.count()), (0, 1));
    assert_eq!(s.positive(), [(2, 1)]);
}

#[test]
fn owned_lanes_reset_at_their_next_observation_and_are_left_out_until_then() {
    let n = Native::new(config(0).with_max_buckets(2).unwrap().with_min_reset(Duration::from_secs(1)).unwrap(), 0);
    if n.owned_lanes() == 0 {
        return;
    }
    for v in [1.0, 2.0] {
        n.observe_in(Some(0), v);
    }
    n.clock.offset_ms.store(1_001, Ordering::Relaxed);
    // The shared stripe goes past the limit with its third bucket: a reset, the owned lane's counts
    // dropped though it has not observed since.
    for v in [8.0, 16.0, 32.0] {
        n.observe_in(None, v);
    }
    let s = snapshot(&n);
    assert_eq!((s.count(), s.positive()), (1, &[(5, 1)][..]), "32, the first count after the reset");
    n.observe_in(Some(0), 1.0);
    assert_eq!(snapshot(&n).positive(), [(0, 1), (5, 1)]);
}

#[test]
fn buckets_of_all_writers_together_are_kept_within_the_limit() {
    let n = Native::new(config(0).with_max_buckets(3).unwrap(), 0);
    let owned = writers(&n)[0];
    // Two buckets in one lane, two others in another: each within the limit, four together.
    n.observe_in(owned, 1.0);
    n.observe_in(owned, 2.0);
    n.observe_in(None, 4.0);
    n.observe_in(None, 8.0);
    let s = snapshot(&n);
    assert!(s.positive().len() <= 3, "{:?}", s.positive());
    assert_eq!((s.schema(), s.count()), (-1, 4));
    // Schema -1 (base 4): 1 in bucket 0, 2 and 4 in 1, 8 in 2.
    assert_eq!(s.positive(), [(0, 1), (1, 2), (2, 1)]);
}

#[test]
fn many_buckets_grow_the_tables_of_both_stripes() {
    let values: Vec<f64> = (0..400).map(|i| 1.0001f64.powi(i * 37) * if i % 3 == 0 { -1.0 } else { 1.0 }).collect();
    for stripe in writers(&Native::new(config(8), 0)) {
        let n = Native::new(config(8), 0);
        for &v in &values {
            n.observe_in(stripe, v);
            n.observe_in(stripe, v);
        }
        let s = snapshot(&n);
        assert_eq!(s.count(), 800, "{stripe:?}");
        assert_eq!(s.positive().len() + s.negative().len(), 400, "each value its own bucket at schema 8");
        assert!(s.positive().iter().chain(s.negative()).all(|&(_, c)| c == 2));
        assert!(s.positive().windows(2).all(|w| w[0].0 < w[1].0), "ascending");
    }
}

#[test]
fn a_warm_histogram_allocates_no_more() {
    let h = Histogram::new(HistogramConfig::classic(Buckets::default()).with_native(config(3)));
    let range = |h: &Histogram| {
        for i in 0..5000 {
            h.observe(0.001 * 1.003f64.powi(i % 2000));
        }
    };
    range(&h);
    let warm = h.heap_bytes();
    range(&h);
    assert_eq!(h.heap_bytes(), warm, "the same range again: no bucket, no table more");
    let mut s = NativeSnapshot::new();
    h.native_snapshot_into(&mut s);
    assert_eq!(s.count(), 10_000);
}

#[test]
fn classic_and_native_buckets_agree_on_the_count() {
    let h = Histogram::new(HistogramConfig::classic(Buckets::new([0.5, 1.0, 2.0]).unwrap()).with_native(config(1)));
    for v in [0.1, 0.5, 0.7, 1.0, 1.5, 3.0, -2.0] {
        h.observe(v);
    }
    h.observe(f64::NAN);
    assert_eq!(h.rejected_updates(), 1, "NaN is refused, as by classic histograms");
    let mut s = NativeSnapshot::new();
    assert!(h.native_snapshot_into(&mut s));
    assert_eq!(s.count(), 7);
    assert_eq!(s.classic_cumulative(), [3, 5, 6, 7], "-2 is under every bound");
    assert_eq!(h.count(), 7);
    assert_eq!(h.sum(), 0.1 + 0.5 + 0.7 + 1.0 + 1.5 + 3.0 - 2.0);
    let mut cumulative = Vec::new();
    assert_eq!(h.snapshot_into(&mut cumulative), h.sum());
    assert_eq!(cumulative, [3, 5, 6, 7]);
    let classic = Histogram::new(Buckets::default());
    assert!(!classic.native_snapshot_into(&mut s), "a classic histogram has no native snapshot");
    assert_eq!(s.count(), 7, "and leaves the snapshot as it was");
}

#[test]
fn scrapes_racing_observations_see_the_count_equal_the_buckets() {
    // More threads than owned stripes, so that the shared stripe is written too, with a limit low enough
    // that the layout changes while they write.
    let h = Histogram::new(
        HistogramConfig::classic(Buckets::new([0.01, 0.1, 1.0, 10.0]).unwrap())
            .with_native(config(4).with_max_buckets(20).unwrap().with_max_zero_threshold(0.002).unwrap()),
    );
    const THREADS: usize = 6;
    const EACH: usize = 20_000;
    let done = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (h, done) = (&h, &done);
            scope.spawn(move || {
                for i in 0..EACH {
                    // From 1e-3 to 1e3 and their negatives: many buckets at schema 4.
                    let v = 10f64.powf(((i * 7 + t * 13) % 600) as f64 / 100.0 - 3.0);
                    h.observe(if i % 5 == 0 { -v } else { v });
                }
                done.fetch_add(1, Ordering::Release);
            });
        }
        let mut s = NativeSnapshot::new();
        let (mut last_count, mut scrapes) = (0, 0);
        while done.load(Ordering::Acquire) < THREADS || scrapes < 10 {
            h.native_snapshot_into(&mut s);
            let buckets: u64 = s.positive().iter().chain(s.negative()).map(|b| b.1).sum();
            assert_eq!(s.count(), s.zero_count() + buckets, "the count is the buckets' sum");
            assert_eq!(s.classic_cumulative().last(), Some(&s.count()), "classic +Inf is the count");
            assert!(s.classic_cumulative().windows(2).all(|w| w[0] <= w[1]), "classic is cumulative");
            assert!(s.count() >= last_count, "the count never goes down: {} after {last_count}", s.count());
            assert!(s.positive().len() + s.negative().len() <= 20, "within the limit at every scrape");
            last_count = s.count();
            scrapes += 1;
        }
    });
    let mut s = NativeSnapshot::new();
    h.native_snapshot_into(&mut s);
    assert_eq!(s.count(), (THREADS * EACH) as u64, "no observation lost or counted twice");
    assert!(s.schema() < 4, "the limit made the histogram coarser");
    let expected_sum: f64 = (0..THREADS)
        .flat_map(|t| {
            (0..EACH).map(move |i| {
                let v = 10f64.powf(((i * 7 + t * 13) % 600) as f64 / 100.0 - 3.0);
                if i % 5 == 0 { -v } else { v }
            })
        })
        .sum();
    assert!((s.sum() - expected_sum).abs() < 1e-6 * expected_sum.abs(), "{} vs {expected_sum}", s.sum());
    assert_eq!(h.count(), s.count());
}

#[test]
fn text_scrapes_show_the_count_sum_and_inf_bucket_of_a_native_only_histogram() {
    let h = Histogram::new(config(3));
    h.observe(0.25);
    h.observe(4.0);
    let mut cumulative = Vec::new();
    assert_eq!(h.snapshot_into(&mut cumulative), 4.25);
    assert_eq!(cumulative, [2]);
    assert!(h.buckets().is_empty());
    assert_eq!(HistogramOps::count(&h), 2);
}

#[test]
fn a_series_written_by_one_thread_at_a_time_keeps_one_lane_and_a_concurrent_writer_adds_its_own() {
    let n = Native::new(config(3), 0);
    let allocated = |n: &Native| n.lanes.iter().filter(|l| l.get().is_some()).count();
    assert_eq!(allocated(&n), 0, "no lane before the first observation");
    // Joined, not left to the scope's end: a thread's exit is reported by a thread-local destructor, which
    // runs before `join` returns but may run after the scope's implicit wait does.
    std::thread::scope(|s| s.spawn(|| (0..3000).for_each(|i| n.observe(1.0 + f64::from(i % 7), None))).join().unwrap());
    assert_eq!(allocated(&n), 1, "the first writer's lane only, past a thousand observations");
    assert!(n.halves.iter().all(|h| h.side(true).is_none()), "the shared stripe took no bucket");
    std::thread::scope(|s| s.spawn(|| (0..3000).for_each(|_| n.observe(2.0, None))).join().unwrap());
    assert_eq!(allocated(&n), 1, "a thread after the first writer exited takes its lane over");
    let (ready, exit) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
    std::thread::scope(|s| {
        s.spawn(|| {
            n.observe(3.0, None);
            ready.wait();
            exit.wait();
        });
        ready.wait();
        (0..3000).for_each(|_| n.observe(4.0, None));
        exit.wait();
    });
    assert!(allocated(&n) <= 2, "a second thread while the writer lives: one owned stripe's lane at most");
    assert_eq!(snapshot(&n).count(), 9001);
}
