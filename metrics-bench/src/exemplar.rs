//! The exemplar workloads (issue 14): an increment and an observation that carry a trace id, by this
//! project (`inc_with_exemplar`, `observe_with_exemplar` on a dense family's handles, as `#[metrics]`
//! accessors return them) and by `prometheus-client` 0.25 (`CounterWithExemplar`,
//! `HistogramWithExemplars`, with the label struct its documentation shows); and this project's plain
//! `inc` and `observe` on the same cells, which carry none and must cost what they did before.
//!
//! Each update takes one of [`TRACE_IDS`] 32-hex-digit ids, borrowed: each library builds what it keeps
//! from it (this project an `Arc`'d exemplar, `prometheus-client` its owned label set).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::exemplar::{CounterWithExemplar, HistogramWithExemplars};
use promstruct::{Counter, DenseFamily, Descriptor, Histogram, HistogramConfig, MetricType};

use crate::BUCKETS;

/// How many distinct trace ids the workloads cycle through.
pub const TRACE_IDS: usize = 64;

/// The trace ids, 32 lowercase hex digits each.
pub fn trace_ids() -> Vec<String> {
    (0..TRACE_IDS as u128)
        .map(|i| format!("{:032x}", (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)))
        .collect()
}

/// This project's cells: a dense family's counter and histogram, unlabelled.
#[derive(Debug)]
pub struct Ours {
    counter: DenseFamily<(), Counter>,
    histogram: DenseFamily<(), Histogram>,
}

impl Default for Ours {
    fn default() -> Self {
        let counter =
            DenseFamily::new(Descriptor::new("requests", MetricType::Counter, "Requests.").expect("a valid name"), ());
        let buckets = promstruct::Buckets::new(BUCKETS).expect("sorted bounds");
        let histogram = DenseFamily::new(
            Descriptor::new("latency_seconds", MetricType::Histogram, "Latency.").expect("a valid name"),
            HistogramConfig::classic(buckets),
        );
        Ours { counter, histogram }
    }
}

impl Ours {
    /// One increment with the trace id as its exemplar.
    #[inline]
    pub fn inc_with_exemplar(&self, trace_id: &str) {
        let _ = self.counter.get(()).inc_with_exemplar(&[("trace_id", trace_id)]);
    }

    /// One observation with the trace id as its bucket's exemplar.
    #[inline]
    pub fn observe_with_exemplar(&self, v: f64, trace_id: &str) {
        let _ = self.histogram.get(()).observe_with_exemplar(v, &[("trace_id", trace_id)]);
    }

    /// A plain increment: no exemplar.
    #[inline]
    pub fn inc(&self) {
        self.counter.get(()).inc();
    }

    /// A plain observation: no exemplar.
    #[inline]
    pub fn observe(&self, v: f64) {
        self.histogram.get(()).observe(v);
    }

    /// The counter's value and its exemplar's trace id.
    pub fn counter_state(&self) -> (u64, Option<String>) {
        let c = self.counter.get(());
        (c.get(), c.exemplar().and_then(|e| e.labels().next().map(|(_, v)| v.to_owned())))
    }

    /// The histogram's count and the number of buckets holding an exemplar.
    pub fn histogram_state(&self) -> (u64, usize) {
        let h = self.histogram.get(());
        (h.count(), h.exemplars().iter().flatten().count())
    }
}

/// `prometheus-client`'s exemplar label set, as its documentation writes one.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TraceLabel {
    trace_id: String,
}

/// `prometheus-client`'s cells with exemplars.
#[derive(Debug)]
pub struct PrometheusClient {
    counter: CounterWithExemplar<TraceLabel>,
    histogram: HistogramWithExemplars<TraceLabel>,
}

impl Default for PrometheusClient {
    fn default() -> Self {
        PrometheusClient {
            counter: CounterWithExemplar::default(),
            histogram: HistogramWithExemplars::new(BUCKETS.into_iter()),
        }
    }
}

impl PrometheusClient {
    /// One increment with the trace id as its exemplar.
    #[inline]
    pub fn inc_with_exemplar(&self, trace_id: &str) {
        self.counter.inc_by(1, Some(TraceLabel { trace_id: trace_id.to_owned() }), None);
    }

    /// One observation with the trace id as its bucket's exemplar.
    #[inline]
    pub fn observe_with_exemplar(&self, v: f64, trace_id: &str) {
        self.histogram.observe(v, Some(TraceLabel { trace_id: trace_id.to_owned() }), None);
    }

    /// Both cells in OpenMetrics, as `prometheus-client` encodes them.
    pub fn exposition(&self) -> String {
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("requests", "Requests.", self.counter.clone());
        registry.register("latency_seconds", "Latency.", self.histogram.clone());
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry).expect("a String takes every write");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_libraries_keep_the_latest_trace_id() {
        let ids = trace_ids();
        assert!(ids.iter().all(|id| id.len() == 32), "{ids:?}");
        let (ours, theirs) = (Ours::default(), PrometheusClient::default());
        for (i, id) in ids.iter().enumerate() {
            ours.inc_with_exemplar(id);
            theirs.inc_with_exemplar(id);
            ours.observe_with_exemplar(BUCKETS[i % BUCKETS.len()], id);
            theirs.observe_with_exemplar(BUCKETS[i % BUCKETS.len()], id);
        }
        ours.inc();
        ours.observe(0.1);
        assert_eq!(ours.counter_state(), (TRACE_IDS as u64 + 1, ids.last().cloned()));
        let last = format!("requests_total {TRACE_IDS} # {{trace_id=\"{}\"}} 1", ids[TRACE_IDS - 1]);
        assert!(theirs.exposition().contains(&last), "{}", theirs.exposition());
        assert_eq!(ours.histogram_state(), (TRACE_IDS as u64 + 1, BUCKETS.len()));
    }
}
