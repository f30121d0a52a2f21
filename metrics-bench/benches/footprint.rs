//! What criterion cannot measure: bytes per series, allocations per scrape, and the latency of single
//! high-cardinality inserts (median and worst), every library in the same run.
//!
//! A counting global allocator tracks live bytes and allocation calls. Inserts are timed by the wall clock
//! (median, percentiles) and by the thread's CPU clock (the worst: what the insert itself cost, without
//! the time the scheduler gave the core to another process). Prints a JSON object on the last
//! line of stdout and writes it to `$BENCH_FOOTPRINT` when set; `scripts/bench` turns it into tables.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, AtomicU64, Ordering};
use std::time::Instant;

use metrics_bench::{
    Format, Kind, Library, agent_names, baseline::Baseline, measured::Measured, metrics::Metrics, ours::Ours,
    prometheus::Prometheus, prometheus_client::PrometheusClient,
};
use serde_json::{Value, json};

/// The system allocator, counting.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static CALLS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        CALLS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        CALLS.fetch_add(1, Ordering::Relaxed);
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
        CALLS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`; the caller guarantees `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn calls() -> u64 {
    CALLS.load(Ordering::Relaxed)
}

/// The CPU time this thread has run, in nanoseconds: unlike the wall clock, it does not count the time
/// the thread waited while the scheduler ran another process, which on a shared machine dwarfs an insert.
fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant the platform defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Series of the dense family of [`Library::dense`].
const DENSE_SERIES: usize = 1_000;
/// Series inserted to measure an open series.
const OPEN_SERIES: usize = 10_000;
/// Inserts timed one by one, per round.
const INSERTS: usize = 100_000;
const INSERT_ROUNDS: usize = 5;
/// Series of the scrapes whose allocations are counted: the sizes of the encoding benchmarks.
const SCRAPE_SERIES: [usize; 4] = [100, 1_000, 10_000, 100_000];

fn library<L: Library>() -> Value {
    // Bytes per dense series: the family, every series created.
    let before = live();
    let dense = L::dense();
    let dense_bytes = (live() - before) as f64 / DENSE_SERIES as f64;
    drop(dense);

    // Bytes per open series, beyond the empty family: agent names of 11 bytes and the kind `user`.
    let agents = agent_names(OPEN_SERIES);
    let label_bytes = (agents[0].len() + Kind::User.as_str().len()) as f64;
    let open = L::open(2 * OPEN_SERIES);
    let before = live();
    for agent in &agents {
        L::inc_open(&open, agent, Kind::User);
    }
    let open_bytes = (live() - before) as f64 / OPEN_SERIES as f64;
    drop(open);

    // Allocations of one scrape once warm.
    let mut scrapes = serde_json::Map::new();
    for (format, name) in [(Format::Text, "text"), (Format::OpenMetrics, "openmetrics"), (Format::Protobuf, "protobuf")]
    {
        for series in SCRAPE_SERIES {
            let mut exposition = L::exposition(series);
            if L::encode(&mut exposition, format).is_none() {
                break;
            }
            for _ in 0..3 {
                L::encode(&mut exposition, format);
            }
            let (calls_before, live_before) = (calls(), live());
            let len = L::encode(&mut exposition, format);
            let allocations = calls() - calls_before;
            let retained = live() - live_before;
            black_box(len);
            scrapes
                .insert(format!("{name}/{series}"), json!({ "allocations": allocations, "retained_bytes": retained }));
        }
    }

    // Single inserts of new series, timed one by one.
    let agents = agent_names(INSERTS);
    let mut times = Vec::with_capacity(INSERTS * INSERT_ROUNDS);
    let mut worst_cpu = 0;
    for _ in 0..INSERT_ROUNDS {
        let open = L::open(2 * INSERTS);
        for agent in &agents {
            // The CPU clock is a system call: read it outside the wall-clock interval.
            let start_cpu = thread_cpu_ns();
            let start = Instant::now();
            L::inc_open(&open, black_box(agent), Kind::User);
            let wall = start.elapsed();
            let cpu = thread_cpu_ns() - start_cpu;
            times.push(wall.as_nanos() as u64);
            worst_cpu = worst_cpu.max(cpu);
        }
        drop(open);
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];

    json!({
        "dense_bytes_per_series": dense_bytes,
        "open_bytes_per_series": open_bytes,
        "open_label_bytes": label_bytes,
        "scrape": scrapes,
        "insert_ns": {
            "median": at(0.5),
            "p99": at(0.99),
            "p999": at(0.999),
            "worst_wall": times[times.len() - 1],
            "worst_cpu": worst_cpu,
        },
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter is not supported: every library runs.
    let mut out = serde_json::Map::new();
    for (name, run) in [
        (Ours::NAME, library::<Ours> as fn() -> Value),
        (Measured::NAME, library::<Measured>),
        (Prometheus::NAME, library::<Prometheus>),
        (PrometheusClient::NAME, library::<PrometheusClient>),
        (Metrics::NAME, library::<Metrics>),
        (Baseline::NAME, library::<Baseline>),
    ] {
        let value = run();
        eprintln!("{name}: {value}");
        out.insert(name.to_owned(), value);
    }
    let out = Value::Object(out).to_string();
    if let Ok(path) = std::env::var("BENCH_FOOTPRINT") {
        std::fs::write(&path, &out).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    println!("{out}");
}
