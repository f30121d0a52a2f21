//! Time per observation of the native histogram workloads (issue 13), every arm of
//! `metrics_bench::native` in the same run: this project's native histogram (alone and beside classic
//! buckets), its classic histogram, and `prometheus-client`'s native histogram.
//!
//! Groups `native_histogram_1t` (one thread, random series and values), `native_histogram_2t` (two
//! threads, each on a CPU of its own, random series) and `native_histogram_hot_2t` (two threads on one
//! series); benchmark names are the arms'. Two-thread figures are the slower thread's wall time divided by
//! its observations, as in the `throughput` bench.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use metrics_bench::native::{NativeArm, OursBoth, OursClassic, OursNative, PrometheusClientNative};
use metrics_bench::{Keys, Kind, Route};

/// The seeds of the two threads' draws, those of the `throughput` bench.
const SEEDS: [u64; 2] = [0x9e37_79b9, 0x85eb_ca6b];

/// Pins the calling thread to CPU `cpu` (modulo the CPUs there are), so that the two threads run at once
/// rather than take turns on one CPU.
fn pin_to_cpu(cpu: usize) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: `set` is a zeroed, then filled, cpu_set_t owned by this frame; pid 0 is the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu % cpus, &mut set);
        // Where the affinity cannot be set (a container that forbids it), the thread runs unpinned.
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Runs `op(thread, i)` for `i` in `0..iters` on two threads at once, thread `t` on CPU `t`; the slower
/// thread's time.
fn two_threads(iters: u64, op: impl Fn(usize, usize) + Sync) -> Duration {
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|t| {
                let (barrier, op) = (&barrier, &op);
                s.spawn(move || {
                    pin_to_cpu(t);
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters as usize {
                        op(t, i);
                    }
                    start.elapsed()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).max().unwrap()
    })
}

/// Runs `f` on a thread of its own, as a worker thread of an application would (and so that this
/// project's stripes are claimed as a busy thread claims them).
fn on_worker<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

fn native_histogram_1t<A: NativeArm>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (histogram, keys) = (A::histogram(), Keys::new(SEEDS[0]));
    g.bench_function(A::NAME, |b| {
        on_worker(|| {
            let mut i = 0;
            b.iter(|| {
                let (route, kind, value) = keys.get(i);
                i += 1;
                A::observe(&histogram, black_box(route), black_box(kind), black_box(value));
            })
        })
    });
}

fn native_histogram_2t<A: NativeArm>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (histogram, keys) = (A::histogram(), SEEDS.map(Keys::new));
    g.bench_function(A::NAME, |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |t, i| {
                let (route, kind, value) = keys[t].get(i);
                A::observe(&histogram, black_box(route), black_box(kind), black_box(value));
            })
        })
    });
}

fn native_histogram_hot_2t<A: NativeArm>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (histogram, keys) = (A::histogram(), SEEDS.map(Keys::new));
    g.bench_function(A::NAME, |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |t, i| {
                let (_, _, value) = keys[t].get(i);
                A::observe(&histogram, black_box(Route::Users), black_box(Kind::User), black_box(value));
            })
        })
    });
}

/// Runs one workload for every arm, one after the other.
macro_rules! workload {
    ($c:expr, $workload:ident) => {{
        let mut g = $c.benchmark_group(stringify!($workload));
        $workload::<OursNative>(&mut g);
        $workload::<OursBoth>(&mut g);
        $workload::<OursClassic>(&mut g);
        $workload::<PrometheusClientNative>(&mut g);
        g.finish();
    }};
}

fn all(c: &mut Criterion) {
    workload!(c, native_histogram_1t);
    workload!(c, native_histogram_2t);
    workload!(c, native_histogram_hot_2t);
}

criterion_group!(benches, all);
criterion_main!(benches);
