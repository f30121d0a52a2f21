//! The tokio runtime collector: what stable tokio's [`RuntimeMetrics`] exposes without `tokio_unstable`,
//! read at each scrape.

use tokio::runtime::{Handle, RuntimeMetrics};

use crate::encoding::{Encoder, Number};
use crate::registry::Collect;
use crate::{Descriptor, FamilySchema, LabelSchema, MetricType, RuleError};

/// Exposes the metrics of one tokio runtime, read from its [`Handle`] when scraped:
///
/// | family | type | from |
/// |---|---|---|
/// | `tokio_runtime_workers` | gauge | [`RuntimeMetrics::num_workers`] |
/// | `tokio_runtime_alive_tasks` | gauge | [`RuntimeMetrics::num_alive_tasks`] |
/// | `tokio_runtime_global_queue_depth` | gauge | [`RuntimeMetrics::global_queue_depth`] |
/// | `tokio_runtime_worker_busy_seconds_total{worker}` | counter | [`RuntimeMetrics::worker_total_busy_duration`] |
/// | `tokio_runtime_worker_parks_total{worker}` | counter | [`RuntimeMetrics::worker_park_count`] |
/// | `tokio_runtime_worker_park_unparks_total{worker}` | counter | [`RuntimeMetrics::worker_park_unpark_count`] |
///
/// The per-worker families are labelled by the worker's index (`worker="0"`). They need 64-bit atomics,
/// as tokio does for them; on targets without, only the first three families are written. Everything else
/// tokio measures (spawn counts, poll histograms, blocking threads) needs `--cfg tokio_unstable` and is left
/// out, so the collector works in every build.
///
/// ```
/// use promstruct::collectors::RuntimeCollector;
/// use promstruct::{Format, Registry};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let registry = Registry::new();
/// registry.register(RuntimeCollector::current()).unwrap();
/// let mut buf = Vec::new();
/// registry.encode(Format::Text, &mut buf).unwrap();
/// assert!(String::from_utf8(buf).unwrap().contains("\ntokio_runtime_workers 1\n"));
/// # }
/// ```
#[derive(Debug)]
pub struct RuntimeCollector {
    metrics: RuntimeMetrics,
    descs: [Descriptor; 6],
}

impl RuntimeCollector {
    /// The collector of the runtime behind `handle`.
    pub fn new(handle: &Handle) -> Self {
        Self::build(handle, None).expect("the standard tokio runtime names are valid")
    }

    /// The collector of the runtime this is called from.
    ///
    /// # Panics
    /// Outside a tokio runtime, as [`Handle::current`] does; use [`Handle::try_current`] and
    /// [`RuntimeCollector::new`] to handle that case.
    pub fn current() -> Self {
        Self::new(&Handle::current())
    }

    /// The collector of the runtime behind `handle`, its names prefixed by `namespace_`
    /// (`myapp_tokio_runtime_workers`), for a process that runs several runtimes.
    pub fn with_namespace(handle: &Handle, namespace: &str) -> Result<Self, RuleError> {
        Self::build(handle, Some(namespace))
    }

    fn build(handle: &Handle, namespace: Option<&str>) -> Result<Self, RuleError> {
        let descs = FAMILIES.iter().map(|family| family.descriptor_in(namespace)).collect::<Result<Vec<_>, _>>()?;
        let descs: [Descriptor; 6] = descs.try_into().expect("one descriptor per family");
        Ok(RuntimeCollector { metrics: handle.metrics(), descs })
    }
}

const WORKER: &[LabelSchema] = &[LabelSchema::open("worker")];

/// The families of the collector, without namespace.
const FAMILIES: [FamilySchema; 6] = [
    FamilySchema::new("tokio_runtime_workers", MetricType::Gauge, "Number of worker threads of the tokio runtime."),
    FamilySchema::new(
        "tokio_runtime_alive_tasks",
        MetricType::Gauge,
        "Number of tasks spawned on the tokio runtime and not yet finished.",
    ),
    FamilySchema::new(
        "tokio_runtime_global_queue_depth",
        MetricType::Gauge,
        "Number of tasks waiting in the tokio runtime's global (injection) queue.",
    ),
    FamilySchema::new(
        "tokio_runtime_worker_busy",
        MetricType::Counter,
        "Time each worker thread of the tokio runtime has spent busy, in seconds.",
    )
    .with_unit("seconds")
    .with_labels(WORKER),
    FamilySchema::new(
        "tokio_runtime_worker_parks",
        MetricType::Counter,
        "Times each worker thread of the tokio runtime parked, waiting for work.",
    )
    .with_labels(WORKER),
    FamilySchema::new(
        "tokio_runtime_worker_park_unparks",
        MetricType::Counter,
        "Times each worker thread of the tokio runtime parked or unparked; odd while it is parked.",
    )
    .with_labels(WORKER),
];

/// A worker's index, as label text, without allocating for the usual few workers.
fn worker_label(worker: usize, buf: &mut itoa::Buffer) -> [(&'static str, &str); 1] {
    [("worker", buf.format(worker))]
}

impl Collect for RuntimeCollector {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        for desc in &self.descs {
            out(desc);
        }
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        let m = &self.metrics;
        let workers = m.num_workers();
        let [workers_desc, alive, queue, busy, parks, park_unparks] = &self.descs;
        enc.family(workers_desc).gauge(&(), Number::U64(workers as u64));
        enc.family(alive).gauge(&(), Number::U64(m.num_alive_tasks() as u64));
        enc.family(queue).gauge(&(), Number::U64(m.global_queue_depth() as u64));
        #[cfg(target_has_atomic = "64")]
        {
            let mut buf = itoa::Buffer::new();
            let mut family = enc.family(busy);
            for w in 0..workers {
                let seconds = m.worker_total_busy_duration(w).as_secs_f64();
                family.counter(&worker_label(w, &mut buf), Number::F64(seconds), None);
            }
            let mut family = enc.family(parks);
            for w in 0..workers {
                family.counter(&worker_label(w, &mut buf), Number::U64(m.worker_park_count(w)), None);
            }
            let mut family = enc.family(park_unparks);
            for w in 0..workers {
                family.counter(&worker_label(w, &mut buf), Number::U64(m.worker_park_unpark_count(w)), None);
            }
        }
        #[cfg(not(target_has_atomic = "64"))]
        for desc in [busy, parks, park_unparks] {
            enc.family(desc);
        }
    }
}
