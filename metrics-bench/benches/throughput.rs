//! Time per operation of every workload, every library in the same run.
//!
//! Group names are `<workload>` and benchmark names the library (`<library>/<size>` for encoding), so
//! `target/criterion/<workload>/<library>/new/estimates.json` holds each figure `scripts/bench` reports.
//! Two-thread workloads time two threads doing `iters` operations each, started together; the figure is
//! the wall time of the slower one divided by `iters`: the time one operation takes while another thread
//! does the same.

use std::hint::black_box;
use std::sync::{Barrier, OnceLock};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use metrics_bench::harness::{SEEDS, on_worker, threads, two_threads};
use metrics_bench::{
    Format, Keys, Kind, Library, Route, agent_names, baseline::Baseline, measured::Measured, metrics::Metrics,
    ours::Ours, prometheus::Prometheus, prometheus_client::PrometheusClient,
};
use regex::Regex;

fn counter_1t<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (counter, keys) = (L::counter(), Keys::new(SEEDS[0]));
    g.bench_function(L::NAME, |b| {
        on_worker(|| {
            let mut i = 0;
            b.iter(|| {
                let (route, kind, _) = keys.get(i);
                i += 1;
                L::inc(&counter, black_box(route), black_box(kind));
            })
        })
    });
}

fn counter_2t<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (counter, keys) = (L::counter(), SEEDS.map(Keys::new));
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |t, i| {
                let (route, kind, _) = keys[t].get(i);
                L::inc(&counter, black_box(route), black_box(kind));
            })
        })
    });
}

fn counter_hot_2t<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let counter = L::counter();
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |_, _| L::inc(&counter, black_box(Route::Users), black_box(Kind::User)))
        })
    });
}

/// Runs `f` while four other threads, idle, hold every owned stripe of this project's striped cells: each
/// made enough updates to take one, then waits for `f` to return. For the peers, which keep nothing per
/// thread, this is [`counter_hot_2t`] again; for this project it is the case where the threads doing the
/// work find no stripe free and share one, with atomic adds, as every peer's threads do.
fn with_stripes_held<L: Library, R>(f: impl FnOnce() -> R) -> R {
    const HOLDERS: usize = 4;
    let (ready, done) = (Barrier::new(HOLDERS + 1), Barrier::new(HOLDERS + 1));
    std::thread::scope(|s| {
        for _ in 0..HOLDERS {
            s.spawn(|| {
                let counter = L::counter();
                for _ in 0..4096 {
                    L::inc(&counter, black_box(Route::Users), black_box(Kind::User));
                }
                ready.wait();
                done.wait();
            });
        }
        ready.wait();
        let result = f();
        done.wait();
        result
    })
}

fn counter_hot_2t_no_stripe<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let counter = L::counter();
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            with_stripes_held::<L, _>(|| {
                two_threads(iters, |_, _| L::inc(&counter, black_box(Route::Users), black_box(Kind::User)))
            })
        })
    });
}

fn histogram_1t<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (histogram, keys) = (L::histogram(), Keys::new(SEEDS[0]));
    g.bench_function(L::NAME, |b| {
        on_worker(|| {
            let mut i = 0;
            b.iter(|| {
                let (route, kind, value) = keys.get(i);
                i += 1;
                L::observe(&histogram, black_box(route), black_box(kind), black_box(value));
            })
        })
    });
}

fn histogram_2t<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (histogram, keys) = (L::histogram(), SEEDS.map(Keys::new));
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |t, i| {
                let (route, kind, value) = keys[t].get(i);
                L::observe(&histogram, black_box(route), black_box(kind), black_box(value));
            })
        })
    });
}

fn histogram_hot_2t<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (histogram, keys) = (L::histogram(), SEEDS.map(Keys::new));
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |t, i| {
                let (_, _, value) = keys[t].get(i);
                L::observe(&histogram, black_box(Route::Users), black_box(Kind::User), black_box(value));
            })
        })
    });
}

/// An open label with 100 values, every series created before timing: the lookup of an existing series.
fn open_1t<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (agents, keys) = (agent_names(100), Keys::new(SEEDS[0]));
    let open = L::open(1000);
    for agent in &agents {
        for &kind in Kind::ALL {
            L::inc_open(&open, agent, kind);
        }
    }
    g.bench_function(L::NAME, |b| {
        on_worker(|| {
            let mut i = 0;
            b.iter(|| {
                let (_, kind, _) = keys.get(i);
                let agent = &agents[(i * 37) % agents.len()];
                i += 1;
                L::inc_open(&open, black_box(agent), black_box(kind));
            })
        })
    });
}

/// [`open_1t`] on two threads at once, each through its own stream of keys.
fn open_2t<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (agents, keys) = (agent_names(100), SEEDS.map(Keys::new));
    let open = L::open(1000);
    for agent in &agents {
        for &kind in Kind::ALL {
            L::inc_open(&open, agent, kind);
        }
    }
    g.bench_function(L::NAME, |b| {
        b.iter_custom(|iters| {
            two_threads(iters, |t, i| {
                let (_, kind, _) = keys[t].get(i);
                let agent = &agents[(i * 37 + t * 11) % agents.len()];
                L::inc_open(&open, black_box(agent), black_box(kind));
            })
        })
    });
}

/// Whether criterion's filter (its first free argument, a regular expression; `--exact` makes it the
/// whole name) lets benchmark `id` run: criterion checks it only once a benchmark's setup is done.
fn wanted(id: &str) -> bool {
    static FILTER: OnceLock<Option<(Regex, bool)>> = OnceLock::new();
    // Criterion's options that take a value.
    const VALUED: [&str; 16] = [
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--profile-time",
        "--plotting-backend",
        "--output-format",
        "--color",
        "--format",
    ];
    let filter = FILTER.get_or_init(|| {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let exact = args.iter().any(|a| a == "--exact");
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if VALUED.contains(&arg.as_str()) || arg == "-c" {
                rest.next();
            } else if !arg.starts_with('-') {
                return Regex::new(arg).ok().map(|r| (r, exact));
            }
        }
        None
    });
    match filter {
        None => true,
        Some((_, true)) => std::env::args().any(|a| a == id),
        Some((regex, false)) => regex.is_match(id),
    }
}

/// The registry sizes of the encoding workloads.
const ENCODE_SERIES: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

/// One scrape of each registry size, its body's bytes recorded as the benchmark's throughput (bytes per
/// series sit beside the time in the tables: this project writes `_total` and `_created`, some peers not).
/// Flat sampling: a scrape of a million series takes tens of milliseconds, and criterion's linear
/// sampling would run it hundreds of times.
fn encode<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>, format: Format) {
    if L::encode(&mut L::exposition(1), format).is_none() {
        return;
    }
    let group = match format {
        Format::Text => "encode_text",
        Format::OpenMetrics => "encode_openmetrics",
        Format::Protobuf => "encode_protobuf",
    };
    for series in ENCODE_SERIES {
        // A registry of a million series takes seconds to fill: not for a run that filters it out.
        if !wanted(&format!("{group}/{}/{series}", L::NAME)) {
            continue;
        }
        let mut exposition = L::exposition(series);
        let len = L::encode(&mut exposition, format).expect("the format was written for one series");
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_with_input(BenchmarkId::new(L::NAME, series), &series, |b, _| {
            b.iter(|| L::encode(&mut exposition, format))
        });
    }
}

fn encode_text<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    encode::<L>(g, Format::Text)
}

fn encode_openmetrics<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    encode::<L>(g, Format::OpenMetrics)
}

/// The Prometheus protobuf format, for the libraries that write it (this project, `prometheus`'s
/// `ProtobufEncoder`, `prometheus-client`'s `prometheus_protobuf`).
fn encode_protobuf<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    encode::<L>(g, Format::Protobuf)
}

/// The thread counts of the sweep (`BENCH_THREADS`, a comma-separated list such as `1,2,4,8,16`; none
/// by default): on a machine with that many cores, how each library scales past two threads.
fn sweep_threads() -> Vec<usize> {
    let list = std::env::var("BENCH_THREADS").unwrap_or_default();
    list.split(',').filter_map(|n| n.trim().parse().ok()).filter(|n| *n > 0).collect()
}

/// The counter of [`counter_2t`] (random series) and of [`counter_hot_2t`] (one series) on each thread
/// count of the sweep: groups `sweep_counter` and `sweep_counter_hot`, parameter the thread count.
fn sweep_counter<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>, hot: bool) {
    let (counter, keys) = (L::counter(), Keys::new(SEEDS[0]));
    for n in sweep_threads() {
        g.bench_with_input(BenchmarkId::new(L::NAME, n), &n, |b, &n| {
            b.iter_custom(|iters| {
                threads(n, iters, |t, i| {
                    let (route, kind, _) = if hot { (Route::Users, Kind::User, 0.0) } else { keys.get(i + 977 * t) };
                    L::inc(&counter, black_box(route), black_box(kind));
                })
            })
        });
    }
}

/// The histogram of [`histogram_2t`] and [`histogram_hot_2t`] on each thread count of the sweep: groups
/// `sweep_histogram` and `sweep_histogram_hot`.
fn sweep_histogram<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>, hot: bool) {
    let (histogram, keys) = (L::histogram(), Keys::new(SEEDS[1]));
    for n in sweep_threads() {
        g.bench_with_input(BenchmarkId::new(L::NAME, n), &n, |b, &n| {
            b.iter_custom(|iters| {
                threads(n, iters, |t, i| {
                    let (mut route, mut kind, value) = keys.get(i + 977 * t);
                    if hot {
                        (route, kind) = (Route::Users, Kind::User);
                    }
                    L::observe(&histogram, black_box(route), black_box(kind), black_box(value));
                })
            })
        });
    }
}

fn sweep_counter_random<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    sweep_counter::<L>(g, false)
}

fn sweep_counter_hot<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    sweep_counter::<L>(g, true)
}

fn sweep_histogram_random<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    sweep_histogram::<L>(g, false)
}

fn sweep_histogram_hot<L: Library>(g: &mut BenchmarkGroup<'_, WallTime>) {
    sweep_histogram::<L>(g, true)
}

/// Runs one workload for every library, one after the other, so that they are measured close in time.
macro_rules! workload {
    ($c:expr, $workload:ident $(, $setting:ident($value:expr))*) => {{
        let mut g = $c.benchmark_group(stringify!($workload));
        $(g.$setting($value);)*
        $workload::<Ours>(&mut g);
        $workload::<Measured>(&mut g);
        $workload::<Prometheus>(&mut g);
        $workload::<PrometheusClient>(&mut g);
        $workload::<Metrics>(&mut g);
        $workload::<Baseline>(&mut g);
        g.finish();
    }};
}

fn all(c: &mut Criterion) {
    workload!(c, counter_1t);
    workload!(c, counter_2t);
    workload!(c, counter_hot_2t);
    workload!(c, counter_hot_2t_no_stripe);
    workload!(c, histogram_1t);
    workload!(c, histogram_2t);
    workload!(c, histogram_hot_2t);
    workload!(c, open_1t);
    workload!(c, open_2t);
    workload!(c, encode_text, sample_size(10), sampling_mode(SamplingMode::Flat));
    workload!(c, encode_openmetrics, sample_size(10), sampling_mode(SamplingMode::Flat));
    workload!(c, encode_protobuf, sample_size(10), sampling_mode(SamplingMode::Flat));
    if !sweep_threads().is_empty() {
        workload!(c, sweep_counter_random);
        workload!(c, sweep_counter_hot);
        workload!(c, sweep_histogram_random);
        workload!(c, sweep_histogram_hot);
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
