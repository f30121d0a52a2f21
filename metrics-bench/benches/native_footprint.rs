//! The memory of a native histogram series: live bytes per series of the native workloads' families
//! (`metrics_bench::native`), just created and once warm (every value of the workload observed, by one
//! thread, then by two), against the classic histogram. Prints one JSON object.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use metrics_bench::native::{NativeArm, OursBoth, OursClassic, OursNative, PrometheusClientNative};
use metrics_bench::{Keys, Kind, Route};
use serde_json::{Value, json};

/// The system allocator, counting live bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a plain atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller guarantees `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const SERIES: f64 = (Route::ALL.len() * Kind::ALL.len()) as f64;

/// Observes every draw of the workload four times over, on a thread of its own that exits after (so that
/// it takes an owned stripe after 1,024 updates, as a busy thread does). The second warm-up's thread runs
/// after the first's has exited: it takes over what the first wrote alone, and grows what two threads
/// wrote at once.
fn warm<A: NativeArm>(histogram: &A::Histogram, seed: u64) {
    // Joined: the thread has exited, its thread-local destructors run, when this returns.
    std::thread::scope(|s| {
        s.spawn(|| {
            let keys = Keys::new(seed);
            for i in 0..4 * Keys::LEN {
                let (route, kind, value) = keys.get(i);
                A::observe(histogram, route, kind, value);
            }
        })
        .join()
        .unwrap()
    });
}

fn arm<A: NativeArm>() -> Value {
    let before = LIVE.load(Ordering::Relaxed);
    let histogram = A::histogram();
    let created = LIVE.load(Ordering::Relaxed);
    warm::<A>(&histogram, 1);
    let one_thread = LIVE.load(Ordering::Relaxed);
    warm::<A>(&histogram, 2);
    let two_threads = LIVE.load(Ordering::Relaxed);
    let per_series = |bytes: isize| ((bytes - before) as f64 / SERIES).round();
    drop(histogram);
    json!({
        "created": per_series(created),
        "warm_one_thread": per_series(one_thread),
        "warm_two_threads": per_series(two_threads),
    })
}

fn main() {
    let mut out = serde_json::Map::new();
    out.insert(OursNative::NAME.to_owned(), arm::<OursNative>());
    out.insert(OursBoth::NAME.to_owned(), arm::<OursBoth>());
    out.insert(OursClassic::NAME.to_owned(), arm::<OursClassic>());
    out.insert(PrometheusClientNative::NAME.to_owned(), arm::<PrometheusClientNative>());
    println!("{}", Value::Object(out));
}
