//! The tables of `BENCHMARKS.md`, from criterion's estimates and the footprint bench's figures.
//!
//! Every time figure is criterion's median for the benchmark; every ratio divides it by the fastest peer's
//! median in the same workload (the peers: every library but this project and the bare-atomics baseline),
//! so `0.50x` is twice as fast as the best peer and `2.00x` half as fast.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::Library;

/// The libraries in table order: this project, the peers, the baseline.
pub const LIBRARIES: [&str; 6] = [
    crate::ours::Ours::NAME,
    crate::measured::Measured::NAME,
    crate::prometheus::Prometheus::NAME,
    crate::prometheus_client::PrometheusClient::NAME,
    crate::metrics::Metrics::NAME,
    crate::baseline::Baseline::NAME,
];

/// The peers: the libraries ratios are taken against.
fn is_peer(library: &str) -> bool {
    library != LIBRARIES[0] && library != LIBRARIES[5]
}

/// Update workloads in table order, with what each row means.
const UPDATES: [(&str, &str); 7] = [
    ("counter_1t", "counter, 2 enum labels, 18 series, random key, 1 thread"),
    ("counter_2t", "counter, 2 enum labels, 18 series, random key, 2 threads"),
    ("counter_hot_2t", "counter, one hot series, 2 threads"),
    ("histogram_1t", "histogram, 2 labels, 18 series, 10 buckets, 1 thread"),
    ("histogram_2t", "histogram, 2 labels, 18 series, 10 buckets, 2 threads"),
    ("histogram_hot_2t", "histogram, one hot series, 2 threads"),
    ("open_1t", "counter, open string label, existing series (of 300), 1 thread"),
];

/// Medians in nanoseconds by group, library and parameter (the series count of an encoding).
#[derive(Debug, Default)]
pub struct Estimates(BTreeMap<(String, String, String), f64>);

impl Estimates {
    /// Reads `<dir>/<group>/<benchmark>[/<parameter>]/<baseline>/{benchmark,estimates}.json` for every
    /// benchmark.
    pub fn read(dir: &Path, baseline: &str) -> std::io::Result<Self> {
        let mut out = BTreeMap::new();
        read_into(dir, baseline, 0, &mut out)?;
        Ok(Estimates(out))
    }

    /// The median of `library` in `group` at `param` ("" for none).
    pub fn get(&self, group: &str, library: &str, param: &str) -> Option<f64> {
        self.0.get(&(group.to_owned(), library.to_owned(), param.to_owned())).copied()
    }

    /// The fastest peer's median in `group` at `param`.
    fn best_peer(&self, group: &str, param: &str) -> Option<f64> {
        LIBRARIES.iter().filter(|l| is_peer(l)).filter_map(|l| self.get(group, l, param)).reduce(f64::min)
    }

    /// Whether any figure was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads the benchmarks under `dir`, `depth` folders below criterion's: a benchmark's folder holds one
/// folder per baseline, a group's one per benchmark (and per parameter).
fn read_into(
    dir: &Path,
    baseline: &str,
    depth: usize,
    out: &mut BTreeMap<(String, String, String), f64>,
) -> std::io::Result<()> {
    let run = dir.join(baseline);
    if let (Ok(meta), Ok(estimates)) =
        (std::fs::read_to_string(run.join("benchmark.json")), std::fs::read_to_string(run.join("estimates.json")))
    {
        let (meta, estimates): (Value, Value) = (serde_json::from_str(&meta)?, serde_json::from_str(&estimates)?);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let key = (text(&meta["group_id"]), text(&meta["function_id"]), text(&meta["value_str"]));
        if let Some(median) = estimates["median"]["point_estimate"].as_f64() {
            out.insert(key, median);
        }
        return Ok(());
    }
    if depth == 3 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            read_into(&path, baseline, depth + 1, out)?;
        }
    }
    Ok(())
}

/// A duration in the unit that suits it.
pub fn duration(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn cell(value: Option<f64>, best: Option<f64>) -> String {
    match (value, best) {
        (Some(v), Some(b)) => format!("{} ({:.2}x)", duration(v), v / b),
        (Some(v), None) => duration(v),
        (None, _) => "n/a".to_owned(),
    }
}

fn header(out: &mut String, first: &str) {
    let _ = writeln!(out, "| {first} | {} |", LIBRARIES.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(LIBRARIES.len()));
}

/// The time tables: updates, then encoding in each format.
pub fn time_tables(est: &Estimates) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### Updates: time per operation (ratio to the fastest peer)\n");
    header(&mut out, "workload");
    for (group, what) in UPDATES {
        let best = est.best_peer(group, "");
        let cells: Vec<String> = LIBRARIES.iter().map(|l| cell(est.get(group, l, ""), best)).collect();
        let _ = writeln!(out, "| {what} | {} |", cells.join(" | "));
    }
    for (group, title) in [("encode_text", "Prometheus text 0.0.4"), ("encode_openmetrics", "OpenMetrics 1.0")] {
        let _ = writeln!(out, "\n### Encoding one scrape, {title}: time per scrape (ratio to the fastest peer)\n");
        header(&mut out, "series");
        for series in ["100", "1000", "10000", "100000"] {
            let best = est.best_peer(group, series);
            let cells: Vec<String> = LIBRARIES.iter().map(|l| cell(est.get(group, l, series), best)).collect();
            let _ = writeln!(out, "| {series} | {} |", cells.join(" | "));
        }
    }
    out
}

/// The footprint tables: memory per series, allocations per scrape, single inserts.
pub fn footprint_tables(footprint: &Value) -> String {
    let mut out = String::new();
    let row = |out: &mut String, what: &str, f: &dyn Fn(&Value) -> String| {
        let cells: Vec<String> = LIBRARIES.iter().map(|l| f(&footprint[*l])).collect();
        let _ = writeln!(out, "| {what} | {} |", cells.join(" | "));
    };
    let bytes = |v: &Value| v.as_f64().map_or("n/a".to_owned(), |b| format!("{b:.1} B"));
    let ns = |v: &Value| v.as_f64().map_or("n/a".to_owned(), duration);

    let _ = writeln!(out, "### Memory per series (a counting allocator)\n");
    header(&mut out, "series");
    row(&mut out, "dense: counter, 3 enum labels, 1,000 series", &|v| bytes(&v["dense_bytes_per_series"]));
    row(&mut out, "open: counter, labels `agent` (11 bytes) and `kind` (4 bytes), 10,000 series", &|v| {
        bytes(&v["open_bytes_per_series"])
    });
    row(&mut out, "open, less the 15 label bytes", &|v| match (
        v["open_bytes_per_series"].as_f64(),
        v["open_label_bytes"].as_f64(),
    ) {
        (Some(b), Some(l)) => format!("{:.1} B", b - l),
        _ => "n/a".to_owned(),
    });

    let _ = writeln!(out, "\n### Allocations per scrape, once warm (calls to the allocator)\n");
    header(&mut out, "scrape");
    for key in [
        "text/100",
        "text/1000",
        "text/10000",
        "text/100000",
        "openmetrics/100",
        "openmetrics/1000",
        "openmetrics/10000",
        "openmetrics/100000",
    ] {
        row(&mut out, key, &|v| v["scrape"][key]["allocations"].as_u64().map_or("n/a".to_owned(), |n| n.to_string()));
    }

    let _ = writeln!(out, "\n### High-cardinality inserts: one new series per call, 5 rounds of 100,000\n");
    header(&mut out, "insert");
    row(&mut out, "median (wall clock)", &|v| ns(&v["insert_ns"]["median"]));
    row(&mut out, "99th percentile (wall clock)", &|v| ns(&v["insert_ns"]["p99"]));
    row(&mut out, "99.9th percentile (wall clock)", &|v| ns(&v["insert_ns"]["p999"]));
    row(&mut out, "worst (thread CPU time)", &|v| ns(&v["insert_ns"]["worst_cpu"]));
    row(&mut out, "worst (wall clock, includes preemption)", &|v| ns(&v["insert_ns"]["worst_wall"]));
    out
}

/// This project's medians in `before` and `after`, workload by workload: the record of a change.
pub fn compare(before: &Estimates, after: &Estimates) -> String {
    let mut out = String::from("| benchmark | before | after | after/before |\n|---|---:|---:|---:|\n");
    for ((group, library, param), b) in &before.0 {
        if library != LIBRARIES[0] {
            continue;
        }
        if let Some(a) = after.get(group, library, param) {
            let name = if param.is_empty() { group.clone() } else { format!("{group}/{param}") };
            let _ = writeln!(out, "| {name} | {} | {} | {:.2} |", duration(*b), duration(a), a / b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_units() {
        assert_eq!(duration(12.34), "12.3 ns");
        assert_eq!(duration(12_340.0), "12.3 µs");
        assert_eq!(duration(12_340_000.0), "12.34 ms");
        assert_eq!(cell(Some(5.0), Some(10.0)), "5.0 ns (0.50x)");
        assert_eq!(cell(None, Some(10.0)), "n/a");
    }

    #[test]
    fn ratios_are_to_the_fastest_peer() {
        let mut est = Estimates::default();
        for (library, ns) in [("metrics-runtime", 5.0), ("measured", 10.0), ("prometheus", 40.0), ("bare atomics", 1.0)]
        {
            est.0.insert(("counter_1t".into(), library.into(), String::new()), ns);
        }
        assert_eq!(est.best_peer("counter_1t", ""), Some(10.0));
        let tables = time_tables(&est);
        assert!(tables.contains("| 5.0 ns (0.50x) | 10.0 ns (1.00x) | 40.0 ns (4.00x) | n/a | n/a | 1.0 ns (0.10x) |"));
    }
}
