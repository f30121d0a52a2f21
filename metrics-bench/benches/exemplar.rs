//! Time per update carrying an exemplar (issue 14): this project's `inc_with_exemplar` and
//! `observe_with_exemplar` against `prometheus-client` 0.25's `CounterWithExemplar` and
//! `HistogramWithExemplars`, on one thread and on two threads updating the same cell; and this project's
//! plain `inc` and `observe` on the same cells, which carry no exemplar.
//!
//! Groups `exemplar_<op>_<threads>`, benchmarks named by library; the two-thread figure is the slower
//! thread's wall time divided by its updates, as in `throughput.rs`.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main};
use metrics_bench::BUCKETS;
use metrics_bench::exemplar::{Ours, PrometheusClient, TRACE_IDS, trace_ids};

/// Runs `op(i)` for `i` in `0..iters` on `n` threads at once; the slowest thread's time.
fn on_threads(n: usize, iters: u64, op: impl Fn(usize) + Sync) -> Duration {
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..n)
            .map(|t| {
                let (barrier, op) = (&barrier, &op);
                s.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters as usize {
                        op(i + t * 7);
                    }
                    start.elapsed()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).max().unwrap()
    })
}

/// Times `op` on `threads` fresh threads (a fresh thread also for one, as the two-thread runs use).
fn bench(g: &mut BenchmarkGroup<'_, WallTime>, name: &str, threads: usize, op: impl Fn(usize) + Sync) {
    g.bench_function(name, |b| b.iter_custom(|iters| on_threads(threads, iters, &op)));
}

fn all(c: &mut Criterion) {
    let ids = trace_ids();
    let id = |i: usize| ids[i % TRACE_IDS].as_str();
    let value = |i: usize| BUCKETS[i % BUCKETS.len()] * 0.9;
    for threads in [1, 2] {
        let (ours, theirs) = (Ours::default(), PrometheusClient::default());
        let mut g = c.benchmark_group(format!("exemplar_inc_{threads}t"));
        bench(&mut g, "promstruct", threads, |i| ours.inc_with_exemplar(black_box(id(i))));
        bench(&mut g, "prometheus-client", threads, |i| theirs.inc_with_exemplar(black_box(id(i))));
        bench(&mut g, "promstruct (plain inc)", threads, |_| ours.inc());
        g.finish();
        let mut g = c.benchmark_group(format!("exemplar_observe_{threads}t"));
        bench(&mut g, "promstruct", threads, |i| ours.observe_with_exemplar(black_box(value(i)), black_box(id(i))));
        bench(&mut g, "prometheus-client", threads, |i| {
            theirs.observe_with_exemplar(black_box(value(i)), black_box(id(i)))
        });
        bench(&mut g, "promstruct (plain observe)", threads, |i| ours.observe(black_box(value(i))));
        g.finish();
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
