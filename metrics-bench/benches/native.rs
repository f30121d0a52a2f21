//! Time per observation of the native histogram workloads (issue 13), every arm of
//! `metrics_bench::native` in the same run: this project's native histogram (alone and beside classic
//! buckets), its classic histogram, and `prometheus-client`'s native histogram.
//!
//! Groups `native_histogram_1t` (one thread, random series and values), `native_histogram_2t` (two
//! threads, each on a CPU of its own, random series) and `native_histogram_hot_2t` (two threads on one
//! series); benchmark names are the arms'. Two-thread figures are the slower thread's wall time divided by
//! its observations, as in the `throughput` bench.

use std::hint::black_box;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use metrics_bench::harness::{SEEDS, on_worker, two_threads};
use metrics_bench::native::{NativeArm, OursBoth, OursClassic, OursNative, PrometheusClientNative};
use metrics_bench::{Keys, Kind, Route};

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
