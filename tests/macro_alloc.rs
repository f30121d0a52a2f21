//! The hot path allocates nothing: a million updates through enum-labelled accessors, counted by a global
//! allocator that counts every allocation of the updating thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use promstruct::prelude::*;

/// The system allocator, counting the allocations made while the current thread has counting on.
struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: the allocator also runs while thread-locals are torn down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every method forwards to `System` unchanged; counting touches only const-initialized
// thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: as for `alloc`; `ptr` was allocated by `System` through this allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by the current thread while running `f`.
fn allocations_during(f: impl FnOnce()) -> u64 {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    ALLOCATIONS.with(Cell::get)
}

/// Metrics updated on the hot path.
#[metrics(namespace = "hot")]
#[labels(
    Model { Gpt = "gpt-4o", Claude = "claude-3-5-sonnet", Llama = "llama-3-70b" },
    Status { Ok = "ok", Error = "error", Timeout = "timeout" },
)]
pub struct HotMetrics {
    /// Requests.
    #[counter(labels(model: Model, status: Status))]
    requests: Counter,

    /// Spend.
    #[counter(labels(model: Model), unit = "dollars")]
    cost: FloatCounter,

    /// Latency.
    #[histogram(labels(model: Model), unit = "seconds", buckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10])]
    latency: Histogram,

    /// In flight.
    #[gauge]
    inflight: Gauge,
}

const UPDATES: u64 = 1_000_000;

#[test]
fn a_million_enum_labelled_updates_allocate_nothing() {
    let metrics = HotMetrics::new();
    let models = [Model::Gpt, Model::Claude, Model::Llama];
    let statuses = [Status::Ok, Status::Error, Status::Timeout];

    // The counter sees its allocations: building the struct allocates its storage.
    assert!(allocations_during(|| drop(black_box(HotMetrics::new()))) > 0, "the allocator counts");

    let allocations = allocations_during(|| {
        for i in 0..UPDATES {
            let idx = usize::try_from(i % 3).unwrap();
            let (model, status) = (black_box(models[idx]), black_box(statuses[(idx + 1) % 3]));
            match i % 4 {
                0 => metrics.requests(model, status).inc(),
                1 => {
                    black_box(metrics.cost(model).inc_by(0.5));
                }
                2 => metrics.latency(model).observe(0.3),
                _ => {
                    let _guard = metrics.inflight().track_inflight();
                }
            }
        }
    });
    assert_eq!(allocations, 0, "{UPDATES} updates through the accessors allocated {allocations} times");

    let requests: u64 = models.iter().flat_map(|m| statuses.iter().map(|s| metrics.requests(*m, *s).get())).sum();
    let observations: u64 = models.iter().map(|m| metrics.latency(*m).count()).sum();
    assert_eq!(requests, UPDATES / 4);
    assert_eq!(observations, UPDATES / 4);
    assert_eq!(metrics.inflight().get(), 0);
}

/// An open family, for the scrape and existing-series updates.
#[metrics(namespace = "hot")]
pub struct OpenMetrics {
    /// Sessions, by an open label.
    #[counter(labels(session: String), max_series = 100_000)]
    sessions: Counter,
}

#[test]
fn a_warm_scrape_of_an_open_family_and_updates_of_its_existing_series_allocate_nothing() {
    let registry = promstruct::Registry::builder().self_metrics(false).build();
    let metrics = std::sync::Arc::new(OpenMetrics::new());
    registry.register(metrics.clone()).unwrap();
    let names: Vec<String> = (0..20_000).map(|i| format!("session-{i}")).collect();
    for name in &names {
        metrics.sessions(name).inc();
    }
    let mut buf = Vec::new();
    for format in [promstruct::Format::Text, promstruct::Format::OpenMetrics, promstruct::Format::Protobuf] {
        // The first scrape sizes the buffer and the encoder's scratch; the next ones reuse them.
        buf.clear();
        registry.encode(format, &mut buf).unwrap();
        let allocations = allocations_during(|| {
            for _ in 0..3 {
                buf.clear();
                registry.encode(format, &mut buf).unwrap();
            }
        });
        assert_eq!(allocations, 0, "{format:?}: three warm scrapes of 20,000 series allocated {allocations} times");
    }
    let allocations = allocations_during(|| {
        for name in &names {
            metrics.sessions_with(black_box(name), |c| c.inc());
            metrics.sessions(black_box(name)).inc();
        }
    });
    assert_eq!(allocations, 0, "updates of existing series allocated {allocations} times");
    assert_eq!(metrics.sessions("session-7").get(), 3);
}
