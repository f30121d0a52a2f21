//! gzip of this project's scrape bodies (issue 16): the time to compress one body and the ratio of its
//! size to the compressed size, at levels 1, 3, 6 and 9, for the bodies of the encoding workload (one
//! counter family with one open label, every series incremented once) at 10k and 100k series, in
//! Prometheus text 0.0.4 and OpenMetrics 1.0, with flate2 writing through the backend this build selects:
//! miniz_oxide (flate2's default), or zlib-rs with this package's feature `zlib-rs`
//! (`cargo bench -p metrics-bench --bench gzip --features zlib-rs`).
//!
//! Each figure is the median of [`RUNS`] compressions of the same body into a buffer of the output's
//! capacity, as `http/cache.rs` compresses it. Prints one Markdown table.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use metrics_bench::{Format, Library, ours::Ours};

/// Compressions timed per body and level.
const RUNS: usize = 15;

/// The backend flate2 was built with in this build.
const BACKEND: &str = if cfg!(feature = "zlib-rs") { "zlib-rs" } else { "miniz_oxide" };

/// gzips `body` at `level` as the runtime does; the compressed bytes.
fn gzip(body: &[u8], level: u32) -> Vec<u8> {
    let mut out = GzEncoder::new(Vec::with_capacity(body.len() / 4 + 64), Compression::new(level));
    out.write_all(body).expect("writing to a Vec cannot fail");
    out.finish().expect("writing to a Vec cannot fail")
}

/// The median time of [`RUNS`] compressions of `body` at `level`, and the compressed size.
fn measure(body: &[u8], level: u32) -> (Duration, usize) {
    let size = gzip(body, level).len();
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(gzip(black_box(body), level));
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    (times[RUNS / 2], size)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter, if any, picks the format (`text`, `openmetrics`).
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!("backend: {BACKEND}");
    println!();
    println!("| format | series | body | level | time | compressed | ratio | MB/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (format, name) in [(Format::Text, "text 0.0.4"), (Format::OpenMetrics, "OpenMetrics")] {
        if filter.as_deref().is_some_and(|f| !name.to_lowercase().contains(f)) {
            continue;
        }
        for series in [10_000, 100_000] {
            let mut exposition = Ours::exposition(series);
            Ours::encode(&mut exposition, format).expect("both text formats are written");
            let body = Ours::output(&exposition).to_vec();
            for level in [1, 3, 6, 9] {
                let (time, size) = measure(&body, level);
                println!(
                    "| {name} | {series} | {} | {level} | {:.2} ms | {size} | {:.1}x | {:.0} |",
                    body.len(),
                    time.as_secs_f64() * 1e3,
                    body.len() as f64 / size as f64,
                    body.len() as f64 / time.as_secs_f64() / 1e6,
                );
            }
        }
    }
}
