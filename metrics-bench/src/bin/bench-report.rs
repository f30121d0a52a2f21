//! Prints the tables of `BENCHMARKS.md` from a benchmark run; see `scripts/bench`.
//!
//! `bench-report <criterion dir> <baseline>[,<baseline>...] [footprint.json]` prints the tables, each row
//! of the headline tables from the baseline (profile) where this project's ratio is the worse, then each
//! baseline's own;
//! `bench-report <criterion dir> --compare <before> <after>` prints this project's figures side by side.

use std::path::Path;

use metrics_bench::report::{
    Estimates, compare, footprint_tables, http_tables, side_tables, sweep_tables, time_tables,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench-report <criterion dir> <baseline>[,<baseline>...] [footprint.json] | <criterion dir> --compare <before> <after>";
    let dir = Path::new(args.first().ok_or(usage)?);
    match args.get(1).map(String::as_str) {
        Some("--compare") => {
            let (before, after) = (args.get(2).ok_or(usage)?, args.get(3).ok_or(usage)?);
            print!("{}", compare(&Estimates::read(dir, before)?, &Estimates::read(dir, after)?));
        }
        Some(baselines) => {
            let mut runs = Vec::new();
            for baseline in baselines.split(',') {
                let estimates = Estimates::read(dir, baseline)?;
                if estimates.is_empty() {
                    return Err(format!("no estimates for baseline `{baseline}` under {}", dir.display()).into());
                }
                runs.push((baseline.to_owned(), estimates));
            }
            print!("{}", time_tables(&runs));
            let sweep = sweep_tables(&runs);
            if !sweep.is_empty() {
                print!("\n{sweep}");
            }
            let http = http_tables(&runs);
            if !http.is_empty() {
                print!("\n{http}");
            }
            let side = side_tables(&runs);
            if !side.is_empty() {
                print!("\n{side}");
            }
            if let Some(path) = args.get(2) {
                let footprint = serde_json::from_str(&std::fs::read_to_string(path)?)?;
                print!("\n{}", footprint_tables(&footprint));
            }
        }
        None => return Err(usage.into()),
    }
    Ok(())
}
