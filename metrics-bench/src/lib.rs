//! The workloads of the benchmarks, written once per library so that every library is measured doing the
//! same thing in the same run.
//!
//! Each library implements [`Library`] the way its documentation shows: this project through the types
//! `#[metrics]` expands to ([`DenseFamily`](promstruct::DenseFamily) for enum labels,
//! [`OpenFamily`](promstruct::OpenFamily) for open ones), `measured` through its label groups and
//! metric vecs, `prometheus` through `with_label_values`, `prometheus-client` through `Family`, `metrics`
//! through its macros and `metrics-exporter-prometheus`, and a hand-written [`baseline`] of bare atomics
//! that no library can beat. The criterion benches (`benches/throughput.rs`) time them, the footprint
//! bench (`benches/footprint.rs`) counts their bytes and allocations, and `scripts/bench` runs both and
//! prints the tables of `BENCHMARKS.md`.

pub mod baseline;
pub mod exemplar;
pub mod harness;
pub mod http;
pub mod labels;
pub mod measured;
pub mod metrics;
pub mod native;
pub mod ours;
pub mod prometheus;
pub mod prometheus_client;
pub mod report;

pub use labels::{Digit, Kind, Route};
pub use promstruct::Format;

/// The bucket bounds of every histogram workload: ten bounds, the `+Inf` bucket added.
pub const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0];

/// The open label values a high-cardinality or open-label workload uses: `agent-00000`, `agent-00001`...
pub fn agent_names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("agent-{i:05}")).collect()
}

/// One library's implementation of every workload.
///
/// The associated types hold a workload's metrics, built by the constructor of the same name; the
/// functions are the operation the workload times, written as that library's users write it.
pub trait Library: 'static {
    /// The crate's name, as the tables print it.
    const NAME: &'static str;

    /// A counter family with two enum labels: [`Route`] (6 values) and [`Kind`] (3 values), 18 series.
    type Counter: Sync;
    /// A new, empty [`Library::Counter`].
    fn counter() -> Self::Counter;
    /// Adds one to the series of `(route, kind)`.
    fn inc(counter: &Self::Counter, route: Route, kind: Kind);

    /// A histogram family with the labels of [`Library::Counter`] and the ten bounds of [`BUCKETS`].
    type Histogram: Sync;
    /// A new, empty [`Library::Histogram`].
    fn histogram() -> Self::Histogram;
    /// Observes `value` in the series of `(route, kind)`.
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64);

    /// A counter family with an open label `agent` (any string) and an enum label `kind`.
    type Open: Sync;
    /// A new, empty [`Library::Open`] that may hold `max_series` series (for those that bound it).
    fn open(max_series: usize) -> Self::Open;
    /// Adds one to the series of `(agent, kind)`, creating it if it is new.
    fn inc_open(open: &Self::Open, agent: &str, kind: Kind);

    /// A counter family with three [`Digit`] labels, every one of its 1,000 series touched once: what a
    /// dense series costs in memory.
    type Dense;
    /// The family, every series created (and incremented once where series are created on first use).
    fn dense() -> Self::Dense;

    /// A registry holding one counter family with one open label `id` and `series` series, and the
    /// buffers a scraper keeps between scrapes.
    type Exposition;
    /// The registry and its family, every series incremented once.
    fn exposition(series: usize) -> Self::Exposition;
    /// Scrapes `exposition` in `format`; returns the bytes written, or `None` if the library cannot write
    /// `format`.
    fn encode(exposition: &mut Self::Exposition, format: Format) -> Option<usize>;
    /// The output of the last [`Library::encode`].
    fn output(exposition: &Self::Exposition) -> &[u8];
}

/// A stream of label keys and observed values, the same for every library: a xorshift generator, its
/// draws made before timing starts.
#[derive(Debug, Clone)]
pub struct Keys {
    keys: Box<[(Route, Kind, f64)]>,
}

impl Keys {
    /// The number of draws; a power of two, so the next index is a mask.
    pub const LEN: usize = 4096;

    /// `Keys::LEN` draws from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let keys = (0..Self::LEN)
            .map(|_| {
                let route = Route::ALL[(next() % Route::ALL.len() as u64) as usize];
                let kind = Kind::ALL[(next() % Kind::ALL.len() as u64) as usize];
                // Latencies spread over the buckets: 1 ms to 10 s, log-uniform.
                let value = 10f64.powf(-3.0 + 4.0 * (next() >> 11) as f64 / (1u64 << 53) as f64);
                (route, kind, value)
            })
            .collect();
        Keys { keys }
    }

    /// Draw `i` (modulo [`Keys::LEN`]).
    #[inline]
    pub fn get(&self, i: usize) -> (Route, Kind, f64) {
        self.keys[i & (Self::LEN - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every library counts the same and exposes every series: the workloads measure equal work.
    fn check<L: Library>() {
        let counter = L::counter();
        let histogram = L::histogram();
        let open = L::open(1000);
        let keys = Keys::new(7);
        for i in 0..100 {
            let (route, kind, value) = keys.get(i);
            L::inc(&counter, route, kind);
            L::observe(&histogram, route, kind, value);
            L::inc_open(&open, &format!("agent-{}", i % 10), kind);
        }
        let _dense = L::dense();
        let mut exposition = L::exposition(100);
        let mut any = false;
        for format in [Format::Text, Format::OpenMetrics] {
            if let Some(len) = L::encode(&mut exposition, format) {
                any = true;
                let text = std::str::from_utf8(L::output(&exposition)).unwrap();
                assert_eq!(text.len(), len);
                let series = text.lines().filter(|l| l.starts_with("requests_total{")).count();
                assert_eq!(series, 100, "{}: {format:?}\n{text}", L::NAME);
                assert!(text.contains("requests_total{id=\"42\"} 1\n"), "{}: {format:?}\n{text}", L::NAME);
            }
        }
        assert!(any, "{} writes some format", L::NAME);
        // Protobuf, read back by promstruct-testing's decoder: the same series and values.
        if let Some(len) = L::encode(&mut exposition, Format::Protobuf) {
            assert_eq!(L::output(&exposition).len(), len);
            let decoded = promstruct_testing::parse_protobuf(L::output(&exposition))
                .unwrap_or_else(|v| panic!("{}: protobuf: {v}", L::NAME));
            assert_eq!(decoded.samples_named("requests_total").count(), 100, "{}: protobuf", L::NAME);
            assert_eq!(decoded.value("requests_total", &[("id", "42")]), Some(1.0), "{}: protobuf", L::NAME);
        }
    }

    /// Who writes protobuf: this project, `prometheus` and `prometheus-client`.
    #[test]
    fn protobuf_writers() {
        fn writes<L: Library>() -> bool {
            L::encode(&mut L::exposition(3), Format::Protobuf).is_some()
        }
        assert!(writes::<ours::Ours>() && writes::<prometheus::Prometheus>());
        assert!(writes::<prometheus_client::PrometheusClient>());
        assert!(!writes::<measured::Measured>() && !writes::<metrics::Metrics>() && !writes::<baseline::Baseline>());
    }

    #[test]
    fn every_library_runs_every_workload() {
        check::<ours::Ours>();
        check::<measured::Measured>();
        check::<prometheus::Prometheus>();
        check::<prometheus_client::PrometheusClient>();
        check::<metrics::Metrics>();
        check::<baseline::Baseline>();
    }

    #[test]
    fn keys_cover_every_series_and_bucket() {
        let keys = Keys::new(1);
        let mut seen = [false; 18];
        let (mut low, mut high) = (false, false);
        for i in 0..Keys::LEN {
            let (route, kind, value) = keys.get(i);
            seen[route as usize * 3 + kind as usize] = true;
            low |= value < BUCKETS[0];
            high |= value > BUCKETS[9];
        }
        assert!(seen.iter().all(|s| *s) && low && high);
    }
}
