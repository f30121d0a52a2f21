//! Prometheus metrics declared once, checked at compile time, updated with one relaxed atomic operation.
//!
//! Annotate a struct with [`#[metrics]`](macro@metrics): the macro generates typed label enums, storage
//! for every family and one typed method per family, and refuses bad names, units, buckets and label sets
//! at compile time. Register the struct in a [`Registry`] and encode it in the Prometheus text format
//! 0.0.4, OpenMetrics 1.0 or the Prometheus protobuf format.
//!
//! Everything the macro generates is built from the public API of this crate, which works without it:
//! cells ([`Counter`], [`FloatCounter`], [`Gauge`], [`FloatGauge`], [`Histogram`] with classic
//! [`Buckets`], native buckets ([`NativeConfig`]) or both ([`HistogramConfig`]), [`Info`]), families
//! ([`DenseFamily`] for enum labels, [`OpenFamily`] for open ones), the [`Registry`] and the [`Encoder`].
//!
//! ```
//! use promstruct::{Counter, DenseFamily, Descriptor, Format, MetricType, Registry};
//! use std::sync::Arc;
//!
//! let desc = Descriptor::new("jobs", MetricType::Counter, "Jobs run.").unwrap();
//! let jobs = Arc::new(DenseFamily::<(), Counter>::new(desc, ()));
//! let registry = Registry::new();
//! registry.register(jobs.clone()).unwrap();
//! jobs.get(()).inc();
//!
//! let mut buf = Vec::new();
//! registry.encode(Format::Text, &mut buf).unwrap();
//! let text = String::from_utf8(buf).unwrap();
//! assert!(text.starts_with("# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 1\n"));
//! ```
//!
//! # Handles
//!
//! A family hands out one handle per series: a dense family a [`CounterRef`] for a counter and `&Gauge`,
//! `&FloatGauge`, `&Histogram` for the others, an open family an owning [`SeriesRef`] (or none: the
//! accessor `<name>_with(labels..., |c| c.inc())` that `#[metrics]` generates beside it updates the series
//! inside its lookup, the fastest path for a one-off update). Each kind's
//! operations are also a trait every handle implements, [`CounterOps`], [`GaugeOps`] and
//! [`HistogramOps`] (in the [`prelude`]), so a function can take any counter, whichever family, dense or
//! open, declared by `#[metrics]` or not, it comes from:
//!
//! ```
//! use promstruct::prelude::*;
//!
//! #[metrics]
//! #[labels(Status { Ok = "ok", Error = "error" })]
//! pub struct JobMetrics {
//!     /// Jobs run, by outcome.
//!     #[counter(labels(status: Status))]
//!     jobs: Counter,
//!
//!     /// Jobs run, by agent (an open set).
//!     #[counter(labels(agent: String))]
//!     agent_jobs: Counter,
//!
//!     /// Jobs running now.
//!     #[gauge]
//!     running: Gauge,
//! }
//!
//! fn record(c: &impl CounterOps<Value = u64>) {
//!     c.inc_by(2);
//! }
//!
//! fn start(g: &impl GaugeOps) {
//!     g.inc();
//! }
//!
//! let m = JobMetrics::default();
//! record(&m.jobs(Status::Ok)); // a dense family's CounterRef
//! record(&m.agent_jobs("planner")); // an open family's SeriesRef<Counter>
//! start(m.running()); // &Gauge
//! assert_eq!((m.jobs(Status::Ok).get(), m.agent_jobs("planner").get(), m.running().get()), (2, 2, 1));
//! ```
//!
//! # Refused updates
//!
//! An update that would break a cell's contract is refused and counted, never applied: a float counter
//! increment that is negative, NaN or infinite, a NaN histogram observation. The count is kept per
//! registry: a registered family binds its cells to the registry ([`Collect::bind`]), which exposes the
//! refusals of its own series as `promstruct_rejected_updates_total` and returns them from
//! [`Registry::rejected_updates`]. A cell outside any registry counts its refusals in itself
//! ([`FloatCounter::rejected_updates`], [`Histogram::rejected_updates`]; a dense family's float counters
//! together, [`CounterRef::rejected_updates`]). Only the refusal path pays for this.
//!
//! # Exemplars
//!
//! A counter increment or an observation can carry an exemplar, label pairs such as the trace id of the
//! request it came from: `inc_with_exemplar`, `inc_by_with_exemplar` and `observe_with_exemplar` on every
//! handle ([`CounterOps`], [`HistogramOps`]). A counter keeps its latest, a histogram the latest of each
//! classic bucket and, with native buckets, its ten most recent; a scrape writes them in OpenMetrics
//! (`# {trace_id="..."} value timestamp` on `_total` and `_bucket` lines) and protobuf, never in the text
//! format 0.0.4. Labels over [`MAX_EXEMPLAR_CODE_POINTS`] code points, or with invalid or repeated names,
//! are refused ([`ExemplarError`]), never truncated, and counted per registry as
//! `promstruct_exemplars_rejected_total` ([`Registry::rejected_exemplars`]); the update is applied all the
//! same. With the feature `tracing`, `inc_with_current_trace` and `observe_with_current_trace` take the
//! trace and span ids of the current span (see `TraceIds` and `TraceIdsLayer`).
//!
//! ```
//! use promstruct::{Buckets, Counter, Histogram};
//!
//! let requests = Counter::new();
//! let latency = Histogram::new(Buckets::new([0.1, 0.5, 1.0]).unwrap());
//! let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
//! requests.inc_with_exemplar(&[("trace_id", trace_id)]).unwrap();
//! latency.observe_with_exemplar(0.27, &[("trace_id", trace_id)]).unwrap();
//! assert_eq!(latency.exemplars()[1].as_ref().unwrap().value(), 0.27);
//! ```
//!
//! Updates without one never read an exemplar slot; a slot is one word, null until the first exemplar,
//! and a dense family's counters (16 bytes a series) and a histogram's buckets get their slots in a table
//! allocated at their first exemplar.
//!
//! # Features
//!
//! | Feature | Default | What it adds | Dependencies |
//! |---|---|---|---|
//! | `config` | yes | [`config`]: loading and validating the `prometheus_metrics` YAML schema, from files and `PROMETHEUS_METRICS_*` variables | serde, serde_norway, serde_path_to_error |
//! | `http` | yes | [`http`]: the `/metrics` endpoint, configured by [`config::Config`] (built in code with [`config::ConfigBuilder`] when `config` is off) | hyper, hyper-util, http, http-body-util, bytes, flate2, subtle, tokio |
//! | `tokio` | yes | [`collectors::RuntimeCollector`], the tokio runtime's metrics | tokio |
//! | `push` | yes | [`push`]: the Pushgateway client | hyper (client), hyper-util, http, http-body-util, bytes, tokio |
//! | `tls` | no | HTTPS for [`http`] (`endpoint.tls`): TLS 1.2 and 1.3, client certificates, certificates re-read when their files change, self-signed ones; implies `http`; needs Rust 1.88 | rustls (ring), tokio-rustls, rcgen, time |
//! | `tracing` | no | exemplars from the current `tracing` span: `TraceIds`, `TraceIdsLayer` (a layer keeping the `trace_id` and `span_id` fields of spans) and the `*_with_current_trace` methods of [`CounterOps`] and [`HistogramOps`] | tracing-subscriber (registry) |
//! | `opentelemetry` | no | with `tracing`: `TraceIds::current` reads the current span's OpenTelemetry span context first (tracing-opentelemetry's layer), then the fields `TraceIdsLayer` keeps | opentelemetry (API only, no SDK), tracing-opentelemetry |
//! | `export` | no | [`export`]: a Grafana dashboard, recording rules, burn-rate alerts and their `promtool` tests, generated from the families' schemas | serde, serde_json, serde_norway |
//!
//! The strict parser and assertion helpers of the tests are the crate `promstruct-testing`, a dev-dependency.
//!
//! Each works alone: `default-features = false, features = ["http"]` serves the endpoint without serde;
//! `features = ["config"]` loads and validates a configuration without an HTTP stack. The configuration's
//! types, its builder and its validation are there with either `config` or `http`.
//! The cells, families, registry, encoders, run-time definitions ([`dynamic`]) and the LLM, agent and
//! process collectors need no feature.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

pub mod cell;
mod clock;
pub mod collectors;
#[cfg(any(feature = "config", feature = "http"))]
pub mod config;
mod descriptor;
pub mod dynamic;
pub mod encoding;
#[cfg(feature = "export")]
pub mod export;
pub mod family;
#[cfg(feature = "http")]
pub mod http;
pub mod label;
#[cfg(feature = "push")]
pub mod push;
mod registry;
mod schema;

#[doc(hidden)]
pub mod __private;

pub use cell::{
    Buckets, Counter, CounterOps, CounterRef, Exemplar, ExemplarError, FloatCounter, FloatGauge, Gauge, GaugeOps,
    Histogram, HistogramConfig, HistogramOps, HistogramTimer, InflightGuard, Info, MAX_EXEMPLAR_CODE_POINTS, Metric,
    NativeConfig, NativeSnapshot,
};
#[cfg(feature = "tracing")]
pub use cell::{TraceIds, TraceIdsLayer};
pub use descriptor::{Descriptor, DescriptorBuilder};
pub use encoding::{Encoder, Format};
pub use family::{DenseFamily, OpenFamily, OpenOptions, SeriesBudget, SeriesRef};
pub use label::{LabelEnum, LabelSet};
pub use promstruct_macros::{LabelEnum, metrics};
pub use promstruct_naming::{Convention, Escaping, MetricType, Policy, RuleError};
pub use registry::{Collect, EncodeError, Registry, RegistryBuilder, RegistryError};
pub use schema::{DEFAULT_SLO_WINDOW, FamilySchema, LabelSchema, NativeSchema, SloIndicator, SloSchema};

/// What a user of `#[metrics]` imports: the macros, the cells, the handle traits, [`Registry`] and
/// [`Format`].
pub mod prelude {
    pub use crate::{
        Buckets, Counter, CounterOps, CounterRef, FloatCounter, FloatGauge, Format, Gauge, GaugeOps, Histogram,
        HistogramOps, Info, LabelEnum, Registry, metrics,
    };
    pub use std::sync::LazyLock;
}
