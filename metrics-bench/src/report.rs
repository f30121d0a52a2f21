//! The tables of `BENCHMARKS.md`, from criterion's estimates and the footprint bench's figures.
//!
//! Every time figure is criterion's median for the benchmark; every ratio divides it by the fastest peer's
//! median in the same workload (the peers: every library but this project and the bare-atomics baseline),
//! so `0.50x` is twice as fast as the best peer and `2.00x` half as fast.
//!
//! A run may hold several profiles (`scripts/bench` runs Cargo's default bench profile and `bench-lto`,
//! one codegen unit and fat LTO, under two baselines): each row of the headline tables is the profile in
//! which this project's ratio is the worse, named in the row's last column, and every profile's own tables
//! follow.
//!
//! The HTTP tables add a column for this project's server with its cache on ([`crate::http::OURS_CACHED`]),
//! and print the body sizes the HTTP bench records as each benchmark's throughput.

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
    LIBRARIES[1..5].contains(&library)
}

/// The columns of the HTTP tables: the libraries, then this project's server with its cache on.
const HTTP_COLUMNS: [&str; 7] =
    [LIBRARIES[0], LIBRARIES[1], LIBRARIES[2], LIBRARIES[3], LIBRARIES[4], LIBRARIES[5], crate::http::OURS_CACHED];

/// The registry sizes of the HTTP bench.
const HTTP_SERIES: [&str; 3] = ["1000", "10000", "100000"];

/// Update workloads in table order, with what each row means.
const UPDATES: [(&str, &str); 9] = [
    ("counter_1t", "counter, 2 enum labels, 18 series, random key, 1 thread"),
    ("counter_2t", "counter, 2 enum labels, 18 series, random key, 2 threads"),
    ("counter_hot_2t", "counter, one hot series, 2 threads"),
    ("counter_hot_2t_no_stripe", "counter, one hot series, 2 threads, every owned stripe held by other threads"),
    ("histogram_1t", "histogram, 2 labels, 18 series, 10 buckets, 1 thread"),
    ("histogram_2t", "histogram, 2 labels, 18 series, 10 buckets, 2 threads"),
    ("histogram_hot_2t", "histogram, one hot series, 2 threads"),
    ("open_1t", "counter, open string label, existing series (of 300), 1 thread"),
    ("open_2t", "counter, open string label, existing series (of 300), 2 threads"),
];

/// The registry sizes of the encoding workloads.
const ENCODE_SERIES: [&str; 4] = ["1000", "10000", "100000", "1000000"];

/// The figures of one run in each profile: the profile's name (its criterion baseline) and its estimates.
pub type Runs = [(String, Estimates)];

/// A row of a table: what it shows, its group and its parameter.
struct Row {
    label: String,
    group: String,
    param: String,
}

impl Row {
    fn new(label: impl Into<String>, group: impl Into<String>, param: impl Into<String>) -> Self {
        Row { label: label.into(), group: group.into(), param: param.into() }
    }
}

/// The run whose ratio of this project to the fastest peer is the highest in `row` (the first when none
/// has one).
fn worse<'r>(runs: &'r Runs, row: &Row) -> &'r (String, Estimates) {
    let ratio = |est: &Estimates| {
        let ours = est.get(&row.group, LIBRARIES[0], &row.param)?;
        Some(ours / est.best_peer(&row.group, &row.param)?)
    };
    runs.iter()
        .filter_map(|run| Some((run, ratio(&run.1)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(&runs[0], |(run, _)| run)
}

/// A table of `rows` over `columns`: one run's figures, or with several runs each row from the worse one
/// and a last column naming it. `per_series`: the parameter is a series count, and each cell adds the
/// bytes per series its benchmark recorded.
fn table(out: &mut String, first: &str, columns: &[&str], rows: &[Row], runs: &Runs, per_series: bool) {
    let several = runs.len() > 1;
    let _ = writeln!(out, "| {first} | {} |{}", columns.join(" | "), if several { " worse profile |" } else { "" });
    let firsts = first.matches('|').count() + 1;
    let _ = writeln!(
        out,
        "|{}{}{}",
        "---|".repeat(firsts),
        "---:|".repeat(columns.len()),
        if several { "---|" } else { "" }
    );
    for row in rows {
        let (profile, est) = worse(runs, row);
        let best = est.best_peer(&row.group, &row.param);
        let cells: Vec<String> = columns
            .iter()
            .map(|l| {
                let time = cell(est.get(&row.group, l, &row.param), best);
                let bytes = est.bytes(&row.group, l, &row.param).filter(|_| per_series);
                match (bytes, row.param.parse::<f64>()) {
                    (Some(b), Ok(n)) if n > 0.0 && time != "n/a" => format!("{time}, {:.1} B", b as f64 / n),
                    _ => time,
                }
            })
            .collect();
        let _ = write!(out, "| {} | {} |", row.label, cells.join(" | "));
        let _ = writeln!(out, "{}", if several { format!(" {profile} |") } else { String::new() });
    }
}

/// A benchmark: its group, library and parameter (the series count of an encoding, "" for none).
type Key = (String, String, String);

/// Medians in nanoseconds by group, library and parameter, and the bytes of the benchmarks that record
/// them as their throughput.
#[derive(Debug, Default)]
pub struct Estimates {
    medians: BTreeMap<Key, f64>,
    bytes: BTreeMap<Key, u64>,
}

impl Estimates {
    /// Reads `<dir>/<group>/<benchmark>[/<parameter>]/<baseline>/{benchmark,estimates}.json` for every
    /// benchmark.
    pub fn read(dir: &Path, baseline: &str) -> std::io::Result<Self> {
        let mut out = Estimates::default();
        read_into(dir, baseline, 0, &mut out)?;
        Ok(out)
    }

    /// The median of `library` in `group` at `param` ("" for none).
    pub fn get(&self, group: &str, library: &str, param: &str) -> Option<f64> {
        self.medians.get(&(group.to_owned(), library.to_owned(), param.to_owned())).copied()
    }

    /// The bytes `library` recorded as its throughput in `group` at `param`, if it did.
    pub fn bytes(&self, group: &str, library: &str, param: &str) -> Option<u64> {
        self.bytes.get(&(group.to_owned(), library.to_owned(), param.to_owned())).copied()
    }

    /// The fastest peer's median in `group` at `param`.
    fn best_peer(&self, group: &str, param: &str) -> Option<f64> {
        LIBRARIES.iter().filter(|l| is_peer(l)).filter_map(|l| self.get(group, l, param)).reduce(f64::min)
    }

    /// Whether any figure was read.
    pub fn is_empty(&self) -> bool {
        self.medians.is_empty()
    }
}

/// Reads the benchmarks under `dir`, `depth` folders below criterion's: a benchmark's folder holds one
/// folder per baseline, a group's one per benchmark (and per parameter).
fn read_into(dir: &Path, baseline: &str, depth: usize, out: &mut Estimates) -> std::io::Result<()> {
    let run = dir.join(baseline);
    if let (Ok(meta), Ok(estimates)) =
        (std::fs::read_to_string(run.join("benchmark.json")), std::fs::read_to_string(run.join("estimates.json")))
    {
        let (meta, estimates): (Value, Value) = (serde_json::from_str(&meta)?, serde_json::from_str(&estimates)?);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let key = (text(&meta["group_id"]), text(&meta["function_id"]), text(&meta["value_str"]));
        if let Some(bytes) = meta["throughput"]["Bytes"].as_u64() {
            out.bytes.insert(key.clone(), bytes);
        }
        if let Some(median) = estimates["median"]["point_estimate"].as_f64() {
            out.medians.insert(key, median);
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

/// A byte count with thousands separators.
fn bytes(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// The time tables: updates, then encoding in each format; with several runs, the headline tables (each
/// row from the worse profile), then each profile's.
pub fn time_tables(runs: &Runs) -> String {
    let mut out = time_tables_of(runs);
    if runs.len() > 1 {
        for run in runs {
            let _ = writeln!(out, "\n### Profile `{}`\n", run.0);
            out.push_str(&time_tables_of(std::slice::from_ref(run)));
        }
    }
    out
}

fn time_tables_of(runs: &Runs) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### Updates: time per operation (ratio to the fastest peer)\n");
    let rows: Vec<Row> = UPDATES.iter().map(|(group, what)| Row::new(*what, *group, "")).collect();
    table(&mut out, "workload", &LIBRARIES, &rows, runs, false);
    for (group, title) in [
        ("encode_text", "Prometheus text 0.0.4"),
        ("encode_openmetrics", "OpenMetrics 1.0"),
        ("encode_protobuf", "Prometheus protobuf"),
    ] {
        let _ = writeln!(
            out,
            "\n### Encoding one scrape, {title}: time per scrape (ratio to the fastest peer), bytes per series\n"
        );
        let rows: Vec<Row> = ENCODE_SERIES.iter().map(|series| Row::new(*series, group, *series)).collect();
        table(&mut out, "series", &LIBRARIES, &rows, runs, true);
    }
    out
}

/// The thread sweeps of `BENCH_THREADS`, in table order, with what each table times.
const SWEEPS: [(&str, &str); 4] = [
    ("sweep_counter_random", "counter, 2 enum labels, 18 series, random key"),
    ("sweep_counter_hot", "counter, one hot series"),
    ("sweep_histogram_random", "histogram, 2 labels, 18 series, 10 buckets"),
    ("sweep_histogram_hot", "histogram, one hot series"),
];

/// The thread-sweep tables, if the sweep ran: time per operation by thread count (each row from the
/// worse profile).
pub fn sweep_tables(runs: &Runs) -> String {
    let mut out = String::new();
    for (group, what) in SWEEPS {
        let mut counts: Vec<usize> = runs
            .iter()
            .flat_map(|(_, est)| est.medians.keys())
            .filter(|(g, _, _)| g == group)
            .filter_map(|(_, _, threads)| threads.parse().ok())
            .collect();
        counts.sort_unstable();
        counts.dedup();
        if counts.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### Thread sweep, {what}: time per operation (ratio to the fastest peer)\n");
        let rows: Vec<Row> = counts.iter().map(|n| Row::new(n.to_string(), group, n.to_string())).collect();
        table(&mut out, "threads", &LIBRARIES, &rows, runs, false);
        out.push('\n');
    }
    out
}

/// The HTTP tables, if the HTTP bench ran: time per scrape with its ratio to the fastest peer (each row
/// from the worse profile), then the bytes of each body.
pub fn http_tables(runs: &Runs) -> String {
    let mut out = String::new();
    if !runs.iter().any(|(_, est)| est.medians.keys().any(|(group, _, _)| group.starts_with("http_"))) {
        return out;
    }
    let rows: Vec<Row> = HTTP_SERIES
        .iter()
        .flat_map(|s| ["identity", "gzip"].map(|e| Row::new(format!("{s} | {e}"), format!("http_{e}"), *s)))
        .collect();
    let _ = writeln!(out, "### Scrape over HTTP: time per scrape (ratio to the fastest peer)\n");
    let _ = writeln!(
        out,
        "Every server encodes on every scrape but the last column's. `metrics` is served by its exporter's \
         listener, which does not compress: its gzip cells are the hyper service of the libraries that ship no \
         server. `prometheus-client` writes OpenMetrics, the others the text format 0.0.4.\n"
    );
    table(&mut out, "series | encoding", &HTTP_COLUMNS, &rows, runs, false);
    let _ = writeln!(out, "\n### Scrape over HTTP: body bytes\n");
    let _ = writeln!(out, "| series | encoding | {} |", HTTP_COLUMNS.join(" | "));
    let _ = writeln!(out, "|---:|---|{}", "---:|".repeat(HTTP_COLUMNS.len()));
    let est = &runs[0].1;
    for row in &rows {
        let cells: Vec<String> =
            HTTP_COLUMNS.iter().map(|l| est.bytes(&row.group, l, &row.param).map_or("n/a".to_owned(), bytes)).collect();
        let _ = writeln!(out, "| {} | {} |", row.label, cells.join(" | "));
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
        "protobuf/100",
        "protobuf/1000",
        "protobuf/10000",
        "protobuf/100000",
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
    for ((group, library, param), b) in &before.medians {
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

/// The arms of `benches/native.rs`, this project's native histogram first, then its classic and native
/// buckets together, its classic buckets, and prometheus-client's native histogram.
const NATIVE_ARMS: [&str; 4] =
    ["promstruct-native", "promstruct-classic+native", "promstruct-classic", "prometheus-client-native"];

/// The workloads of `benches/native.rs`: label and group.
const NATIVE_ROWS: [(&str, &str); 3] = [
    ("1 thread, random series", "native_histogram_1t"),
    ("2 threads, random series", "native_histogram_2t"),
    ("one hot series, 2 threads", "native_histogram_hot_2t"),
];

/// The workloads of `benches/exemplar.rs`: label, group, and the plain update measured beside it.
const EXEMPLAR_ROWS: [(&str, &str, &str); 4] = [
    ("`inc_with_exemplar`, 1 thread", "exemplar_inc_1t", "promstruct (plain inc)"),
    ("`inc_with_exemplar`, 2 threads", "exemplar_inc_2t", "promstruct (plain inc)"),
    ("`observe_with_exemplar`, 1 thread", "exemplar_observe_1t", "promstruct (plain observe)"),
    ("`observe_with_exemplar`, 2 threads", "exemplar_observe_2t", "promstruct (plain observe)"),
];

/// `a / b` as a ratio cell, `n/a` without both.
fn ratio_cell(a: Option<f64>, b: Option<f64>) -> String {
    a.zip(b).map_or_else(|| "n/a".to_owned(), |(a, b)| format!("{:.2}x", a / b))
}

/// The tables of the native-histogram and exemplar benches (`benches/native.rs`, `benches/exemplar.rs`):
/// a row per workload and profile, with this project's ratios, native to its classic observe and to
/// prometheus-client's native histogram, exemplar updates to prometheus-client's. Empty when neither ran.
pub fn side_tables(runs: &Runs) -> String {
    let time = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), duration);
    let mut native = Vec::new();
    let mut exemplar = Vec::new();
    for (profile, est) in runs {
        for (label, group) in NATIVE_ROWS {
            let v: Vec<Option<f64>> = NATIVE_ARMS.iter().map(|arm| est.get(group, arm, "")).collect();
            if v.iter().any(Option::is_some) {
                let cells: Vec<String> = v.iter().map(|x| time(*x)).collect();
                let (to_classic, to_peer) = (ratio_cell(v[0], v[2]), ratio_cell(v[0], v[3]));
                native.push(format!("| {label} | {profile} | {} | {to_classic} | {to_peer} |", cells.join(" | ")));
            }
        }
        for (label, group, plain) in EXEMPLAR_ROWS {
            let v =
                [est.get(group, "promstruct", ""), est.get(group, "prometheus-client", ""), est.get(group, plain, "")];
            if v.iter().any(Option::is_some) {
                let cells: Vec<String> = v.iter().map(|x| time(*x)).collect();
                exemplar.push(format!("| {label} | {profile} | {} | {} |", cells.join(" | "), ratio_cell(v[0], v[1])));
            }
        }
    }
    let mut out = String::new();
    if !native.is_empty() {
        let _ = writeln!(out, "### Native histograms: time per observation\n");
        let _ = writeln!(
            out,
            "| workload | profile | {} | native / classic | native / prometheus-client |",
            NATIVE_ARMS.join(" | ")
        );
        let _ = writeln!(out, "|---|---|{}---:|---:|", "---:|".repeat(NATIVE_ARMS.len()));
        let _ = writeln!(out, "{}\n", native.join("\n"));
    }
    if !exemplar.is_empty() {
        let _ = writeln!(out, "### Exemplars: time per update\n");
        let _ = writeln!(
            out,
            "| workload | profile | promstruct | prometheus-client | promstruct, plain update | promstruct / prometheus-client |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|");
        let _ = writeln!(out, "{}\n", exemplar.join("\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_tables_give_the_native_and_exemplar_ratios_per_profile() {
        let mut est = Estimates::default();
        let mut put = |group: &str, library: &str, ns: f64| {
            est.medians.insert((group.into(), library.into(), String::new()), ns);
        };
        put("native_histogram_1t", "promstruct-native", 15.0);
        put("native_histogram_1t", "promstruct-classic", 10.0);
        put("native_histogram_1t", "prometheus-client-native", 60.0);
        put("exemplar_inc_1t", "promstruct", 90.0);
        put("exemplar_inc_1t", "prometheus-client", 30.0);
        put("exemplar_inc_1t", "promstruct (plain inc)", 2.0);
        let runs = [("final".to_owned(), est)];
        let tables = side_tables(&runs);
        assert!(
            tables.contains("| 1 thread, random series | final | 15.0 ns | n/a | 10.0 ns | 60.0 ns | 1.50x | 0.25x |"),
            "{tables}"
        );
        assert!(
            tables.contains("| `inc_with_exemplar`, 1 thread | final | 90.0 ns | 30.0 ns | 2.0 ns | 3.00x |"),
            "{tables}"
        );
        assert!(!tables.contains("2 threads"), "no row for a workload that did not run: {tables}");
        assert_eq!(side_tables(&[("x".to_owned(), Estimates::default())]), "");
    }

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
        for (library, ns) in [("promstruct", 5.0), ("measured", 10.0), ("prometheus", 40.0), ("bare atomics", 1.0)] {
            est.medians.insert(("counter_1t".into(), library.into(), String::new()), ns);
        }
        assert_eq!(est.best_peer("counter_1t", ""), Some(10.0));
        let runs = [("latest".to_owned(), est)];
        let tables = time_tables(&runs);
        assert!(tables.contains("| 5.0 ns (0.50x) | 10.0 ns (1.00x) | 40.0 ns (4.00x) | n/a | n/a | 1.0 ns (0.10x) |"));
        assert_eq!(http_tables(&runs), "", "no HTTP table without the HTTP bench");
        assert_eq!(sweep_tables(&runs), "", "no sweep table without the sweep");
    }

    #[test]
    fn each_headline_row_is_the_worse_profile_and_every_profile_follows() {
        let run = |ours_counter: f64, ours_text: f64| {
            let mut est = Estimates::default();
            let mut put = |group: &str, library: &str, param: &str, ns: f64| {
                est.medians.insert((group.into(), library.into(), param.into()), ns);
            };
            put("counter_1t", "promstruct", "", ours_counter);
            put("counter_1t", "measured", "", 10.0);
            put("encode_text", "promstruct", "1000", ours_text);
            put("encode_text", "measured", "1000", 1000.0);
            est.bytes.insert(("encode_text".into(), "promstruct".into(), "1000".into()), 31_000);
            est
        };
        // The counter row is worse in `latest` (0.5x against 0.4x), the encoding row in `latest-lto`.
        let runs = [("latest".to_owned(), run(5.0, 400.0)), ("latest-lto".to_owned(), run(4.0, 600.0))];
        let tables = time_tables(&runs);
        let headline = &tables[..tables.find("### Profile").unwrap()];
        assert!(headline.contains("| 5.0 ns (0.50x) | 10.0 ns (1.00x) | n/a | n/a | n/a | n/a | latest |"), "{tables}");
        assert!(
            headline
                .contains("| 1000 | 600.0 ns (0.60x), 31.0 B | 1.0 µs (1.00x) | n/a | n/a | n/a | n/a | latest-lto |"),
            "{tables}"
        );
        assert!(tables.contains("### Profile `latest`") && tables.contains("### Profile `latest-lto`"), "{tables}");
        assert!(tables.contains("| 4.0 ns (0.40x) | 10.0 ns (1.00x) |"), "the lto profile's own table: {tables}");
    }

    #[test]
    fn sweep_tables_have_a_row_per_thread_count_in_order() {
        let mut est = Estimates::default();
        for (threads, ours, measured) in [("16", 9.0, 90.0), ("2", 4.0, 8.0), ("4", 5.0, 20.0)] {
            est.medians.insert(("sweep_counter_hot".into(), "promstruct".into(), threads.into()), ours);
            est.medians.insert(("sweep_counter_hot".into(), "measured".into(), threads.into()), measured);
        }
        let tables = sweep_tables(&[("latest".to_owned(), est)]);
        assert!(tables.starts_with("### Thread sweep, counter, one hot series:"), "{tables}");
        let rows: Vec<&str> = tables.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| threads")).collect();
        assert_eq!(
            rows,
            [
                "| 2 | 4.0 ns (0.50x) | 8.0 ns (1.00x) | n/a | n/a | n/a | n/a |",
                "| 4 | 5.0 ns (0.25x) | 20.0 ns (1.00x) | n/a | n/a | n/a | n/a |",
                "| 16 | 9.0 ns (0.10x) | 90.0 ns (1.00x) | n/a | n/a | n/a | n/a |",
            ]
        );
    }

    #[test]
    fn http_tables_have_the_cached_column_and_the_body_bytes() {
        let mut est = Estimates::default();
        let key = |group: &str, library: &str| (group.to_owned(), library.to_owned(), "10000".to_owned());
        for (library, us, body) in [
            ("promstruct", 300.0, 278_890),
            ("measured", 600.0, 278_890),
            ("prometheus", 4_000.0, 278_890),
            (crate::http::OURS_CACHED, 30.0, 278_890),
        ] {
            est.medians.insert(key("http_identity", library), us * 1e3);
            est.bytes.insert(key("http_identity", library), body);
        }
        let tables = http_tables(&[("latest".to_owned(), est)]);
        assert!(tables.contains("| promstruct, 1 s cache |"), "{tables}");
        assert!(
            tables.contains(
                "| 10000 | identity | 300.0 µs (0.50x) | 600.0 µs (1.00x) | 4.00 ms (6.67x) | n/a | n/a | n/a | 30.0 µs (0.05x) |"
            ),
            "{tables}"
        );
        assert!(tables.contains("| 10000 | gzip | n/a | n/a | n/a | n/a | n/a | n/a | n/a |"), "{tables}");
        assert!(
            tables.contains("| 10000 | identity | 278,890 | 278,890 | 278,890 | n/a | n/a | n/a | 278,890 |"),
            "{tables}"
        );
        assert_eq!(bytes(999), "999");
        assert_eq!(bytes(1_000), "1,000");
        assert_eq!(bytes(9_852_247), "9,852,247");
    }
}
