//! Cardinality bomb: 1,000,000 distinct label values into a family capped at 1,000 series.
//!
//! Memory growth is bounded by the cap, not by the values sent: the bound asserted here is 1,000 series
//! at 512 bytes each (entry, map slot and label bytes, with room to spare) plus 256 KiB for the map's own
//! tables, 768 KiB in all. Totals stay exact through the overflow series and scrapes stay valid.

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};

use promstruct::family::OVERFLOW_VALUE;
use promstruct::{Counter, Descriptor, Format, MetricType, OpenFamily, OpenOptions, Registry};
use suite::validators::{promtool_check, python_parse};

/// Counts the bytes live on the heap, process-wide.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller upholds `realloc`'s contract, which we pass on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CAP: usize = 1_000;
const VALUES: usize = 1_000_000;
const BOUND: isize = (CAP * 512 + 256 * 1024) as isize;

#[test]
fn a_million_values_into_a_thousand_series() {
    let registry = Registry::builder().total_series_limit(100_000).build();
    let desc = Descriptor::builder("sandbox_requests", MetricType::Counter, "Requests by sandbox id.")
        .labels(["sandbox_id"])
        .build()
        .unwrap();
    let family = Arc::new(OpenFamily::<Counter>::new(desc, (), OpenOptions::new().max_series(CAP)));
    registry.register(family.clone()).unwrap();

    let before = LIVE.load(Ordering::Relaxed);
    let mut name = String::with_capacity(32);
    let mut peak = 0isize;
    for i in 0..VALUES {
        name.clear();
        write!(name, "sandbox-{i}").unwrap();
        family.get(&[&name]).inc();
        if i % 100_000 == 0 {
            peak = peak.max(LIVE.load(Ordering::Relaxed) - before);
        }
    }
    let growth = LIVE.load(Ordering::Relaxed) - before;
    peak = peak.max(growth);
    eprintln!("heap growth after {VALUES} distinct values: {growth} bytes (peak {peak}, bound {BOUND})");
    assert!(peak <= BOUND, "heap grew by {peak} bytes, more than the {BOUND} bound");

    assert_eq!(family.len(), CAP);
    assert_eq!(family.overflowed(), (VALUES - CAP) as u64);
    assert_eq!(family.get(&["anything new"]).label_values().next(), Some(OVERFLOW_VALUE));

    let mut text = Vec::new();
    registry.encode(Format::Text, &mut text).unwrap();
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut om = Vec::new();
    registry.encode(Format::OpenMetrics, &mut om).unwrap();
    let families = python_parse(&om, true).unwrap_or_else(|e| panic!("{e}"));
    let samples: Vec<_> =
        families.iter().flat_map(|f| &f.samples).filter(|s| s.name == "sandbox_requests_total").collect();
    assert_eq!(samples.len(), CAP + 1);
    let total: f64 = samples.iter().map(|s| s.value).sum();
    assert_eq!(total, VALUES as f64, "every update is counted, the overflowed ones in the overflow series");
}
