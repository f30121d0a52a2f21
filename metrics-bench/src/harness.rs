//! How the criterion benches run a workload on threads: pinned, started together, timed by the slowest,
//! and a one-thread workload on a worker thread of its own. Shared by `benches/throughput.rs` and
//! `benches/native.rs`, so that their figures are taken the same way.

use std::sync::Barrier;
use std::time::{Duration, Instant};

/// The seeds of the two threads' draws of keys.
pub const SEEDS: [u64; 2] = [0x9e37_79b9, 0x85eb_ca6b];

/// Pins the calling thread to CPU `cpu` (modulo the CPUs there are), so that two threads of a two-thread
/// workload run on two CPUs at once: left to the scheduler, they often share one, take turns and never
/// contend, and the figure measures the scheduler.
pub fn pin_to_cpu(cpu: usize) {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: `set` is a zeroed, then filled, cpu_set_t owned by this frame; pid 0 is the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu % cpus, &mut set);
        // Where the affinity cannot be set (a container that forbids it), the thread runs unpinned.
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Runs `op(thread, i)` for `i` in `0..iters` on two threads at once, each on a CPU of its own; the slower
/// thread's time.
pub fn two_threads(iters: u64, op: impl Fn(usize, usize) + Sync) -> Duration {
    threads(2, iters, op)
}

/// Runs `op(thread, i)` for `i` in `0..iters` on `n` threads at once, thread `t` on CPU `t` (modulo the
/// CPUs there are); the slowest thread's time.
pub fn threads(n: usize, iters: u64, op: impl Fn(usize, usize) + Sync) -> Duration {
    let barrier = Barrier::new(n);
    std::thread::scope(|s| {
        let threads: Vec<_> = (0..n)
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

/// Runs `f` on a thread of its own that exits when `f` returns: a one-thread workload times a worker
/// thread, as the two-thread workloads do, so that no thread keeps what it took from one benchmark to the
/// next (an owned stripe of this project's striped cells stays with a thread for as long as it lives).
pub fn on_worker<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}
