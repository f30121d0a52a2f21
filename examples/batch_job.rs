//! A batch job: processes a batch of records, then pushes its metrics to a Prometheus Pushgateway and
//! exits, since Prometheus cannot scrape a process that is gone.
//!
//! Run with `cargo run --example batch_job -- --gateway http://127.0.0.1:9091 --job nightly_import`
//! (flags: `--gateway URL`, `--job NAME`, `--instance NAME`, `--records N`, `--format protobuf|text`, the
//! body pushed, protobuf by default, `--delete true` to remove the group instead of pushing). Exits 0 on a
//! successful push, 1 when the push fails.

#[path = "common/mod.rs"]
mod common;

use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use promstruct::prelude::*;
use promstruct::push::Pushgateway;

/// What one run of the job did.
#[metrics(namespace = "batch")]
#[labels(Outcome { Imported = "imported", Skipped = "skipped", Failed = "failed" })]
pub struct JobMetrics {
    /// Records handled by the last run, by outcome.
    #[counter(labels(outcome: Outcome))]
    records: Counter,

    /// Time to handle one record.
    #[histogram(unit = "seconds", buckets = exponential(0.0001, 4, 8))]
    record_duration: Histogram,

    /// Wall-clock time of the whole run.
    #[gauge(unit = "seconds")]
    run_duration: FloatGauge,

    /// When the job last finished without a failed record, in seconds since the epoch.
    #[gauge(unit = "seconds")]
    last_success_timestamp: FloatGauge,
}

fn flag<'a>(extra: &'a [(String, String)], name: &str) -> Option<&'a str> {
    extra.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = common::parse_args("batch_job", &["gateway", "job", "instance", "records", "format", "delete"]);
    let gateway = flag(&args.extra, "gateway").unwrap_or("http://127.0.0.1:9091");
    let job = flag(&args.extra, "job").unwrap_or("batch_job");
    let instance = flag(&args.extra, "instance").unwrap_or("local");
    let records: u64 = match flag(&args.extra, "records").unwrap_or("1000").parse() {
        Ok(n) => n,
        Err(e) => {
            eprintln!("batch_job: --records: {e}");
            return ExitCode::from(2);
        }
    };
    let format = match flag(&args.extra, "format").unwrap_or("protobuf") {
        "protobuf" => Format::Protobuf,
        "text" => Format::Text,
        other => {
            eprintln!("batch_job: --format {other}: expected protobuf or text");
            return ExitCode::from(2);
        }
    };
    let target = match Pushgateway::new(gateway, job).and_then(|g| g.grouping("instance", instance)?.format(format)) {
        Ok(target) => target,
        Err(e) => {
            eprintln!("batch_job: {e}");
            return ExitCode::from(2);
        }
    };
    if flag(&args.extra, "delete").is_some_and(|v| v == "true") {
        return match target.delete().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("batch_job: delete failed: {e}");
                ExitCode::FAILURE
            }
        };
    }

    // A pushed group is the job's last run: no registry self-metrics, which describe a long-lived process.
    let metrics = JobMetrics::new();
    let started = Instant::now();
    let mut rng = common::Rng::new(records.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    for i in 0..records {
        let timer = metrics.record_duration().start_timer();
        let outcome = match i % 100 {
            0 => Outcome::Skipped,
            _ if rng.chance(0.002) => Outcome::Failed,
            _ => Outcome::Imported,
        };
        std::hint::black_box(rng.next_u64());
        metrics.records(outcome).inc();
        drop(timer);
    }
    metrics.run_duration().set(started.elapsed().as_secs_f64());
    if metrics.records(Outcome::Failed).get() == 0 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
        metrics.last_success_timestamp().set(now);
    }

    let registry = Registry::builder().self_metrics(false).build();
    if let Err(e) = registry.register(metrics) {
        eprintln!("batch_job: {e}");
        return ExitCode::FAILURE;
    }
    match target.push(&registry).await {
        Ok(()) => {
            let format = if format == Format::Protobuf { "protobuf" } else { "text" };
            println!("batch_job: pushed {records} records' metrics ({format}) to {gateway}{}", target.path());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("batch_job: push failed: {e}");
            ExitCode::FAILURE
        }
    }
}
