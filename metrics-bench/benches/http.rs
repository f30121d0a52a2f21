//! Workload 8: a full scrape over HTTP, with and without gzip, every library served on loopback in the
//! same run (`metrics_bench::http` says how each is served).
//!
//! Group names are `http_identity` and `http_gzip`, benchmark names `<library>/<series>`, so
//! `criterion/http_gzip/<library>/<series>/<baseline>/estimates.json` holds each figure `scripts/bench`
//! reports. One iteration is one `GET /metrics` on a keep-alive connection, its whole body read: the time
//! a scraper waits for a scrape, the server's encoding and compression included. The servers run on a
//! two-worker tokio runtime, the client on the bench's thread. Each benchmark's throughput is the size of
//! its body, which `bench-report` prints beside the times.

use std::net::SocketAddr;

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use metrics_bench::http::{
    Client, Encoding, OURS_CACHED, check, runtime, serve_library, serve_metrics_listener, serve_ours,
};
use metrics_bench::{
    Library, baseline::Baseline, measured::Measured, metrics::Metrics, ours::Ours, prometheus::Prometheus,
    prometheus_client::PrometheusClient,
};

/// The registry sizes scraped.
const SERIES: [usize; 3] = [1_000, 10_000, 100_000];

/// A column of the tables and the servers it scrapes: one for identity, one for gzip.
type Served = (&'static str, [SocketAddr; 2]);

/// Starts every library's servers for `series` series on the current runtime.
async fn serve(series: usize) -> std::io::Result<Vec<Served>> {
    let same = |addr| [addr, addr];
    Ok(vec![
        (Ours::NAME, same(serve_ours(series, false).await?)),
        (Measured::NAME, same(serve_library::<Measured>(series).await?)),
        (Prometheus::NAME, same(serve_library::<Prometheus>(series).await?)),
        (PrometheusClient::NAME, same(serve_library::<PrometheusClient>(series).await?)),
        // Its own listener never compresses: gzip scrapes go to the peers' service around its renderer.
        (Metrics::NAME, [serve_metrics_listener(series).await?, serve_library::<Metrics>(series).await?]),
        (Baseline::NAME, same(serve_library::<Baseline>(series).await?)),
        (OURS_CACHED, same(serve_ours(series, true).await?)),
    ])
}

fn all(c: &mut Criterion) {
    for series in SERIES {
        // A runtime per size: dropping it stops that size's servers and frees their registries.
        let runtime = runtime().expect("a tokio runtime");
        let served = runtime.block_on(serve(series)).expect("servers on loopback");
        for (name, [plain, gzip]) in &served {
            let identity = check(*plain, Encoding::Identity, series).unwrap_or_else(|e| panic!("{name}: {e}"));
            let gzipped = check(*gzip, Encoding::Gzip, series).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(identity == gzipped, "{name}: the gzip body holds other samples than the identity one");
        }
        for encoding in Encoding::ALL {
            let mut g = c.benchmark_group(format!("http_{}", encoding.as_str()));
            g.sample_size(10).sampling_mode(SamplingMode::Flat);
            for (name, addrs) in &served {
                let mut client = Client::connect(addrs[encoding as usize]).expect("a connection");
                // The body's size, in criterion's record of the benchmark, for the tables.
                let bytes = client.scrape(encoding).expect("a scrape");
                g.throughput(Throughput::Bytes(bytes as u64));
                g.bench_with_input(BenchmarkId::new(*name, series), &series, |b, _| {
                    b.iter(|| client.scrape(encoding).expect("a scrape"))
                });
            }
            g.finish();
        }
        runtime.shutdown_background();
    }
}

criterion_group!(benches, all);
criterion_main!(benches);
