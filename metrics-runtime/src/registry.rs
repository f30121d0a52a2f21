//! The registry: what a scrape exposes.

use std::any::type_name;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use crate::encoding::{Encoder, Format, Number, Scratch};
use crate::family::SeriesBudget;
use crate::{Descriptor, FamilySchema, MetricType};

/// Something that exposes metric families: a `#[metrics]` struct, a family, a custom collector.
///
/// `describe` names every family `collect` writes, so the registry can refuse clashing names when the
/// collector is registered rather than expose an invalid scrape later; `collect` must write exactly those
/// families, each once, through [`Encoder::family`].
pub trait Collect: Send + Sync {
    /// Calls `out` with the descriptor of every family this collector writes.
    fn describe(&self, out: &mut dyn FnMut(&Descriptor));

    /// Writes every family.
    fn collect(&self, enc: &mut Encoder<'_>);

    /// Called once when registered: families created at run time take their series from `budget`.
    fn bind(&self, budget: &SeriesBudget) {
        let _ = budget;
    }
}

impl<T: Collect + ?Sized> Collect for &T {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}

impl<T: Collect + ?Sized> Collect for Arc<T> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}

impl<T: Collect + ?Sized> Collect for Box<T> {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        (**self).describe(out)
    }
    fn collect(&self, enc: &mut Encoder<'_>) {
        (**self).collect(enc)
    }
    fn bind(&self, budget: &SeriesBudget) {
        (**self).bind(budget)
    }
}

/// Why a collector was not registered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// Two families would expose the same sample name.
    Duplicate {
        /// The family being registered.
        name: String,
        /// Its type.
        kind: MetricType,
        /// The family it clashes with.
        existing: String,
        /// That family's type.
        existing_kind: MetricType,
    },
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Duplicate { name, kind, existing, existing_kind } if name == existing => write!(
                f,
                "duplicate metric family `{name}`: a {kind} `{name}` is registered already as a {existing_kind}"
            ),
            RegistryError::Duplicate { name, kind, existing, existing_kind } => write!(
                f,
                "metric family {kind} `{name}` clashes with the registered {existing_kind} `{existing}`: their \
                 samples would share a name"
            ),
        }
    }
}

impl std::error::Error for RegistryError {}

/// Why a scrape produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// A collector panicked while writing; nothing of this scrape was kept, since a partial exposition
    /// would read as series that vanished.
    CollectorPanicked {
        /// The collector's type.
        collector: &'static str,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::CollectorPanicked { collector } => {
                write!(f, "collector `{collector}` panicked while encoding; the scrape was abandoned")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

struct Registered {
    collector: Box<dyn Collect>,
    type_name: &'static str,
}

pub(crate) struct RegistryInner {
    collectors: RwLock<Vec<Registered>>,
    families: Mutex<Vec<(String, MetricType)>>,
    budget: SeriesBudget,
    self_metrics: bool,
    scratch: Mutex<Scratch>,
    last_scrape_nanos: AtomicU64,
    last_series: AtomicU64,
}

/// Holds collectors and encodes them: what one `/metrics` endpoint exposes.
///
/// Cloning is cheap and shares the registry. It refuses a collector whose families clash with registered
/// ones, bounds the series created at run time by a total limit shared by all its families, and exposes
/// its own health under `promstruct_*`: series, the limit, updates sent to overflow series, updates
/// refused, and the duration of the previous scrape.
#[derive(Clone)]
pub struct Registry(Arc<RegistryInner>);

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let families = self.0.families.lock().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Registry")
            .field("families", &families.len())
            .field("series", &self.0.budget.used())
            .field("series_limit", &self.0.budget.limit())
            .finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds a [`Registry`] with non-default settings.
#[derive(Debug, Clone)]
pub struct RegistryBuilder {
    total_limit: usize,
    per_family: usize,
    self_metrics: bool,
}

impl RegistryBuilder {
    /// The most series all families together may hold (default 10,000). Series of enum-labelled families
    /// are fixed at compile time and always kept; they count against the limit, and series created at run
    /// time past it go to their family's overflow series.
    pub fn total_series_limit(mut self, limit: usize) -> Self {
        self.total_limit = limit;
        self
    }

    /// The most series an open family registered here holds when it sets no `max_series` of its own
    /// (default [`DEFAULT_MAX_SERIES`](promstruct_naming::DEFAULT_MAX_SERIES), 1,000): the configuration's
    /// `cardinality.max_per_metric`. Families declared with `#[metrics]` and defined at run time alike.
    pub fn max_series_per_family(mut self, max_series: usize) -> Self {
        self.per_family = max_series;
        self
    }

    /// Whether to expose the registry's own `promstruct_*` families (default true).
    pub fn self_metrics(mut self, on: bool) -> Self {
        self.self_metrics = on;
        self
    }

    /// The registry.
    pub fn build(self) -> Registry {
        let families = if self.self_metrics {
            SELF_FAMILIES.iter().map(|schema| (schema.name().to_owned(), schema.kind())).collect()
        } else {
            Vec::new()
        };
        Registry(Arc::new(RegistryInner {
            collectors: RwLock::new(Vec::new()),
            families: Mutex::new(families),
            budget: SeriesBudget::with_per_family(self.total_limit, self.per_family),
            self_metrics: self.self_metrics,
            scratch: Mutex::new(Scratch::new()),
            last_scrape_nanos: AtomicU64::new(0),
            last_series: AtomicU64::new(0),
        }))
    }
}

/// The registry's own families, in the order [`Registry::encode_self`] writes their values.
static SELF_FAMILIES: [FamilySchema; 6] = [
    FamilySchema::new("promstruct_series", MetricType::Gauge, "Series held by the registry's families."),
    FamilySchema::new(
        "promstruct_series_limit",
        MetricType::Gauge,
        "The most series the registry's families may hold.",
    ),
    FamilySchema::new(
        "promstruct_overflow_updates",
        MetricType::Counter,
        "Updates sent to an overflow series because a family or the registry was at its series limit.",
    ),
    FamilySchema::new(
        "promstruct_rejected_updates",
        MetricType::Counter,
        "Updates refused because they would break a metric's contract (negative counter increments, NaN).",
    ),
    FamilySchema::new("promstruct_scrape_series", MetricType::Gauge, "Series written by the previous scrape."),
    FamilySchema::new(
        "promstruct_scrape_duration_seconds",
        MetricType::Gauge,
        "Time the previous scrape took to encode.",
    )
    .with_unit("seconds"),
];

impl Registry {
    /// An empty registry with a total limit of 10,000 series and its own metrics on.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for a registry with other settings.
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder {
            total_limit: promstruct_naming::DEFAULT_TOTAL_LIMIT,
            per_family: promstruct_naming::DEFAULT_MAX_SERIES,
            self_metrics: true,
        }
    }

    /// Adds a collector. Refuses it, registering nothing, if one of its families would expose a sample
    /// name another family (registered, or its own) exposes.
    pub fn register<C: Collect + 'static>(&self, collector: C) -> Result<(), RegistryError> {
        let mut new: Vec<(String, MetricType)> = Vec::new();
        collector.describe(&mut |d| new.push((d.name().to_owned(), d.kind())));
        self.claim_all(new)?;
        collector.bind(&self.0.budget);
        let entry = Registered { collector: Box::new(collector), type_name: type_name::<C>() };
        self.0.collectors.write().unwrap_or_else(|e| e.into_inner()).push(entry);
        Ok(())
    }

    /// Claims family names, all or none: refuses the first that would expose a sample name another family
    /// (registered, or earlier in `new`) exposes.
    fn claim_all(&self, new: Vec<(String, MetricType)>) -> Result<(), RegistryError> {
        let mut families = self.0.families.lock().unwrap_or_else(|e| e.into_inner());
        for (i, (name, kind)) in new.iter().enumerate() {
            let clash = families
                .iter()
                .chain(&new[..i])
                .find(|(other, other_kind)| promstruct_naming::names_collide(name, *kind, other, *other_kind));
            if let Some((existing, existing_kind)) = clash {
                return Err(RegistryError::Duplicate {
                    name: name.clone(),
                    kind: *kind,
                    existing: existing.clone(),
                    existing_kind: *existing_kind,
                });
            }
        }
        families.extend(new);
        Ok(())
    }

    /// Claims one family name for a collector already registered that defines families as it runs (see
    /// [`DynamicMetrics`](crate::dynamic::DynamicMetrics)).
    pub(crate) fn claim(&self, name: &str, kind: MetricType) -> Result<(), RegistryError> {
        self.claim_all(vec![(name.to_owned(), kind)])
    }

    pub(crate) fn downgrade(&self) -> std::sync::Weak<RegistryInner> {
        Arc::downgrade(&self.0)
    }

    pub(crate) fn upgrade(weak: &std::sync::Weak<RegistryInner>) -> Option<Registry> {
        weak.upgrade().map(Registry)
    }

    /// The series budget shared by the registry's families.
    pub fn budget(&self) -> &SeriesBudget {
        &self.0.budget
    }

    /// Updates refused by the series of this registry's families since they were registered, as
    /// `promstruct_rejected_updates_total` exposes it: float counter increments that are negative, NaN or
    /// infinite, NaN histogram observations. Another registry's refusals are not counted here; a cell
    /// outside any registry counts its own ([`FloatCounter::rejected_updates`](crate::FloatCounter::rejected_updates),
    /// [`Histogram::rejected_updates`](crate::Histogram::rejected_updates)).
    pub fn rejected_updates(&self) -> u64 {
        self.0.budget.rejected()
    }

    /// Appends the exposition of every registered family to `buf`, in `format`, and returns the number
    /// of series written.
    ///
    /// If a collector panics, `buf` is left as it was and the panic is reported as an error.
    pub fn encode(&self, format: Format, buf: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let start = Instant::now();
        let mark = buf.len();
        let mut own_scratch;
        let mut guard = self.0.scratch.try_lock().ok();
        let scratch = match guard.as_deref_mut() {
            Some(scratch) => scratch,
            None => {
                own_scratch = Scratch::new();
                &mut own_scratch
            }
        };
        let mut enc = Encoder::new(format, buf, scratch);
        let collectors = self.0.collectors.read().unwrap_or_else(|e| e.into_inner());
        for registered in collectors.iter() {
            let ok = catch_unwind(AssertUnwindSafe(|| registered.collector.collect(&mut enc))).is_ok();
            if !ok {
                buf.truncate(mark);
                return Err(EncodeError::CollectorPanicked { collector: registered.type_name });
            }
        }
        drop(collectors);
        if self.0.self_metrics {
            self.encode_self(&mut enc);
        }
        let series = enc.finish();
        self.0.last_series.store(series as u64, Ordering::Relaxed);
        let nanos = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.0.last_scrape_nanos.store(nanos, Ordering::Relaxed);
        Ok(series)
    }

    fn encode_self(&self, enc: &mut Encoder<'_>) {
        let values = [
            Number::U64(self.0.budget.used() as u64),
            Number::U64(self.0.budget.limit() as u64),
            Number::U64(self.0.budget.overflowed()),
            Number::U64(self.rejected_updates()),
            Number::U64(self.0.last_series.load(Ordering::Relaxed)),
            Number::F64(self.0.last_scrape_nanos.load(Ordering::Relaxed) as f64 / 1e9),
        ];
        for (schema, value) in SELF_FAMILIES.iter().zip(values) {
            let desc = Descriptor::from_schema(schema);
            let mut family = enc.family(&desc);
            match schema.kind() {
                MetricType::Counter => family.counter(&(), value, None),
                _ => family.gauge(&(), value),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::tests::{Model, Status};
    use crate::{Buckets, Counter, DenseFamily, FloatGauge, Histogram, Info, OpenFamily, OpenOptions, Policy};

    fn encode(registry: &Registry, format: Format) -> String {
        let mut buf = Vec::new();
        registry.encode(format, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    fn quiet() -> Registry {
        Registry::builder().self_metrics(false).build()
    }

    #[test]
    fn exact_exposition_in_both_formats() {
        let registry = quiet();
        let requests = Arc::new(DenseFamily::<(Model, Status), Counter>::new(
            Descriptor::builder("app_requests", MetricType::Counter, "Requests \"served\",\nby model.")
                .labels(["model", "status"])
                .build()
                .unwrap(),
            (),
        ));
        let latency = Arc::new(DenseFamily::<(), Histogram>::new(
            Descriptor::builder("app_latency_seconds", MetricType::Histogram, "Latency.")
                .unit("seconds")
                .build()
                .unwrap(),
            Buckets::new([0.1, 1.0]).unwrap(),
        ));
        let temp = Arc::new(OpenFamily::<FloatGauge>::new(
            Descriptor::builder("app_temperature_celsius", MetricType::Gauge, "Temperature.")
                .labels(["room"])
                .build()
                .unwrap(),
            (),
            OpenOptions::new(),
        ));
        let build = Arc::new(DenseFamily::<(), Info>::new(
            Descriptor::new("app_build", MetricType::Info, "Build.").unwrap(),
            (),
        ));
        registry.register(requests.clone()).unwrap();
        registry.register(latency.clone()).unwrap();
        registry.register(temp.clone()).unwrap();
        registry.register(build.clone()).unwrap();

        requests.get((Model::Gpt, Status::Ok)).inc_by(3);
        latency.get(()).observe(0.05);
        latency.get(()).observe(0.5);
        latency.get(()).observe(5.0);
        temp.get(&["a \"b\"\\\n"]).set(-1.5);
        build.get(()).set([("version", "1.0")]).unwrap();

        let text = encode(&registry, Format::Text);
        let expected_text = "\
# HELP app_requests_total Requests \"served\",\\nby model.
# TYPE app_requests_total counter
app_requests_total{model=\"gpt-4o\",status=\"ok\"} 3
app_requests_total{model=\"gpt-4o\",status=\"error\"} 0
app_requests_total{model=\"claude-3-5-sonnet\",status=\"ok\"} 0
app_requests_total{model=\"claude-3-5-sonnet\",status=\"error\"} 0
app_requests_total{model=\"llama-3-70b\",status=\"ok\"} 0
app_requests_total{model=\"llama-3-70b\",status=\"error\"} 0
# HELP app_latency_seconds Latency.
# TYPE app_latency_seconds histogram
app_latency_seconds_bucket{le=\"0.1\"} 1
app_latency_seconds_bucket{le=\"1.0\"} 2
app_latency_seconds_bucket{le=\"+Inf\"} 3
app_latency_seconds_sum 5.55
app_latency_seconds_count 3
# HELP app_temperature_celsius Temperature.
# TYPE app_temperature_celsius gauge
app_temperature_celsius{room=\"a \\\"b\\\"\\\\\\n\"} -1.5
# HELP app_build_info Build.
# TYPE app_build_info gauge
app_build_info{version=\"1.0\"} 1
";
        assert_eq!(text, expected_text);

        let om = encode(&registry, Format::OpenMetrics);
        // `_created` values are wall-clock times: check their shape, then compare the rest exactly.
        let (created, rest): (Vec<&str>, Vec<&str>) = om.lines().partition(|l| l.contains("_created"));
        assert_eq!(created.len(), 7, "one `_created` per counter and histogram series");
        for line in &created {
            let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
            assert!(value > 1.7e9, "{line}");
        }
        let expected_om = "\
# TYPE app_requests counter
# HELP app_requests Requests \\\"served\\\",\\nby model.
app_requests_total{model=\"gpt-4o\",status=\"ok\"} 3
app_requests_total{model=\"gpt-4o\",status=\"error\"} 0
app_requests_total{model=\"claude-3-5-sonnet\",status=\"ok\"} 0
app_requests_total{model=\"claude-3-5-sonnet\",status=\"error\"} 0
app_requests_total{model=\"llama-3-70b\",status=\"ok\"} 0
app_requests_total{model=\"llama-3-70b\",status=\"error\"} 0
# TYPE app_latency_seconds histogram
# UNIT app_latency_seconds seconds
# HELP app_latency_seconds Latency.
app_latency_seconds_bucket{le=\"0.1\"} 1
app_latency_seconds_bucket{le=\"1.0\"} 2
app_latency_seconds_bucket{le=\"+Inf\"} 3
app_latency_seconds_sum 5.55
app_latency_seconds_count 3
# TYPE app_temperature_celsius gauge
# HELP app_temperature_celsius Temperature.
app_temperature_celsius{room=\"a \\\"b\\\"\\\\\\n\"} -1.5
# TYPE app_build info
# HELP app_build Build.
app_build_info{version=\"1.0\"} 1
# EOF";
        assert_eq!(rest.join("\n"), expected_om);
        assert!(om.ends_with("# EOF\n"));
    }

    #[test]
    fn duplicates_and_suffix_clashes_are_refused_with_both_names() {
        let registry = quiet();
        let counter = DenseFamily::<(), Counter>::new(Descriptor::new("foo", MetricType::Counter, "h").unwrap(), ());
        registry.register(counter).unwrap();
        for (name, kind) in
            [("foo", MetricType::Gauge), ("foo_total", MetricType::Gauge), ("foo_created", MetricType::Gauge)]
        {
            let gauge = DenseFamily::<(), crate::Gauge>::new(
                Descriptor::builder(name, kind, "h").policy(Policy::PERMISSIVE).build().unwrap(),
                (),
            );
            let err = registry.register(gauge).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("`{name}`")) && msg.contains("`foo`"), "{msg}");
        }
        let hist = DenseFamily::<(), Histogram>::new(
            Descriptor::new("bar", MetricType::Histogram, "h").unwrap(),
            Buckets::default(),
        );
        registry.register(hist).unwrap();
        for name in ["bar_bucket", "bar_sum", "bar_count", "bar_created"] {
            let gauge = DenseFamily::<(), crate::Gauge>::new(
                Descriptor::builder(name, MetricType::Gauge, "h").policy(Policy::PERMISSIVE).build().unwrap(),
                (),
            );
            assert!(registry.register(gauge).is_err(), "{name}");
        }
        let info = DenseFamily::<(), Info>::new(Descriptor::new("baz", MetricType::Info, "h").unwrap(), ());
        registry.register(info).unwrap();
        let gauge = DenseFamily::<(), crate::Gauge>::new(
            Descriptor::builder("baz_info", MetricType::Gauge, "h").policy(Policy::PERMISSIVE).build().unwrap(),
            (),
        );
        assert!(registry.register(gauge).is_err());
        let text = encode(&registry, Format::Text);
        assert_eq!(text.matches("# TYPE").count(), 3, "refused collectors expose nothing:\n{text}");
    }

    #[test]
    fn self_metrics_are_exposed_and_reserved() {
        let registry = Registry::builder().total_series_limit(3).build();
        let open = Arc::new(OpenFamily::<Counter>::new(
            Descriptor::builder("jobs", MetricType::Counter, "Jobs.").labels(["id"]).build().unwrap(),
            (),
            OpenOptions::new(),
        ));
        registry.register(open.clone()).unwrap();
        for i in 0..5 {
            open.get(&[&i.to_string()]).inc();
        }
        encode(&registry, Format::Text);
        let text = encode(&registry, Format::Text);
        assert!(text.contains("\npromstruct_series 3\n"), "{text}");
        assert!(text.contains("\npromstruct_series_limit 3\n"), "{text}");
        assert!(text.contains("\npromstruct_overflow_updates_total 2\n"), "{text}");
        assert!(text.contains("\npromstruct_scrape_series 10\n"), "{text}");
        let clash = DenseFamily::<(), crate::Gauge>::new(
            Descriptor::new("promstruct_series", MetricType::Gauge, "h").unwrap(),
            (),
        );
        assert!(registry.register(clash).is_err());
    }

    #[test]
    fn each_registry_counts_the_refusals_of_its_own_series() {
        let (a, b) = (Registry::new(), Registry::new());
        let spend = Arc::new(DenseFamily::<(), crate::FloatCounter>::new(
            Descriptor::new("spend", MetricType::Counter, "Spend.").unwrap(),
            (),
        ));
        let latency = Arc::new(OpenFamily::<Histogram>::new(
            Descriptor::builder("latency", MetricType::Histogram, "Latency.").labels(["route"]).build().unwrap(),
            Buckets::default(),
            OpenOptions::new(),
        ));
        let early = latency.get(&["/a"]);
        a.register(spend.clone()).unwrap();
        b.register(latency.clone()).unwrap();

        assert!(!spend.get(()).inc_by(-1.0));
        assert!(!spend.get(()).inc_by(f64::NAN));
        assert!(spend.get(()).inc_by(1.0), "an accepted increment is not counted");
        early.observe(f64::NAN);
        latency.get(&["/b"]).observe(f64::NAN);
        latency.get(&["/b"]).observe(0.1);
        crate::FloatCounter::new().inc_by(-1.0);

        assert_eq!(a.rejected_updates(), 2, "the dense float counters of registry a");
        assert_eq!(b.rejected_updates(), 2, "a series created before registration and one after, in b");
        assert!(encode(&a, Format::Text).contains("\npromstruct_rejected_updates_total 2\n"));
        assert!(encode(&b, Format::Text).contains("\npromstruct_rejected_updates_total 2\n"));
        assert_eq!(Registry::new().rejected_updates(), 0, "a cell outside any registry counts in itself only");
    }

    struct Panicking;

    impl Collect for Panicking {
        fn describe(&self, _: &mut dyn FnMut(&Descriptor)) {}
        fn collect(&self, enc: &mut Encoder<'_>) {
            let desc = Descriptor::new("half", MetricType::Gauge, "h").unwrap();
            enc.family(&desc).gauge(&(), Number::I64(1));
            panic!("collector failure");
        }
    }

    #[test]
    fn a_panicking_collector_fails_the_scrape_and_leaves_the_buffer() {
        let registry = quiet();
        registry.register(Panicking).unwrap();
        let mut buf = b"kept".to_vec();
        let err = registry.encode(Format::OpenMetrics, &mut buf).unwrap_err();
        assert!(err.to_string().contains("Panicking"), "{err}");
        assert_eq!(buf, b"kept");
    }
}
