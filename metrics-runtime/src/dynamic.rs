//! Metrics defined at run time from data: for systems whose users declare metrics in configuration, as
//! Argo Workflows does.
//!
//! A [`DynamicMetrics`] set lives in one [`Registry`]. Each definition is checked by the same rules the
//! `#[metrics]` macro applies at compile time (the `promstruct-naming` crate); defining a name again with the
//! same type, help, labels and buckets returns the family already there, and with anything different is an
//! error naming what differs. Every label is open, so families are bounded by `max_series` and may drop
//! idle series after a TTL. Real-time gauges read their value from a callback at each scrape.
//!
//! ```
//! use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
//! use promstruct::{Format, Registry};
//!
//! let registry = Registry::new();
//! let dynamic = DynamicMetrics::new(&registry).unwrap();
//! let spec = MetricSpec::new("workflow_runs", "Workflow runs by template.", SpecKind::Counter).labels(["template"]);
//! let runs = dynamic.counter(&spec).unwrap();
//! runs.get(&["nightly-build"]).inc();
//! // The same definition again is the same family; another help text for the name is an error.
//! assert!(dynamic.counter(&spec).is_ok());
//! assert!(dynamic.counter(&MetricSpec::new("workflow_runs", "Other.", SpecKind::Counter).labels(["template"])).is_err());
//! ```

use std::fmt;
use std::sync::{Arc, RwLock, Weak};
use std::time::Duration;

use crate::cell::{Buckets, FloatCounter, FloatGauge, Histogram};
use crate::encoding::{EncodeLabels, Encoder, LabelWriter, Number};
use crate::family::{OpenFamily, OpenOptions, SeriesBudget};
use crate::registry::{Collect, Registry, RegistryError, RegistryInner};
use crate::{Descriptor, MetricType, Policy, RuleError};

/// The type of a metric defined at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum SpecKind {
    /// A float counter.
    Counter,
    /// A float gauge set by the application.
    Gauge,
    /// A gauge whose value a callback returns at each scrape.
    RealtimeGauge,
    /// A histogram with these bucket bounds.
    Histogram {
        /// The finite upper bounds, strictly increasing.
        buckets: Vec<f64>,
    },
}

impl SpecKind {
    fn metric_type(&self) -> MetricType {
        match self {
            SpecKind::Counter => MetricType::Counter,
            SpecKind::Gauge | SpecKind::RealtimeGauge => MetricType::Gauge,
            SpecKind::Histogram { .. } => MetricType::Histogram,
        }
    }

    fn describe(&self) -> &'static str {
        match self {
            SpecKind::Counter => "counter",
            SpecKind::Gauge => "gauge",
            SpecKind::RealtimeGauge => "real-time gauge",
            SpecKind::Histogram { .. } => "histogram",
        }
    }
}

/// The definition of one metric family, as data.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSpec {
    /// The name; the unit is appended when the name does not end with it already, as the macro does.
    pub name: String,
    /// The help text.
    pub help: String,
    /// The type.
    pub kind: SpecKind,
    /// The label names, in order.
    pub labels: Vec<String>,
    /// The unit, a base unit (`seconds`, `bytes`, ...).
    pub unit: Option<String>,
    /// The most series the family holds before updates go to its overflow series; `None` (the default):
    /// the registry's bound per family, `cardinality.max_per_metric` in the configuration.
    pub max_series: Option<usize>,
    /// Drop a series not updated for this long.
    pub ttl: Option<Duration>,
    /// The naming conventions the name and labels may break ([`Policy::STRICT`] by default, as in
    /// `#[metrics]`; [`Policy::PERMISSIVE`] for systems such as Argo that allow Prometheus' whole data model).
    pub policy: Policy,
}

impl MetricSpec {
    /// A spec with no labels, no unit, bounded as its registry bounds families, kept forever, under
    /// [`Policy::STRICT`].
    pub fn new(name: impl Into<String>, help: impl Into<String>, kind: SpecKind) -> Self {
        MetricSpec {
            name: name.into(),
            help: help.into(),
            kind,
            labels: Vec::new(),
            unit: None,
            max_series: None,
            ttl: None,
            policy: Policy::STRICT,
        }
    }

    /// Sets the label names.
    pub fn labels<I: IntoIterator<Item = S>, S: Into<String>>(mut self, labels: I) -> Self {
        self.labels = labels.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the unit.
    pub fn unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = Some(unit.into());
        self
    }

    /// Sets the series bound.
    pub fn max_series(mut self, max_series: usize) -> Self {
        self.max_series = Some(max_series);
        self
    }

    /// Sets the idle TTL.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets the naming policy: which conventions the name and labels may break.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }
}

/// Why a definition was refused.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DefineError {
    /// A name, unit, label or bucket breaks the naming rules.
    Invalid {
        /// The metric's name as given.
        name: String,
        /// The rule broken.
        error: RuleError,
    },
    /// The name is defined already with another type, help, labels, unit or buckets.
    Conflict {
        /// The family name.
        name: String,
        /// What differs.
        reason: String,
    },
    /// The name clashes with a family another collector of the registry exposes.
    Registry(RegistryError),
    /// The set's registry is gone.
    RegistryDropped,
}

impl fmt::Display for DefineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefineError::Invalid { name, error } => write!(f, "metric `{name}`: {error}"),
            DefineError::Conflict { name, reason } => write!(f, "metric `{name}` is defined already: {reason}"),
            DefineError::Registry(e) => e.fmt(f),
            DefineError::RegistryDropped => write!(f, "the registry of this metric set was dropped"),
        }
    }
}

impl std::error::Error for DefineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DefineError::Invalid { error, .. } => Some(error),
            DefineError::Registry(e) => Some(e),
            _ => None,
        }
    }
}

/// A callback that returns a real-time gauge's value at scrape.
type ReadFn = Arc<dyn Fn() -> f64 + Send + Sync>;

/// The series of a real-time gauge family: label values and the callback of each.
type RealtimeSeries = Vec<(Box<[Box<str>]>, ReadFn)>;

/// A family of gauges read at scrape time: each series is a callback.
pub struct RealtimeGauges {
    desc: Descriptor,
    series: RwLock<RealtimeSeries>,
}

impl fmt::Debug for RealtimeGauges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let series = self.series.read().unwrap_or_else(|e| e.into_inner()).len();
        f.debug_struct("RealtimeGauges").field("name", &self.desc.name()).field("series", &series).finish()
    }
}

impl RealtimeGauges {
    /// Sets the callback of the series with these label values (one per label), replacing any before.
    ///
    /// # Panics
    /// If the number of values differs from the number of labels.
    pub fn set(&self, values: &[&str], read: impl Fn() -> f64 + Send + Sync + 'static) {
        assert_eq!(
            values.len(),
            self.desc.label_count(),
            "family `{}`: wrong number of label values",
            self.desc.name()
        );
        let key: Box<[Box<str>]> = values.iter().map(|v| Box::from(*v)).collect();
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        series.retain(|(k, _)| *k != key);
        series.push((key, Arc::new(read)));
    }

    /// Removes the series with these label values; returns whether it was there.
    pub fn remove(&self, values: &[&str]) -> bool {
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        let before = series.len();
        series.retain(|(k, _)| !(k.len() == values.len() && k.iter().zip(values).all(|(a, b)| **a == **b)));
        series.len() != before
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.series.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether there is no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct ValueLabels<'a> {
    desc: &'a Descriptor,
    values: &'a [Box<str>],
}

impl EncodeLabels for ValueLabels<'_> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        for (i, v) in self.values.iter().enumerate() {
            out.label(self.desc.label_name(i), v);
        }
    }
}

impl Collect for RealtimeGauges {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&self.desc)
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        // Read the callbacks outside the lock, so a slow one cannot block `set`.
        let series: Vec<_> = self.series.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut family = enc.family(&self.desc);
        for (values, read) in &series {
            family.gauge(&ValueLabels { desc: &self.desc, values }, Number::F64(read()));
        }
    }
}

/// One family defined at run time.
#[derive(Debug, Clone)]
pub enum DynamicFamily {
    /// A counter.
    Counter(Arc<OpenFamily<FloatCounter>>),
    /// A gauge.
    Gauge(Arc<OpenFamily<FloatGauge>>),
    /// A real-time gauge.
    Realtime(Arc<RealtimeGauges>),
    /// A histogram.
    Histogram(Arc<OpenFamily<Histogram>>),
}

impl DynamicFamily {
    fn as_collect(&self) -> &dyn Collect {
        match self {
            DynamicFamily::Counter(f) => &**f,
            DynamicFamily::Gauge(f) => &**f,
            DynamicFamily::Realtime(f) => &**f,
            DynamicFamily::Histogram(f) => &**f,
        }
    }
}

struct Defined {
    name: String,
    spec: MetricSpec,
    family: DynamicFamily,
}

/// A set of metric families defined at run time, registered in one [`Registry`].
pub struct DynamicMetrics {
    registry: Weak<RegistryInner>,
    defined: RwLock<Vec<Defined>>,
    budget: std::sync::OnceLock<SeriesBudget>,
}

impl fmt::Debug for DynamicMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let defined = self.defined.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("DynamicMetrics")
            .field("families", &defined.iter().map(|d| &d.name).collect::<Vec<_>>())
            .finish()
    }
}

impl DynamicMetrics {
    /// An empty set, registered in `registry`.
    pub fn new(registry: &Registry) -> Result<Arc<Self>, RegistryError> {
        let set = Arc::new(DynamicMetrics {
            registry: registry.downgrade(),
            defined: RwLock::new(Vec::new()),
            budget: std::sync::OnceLock::new(),
        });
        registry.register(set.clone())?;
        Ok(set)
    }

    /// Defines (or finds) a family from `spec`.
    pub fn define(&self, spec: &MetricSpec) -> Result<DynamicFamily, DefineError> {
        let invalid = |error| DefineError::Invalid { name: spec.name.clone(), error };
        let kind = spec.kind.metric_type();
        let mut builder = Descriptor::builder(spec.name.clone(), kind, spec.help.clone())
            .labels(spec.labels.iter().cloned())
            .policy(spec.policy);
        if let Some(unit) = &spec.unit {
            builder = builder.unit(unit.clone());
        }
        let desc = builder.build().map_err(invalid)?;
        let name = desc.name().to_owned();
        let mut defined = self.defined.write().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = defined.iter().find(|d| d.name == name) {
            return match conflict(&existing.spec, spec) {
                None => Ok(existing.family.clone()),
                Some(reason) => Err(DefineError::Conflict { name, reason }),
            };
        }
        let mut options = OpenOptions::new();
        if let Some(max) = spec.max_series {
            options = options.max_series(max);
        }
        if let Some(ttl) = spec.ttl {
            options = options.ttl(ttl);
        }
        options.check().map_err(invalid)?;
        let family = match &spec.kind {
            SpecKind::Counter => DynamicFamily::Counter(Arc::new(OpenFamily::new(desc, (), options))),
            SpecKind::Gauge => DynamicFamily::Gauge(Arc::new(OpenFamily::new(desc, (), options))),
            SpecKind::RealtimeGauge => {
                DynamicFamily::Realtime(Arc::new(RealtimeGauges { desc, series: RwLock::new(Vec::new()) }))
            }
            SpecKind::Histogram { buckets } => {
                let buckets = Buckets::new(buckets.clone()).map_err(invalid)?;
                DynamicFamily::Histogram(Arc::new(OpenFamily::new(desc, buckets, options)))
            }
        };
        let registry = Registry::upgrade(&self.registry).ok_or(DefineError::RegistryDropped)?;
        registry.claim(&name, kind).map_err(DefineError::Registry)?;
        if let Some(budget) = self.budget.get() {
            family.as_collect().bind(budget);
        }
        defined.push(Defined { name, spec: spec.clone(), family: family.clone() });
        Ok(family)
    }

    /// Defines (or finds) a counter.
    pub fn counter(&self, spec: &MetricSpec) -> Result<Arc<OpenFamily<FloatCounter>>, DefineError> {
        match self.define(kind_checked(spec, SpecKind::Counter)?)? {
            DynamicFamily::Counter(f) => Ok(f),
            _ => unreachable!("a counter spec defines a counter"),
        }
    }

    /// Defines (or finds) a gauge.
    pub fn gauge(&self, spec: &MetricSpec) -> Result<Arc<OpenFamily<FloatGauge>>, DefineError> {
        match self.define(kind_checked(spec, SpecKind::Gauge)?)? {
            DynamicFamily::Gauge(f) => Ok(f),
            _ => unreachable!("a gauge spec defines a gauge"),
        }
    }

    /// Defines (or finds) a real-time gauge.
    pub fn realtime_gauge(&self, spec: &MetricSpec) -> Result<Arc<RealtimeGauges>, DefineError> {
        match self.define(kind_checked(spec, SpecKind::RealtimeGauge)?)? {
            DynamicFamily::Realtime(f) => Ok(f),
            _ => unreachable!("a real-time gauge spec defines one"),
        }
    }

    /// Defines (or finds) a histogram; `spec.kind` must be [`SpecKind::Histogram`].
    pub fn histogram(&self, spec: &MetricSpec) -> Result<Arc<OpenFamily<Histogram>>, DefineError> {
        match self.define(spec)? {
            DynamicFamily::Histogram(f) => Ok(f),
            _ => Err(DefineError::Conflict {
                name: spec.name.clone(),
                reason: format!("asked for a histogram, the spec is a {}", spec.kind.describe()),
            }),
        }
    }

    /// The names of the families defined so far, in order.
    pub fn names(&self) -> Vec<String> {
        self.defined.read().unwrap_or_else(|e| e.into_inner()).iter().map(|d| d.name.clone()).collect()
    }
}

fn kind_checked(spec: &MetricSpec, want: SpecKind) -> Result<&MetricSpec, DefineError> {
    if spec.kind == want {
        Ok(spec)
    } else {
        Err(DefineError::Conflict {
            name: spec.name.clone(),
            reason: format!("asked for a {}, the spec is a {}", want.describe(), spec.kind.describe()),
        })
    }
}

/// What differs between two specs of one name, if anything.
fn conflict(old: &MetricSpec, new: &MetricSpec) -> Option<String> {
    if old.kind.describe() != new.kind.describe() {
        return Some(format!("it is a {}, not a {}", old.kind.describe(), new.kind.describe()));
    }
    if old.help != new.help {
        return Some(format!("its help is {:?}, not {:?}", old.help, new.help));
    }
    if old.labels != new.labels {
        return Some(format!("its labels are {:?}, not {:?}", old.labels, new.labels));
    }
    if old.kind != new.kind {
        return Some("its buckets differ".to_owned());
    }
    if old.unit != new.unit {
        return Some(format!("its unit is {:?}, not {:?}", old.unit, new.unit));
    }
    if old.max_series != new.max_series || old.ttl != new.ttl {
        return Some("its max_series or ttl differ".to_owned());
    }
    None
}

impl Collect for DynamicMetrics {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        for d in self.defined.read().unwrap_or_else(|e| e.into_inner()).iter() {
            d.family.as_collect().describe(out);
        }
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        let families: Vec<DynamicFamily> =
            self.defined.read().unwrap_or_else(|e| e.into_inner()).iter().map(|d| d.family.clone()).collect();
        for family in &families {
            family.as_collect().collect(enc);
        }
    }

    fn bind(&self, budget: &SeriesBudget) {
        if self.budget.set(budget.clone()).is_ok() {
            for d in self.defined.read().unwrap_or_else(|e| e.into_inner()).iter() {
                d.family.as_collect().bind(budget);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;

    fn scrape(registry: &Registry) -> String {
        let mut buf = Vec::new();
        registry.encode(Format::Text, &mut buf).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn defines_each_kind_and_exposes_it() {
        let registry = Registry::builder().self_metrics(false).build();
        let set = DynamicMetrics::new(&registry).unwrap();
        let c = set.counter(&MetricSpec::new("runs", "Runs.", SpecKind::Counter).labels(["template"])).unwrap();
        let g = set.gauge(&MetricSpec::new("queue_depth", "Depth.", SpecKind::Gauge)).unwrap();
        let h = set
            .histogram(
                &MetricSpec::new("step_duration", "Steps.", SpecKind::Histogram { buckets: vec![1.0, 10.0] })
                    .unit("seconds"),
            )
            .unwrap();
        let rt = set
            .realtime_gauge(&MetricSpec::new("workflow_age", "Age.", SpecKind::RealtimeGauge).labels(["wf"]))
            .unwrap();
        c.get(&["nightly"]).inc_by(2.5);
        g.get(&[]).set(7.0);
        h.get(&[]).observe(3.0);
        let value = Arc::new(std::sync::atomic::AtomicU64::new(1));
        let v = value.clone();
        rt.set(&["wf-1"], move || v.load(std::sync::atomic::Ordering::Relaxed) as f64);
        let text = scrape(&registry);
        assert!(text.contains("runs_total{template=\"nightly\"} 2.5\n"), "{text}");
        assert!(text.contains("queue_depth 7.0\n"), "{text}");
        assert!(text.contains("step_duration_seconds_bucket{le=\"10.0\"} 1\n"), "{text}");
        assert!(text.contains("workflow_age{wf=\"wf-1\"} 1.0\n"), "{text}");
        value.store(42, std::sync::atomic::Ordering::Relaxed);
        assert!(scrape(&registry).contains("workflow_age{wf=\"wf-1\"} 42.0\n"), "read at each scrape");
        assert!(rt.remove(&["wf-1"]));
        assert!(!scrape(&registry).contains("workflow_age{"));
        assert_eq!(set.names(), ["runs", "queue_depth", "step_duration_seconds", "workflow_age"]);
    }

    #[test]
    fn redefinition_is_idempotent_and_conflicts_are_named() {
        let registry = Registry::new();
        let set = DynamicMetrics::new(&registry).unwrap();
        let spec = MetricSpec::new("runs", "Runs.", SpecKind::Counter).labels(["template"]);
        let a = set.counter(&spec).unwrap();
        let b = set.counter(&spec).unwrap();
        a.get(&["x"]).inc();
        assert_eq!(b.get(&["x"]).get(), 1.0, "the same family");
        let err = set.counter(&MetricSpec::new("runs", "Other.", SpecKind::Counter).labels(["template"])).unwrap_err();
        assert!(err.to_string().contains("help"), "{err}");
        let err = set.gauge(&MetricSpec::new("runs", "Runs.", SpecKind::Gauge).labels(["template"])).unwrap_err();
        assert!(err.to_string().contains("counter"), "{err}");
        let err = set.counter(&MetricSpec::new("runs", "Runs.", SpecKind::Counter)).unwrap_err();
        assert!(err.to_string().contains("labels"), "{err}");
        let err = set.gauge(&MetricSpec::new("runs_total", "Clash.", SpecKind::Gauge)).unwrap_err();
        assert!(matches!(err, DefineError::Invalid { .. }), "{err}");
        let err = set.gauge(&MetricSpec::new("runs_created", "Clash.", SpecKind::Gauge)).unwrap_err();
        assert!(matches!(err, DefineError::Invalid { .. }), "{err}");
        let queue = crate::DenseFamily::<(), crate::Gauge>::new(
            Descriptor::new("queue", MetricType::Gauge, "Registered statically.").unwrap(),
            (),
        );
        registry.register(queue).unwrap();
        let err = set.counter(&MetricSpec::new("queue", "Clash.", SpecKind::Counter)).unwrap_err();
        assert!(matches!(err, DefineError::Registry(_)), "{err}");
        assert!(err.to_string().contains("`queue`"), "{err}");
    }

    #[test]
    fn invalid_definitions_are_refused_like_the_macro_refuses_them() {
        let registry = Registry::new();
        let set = DynamicMetrics::new(&registry).unwrap();
        let bad = [
            MetricSpec::new("Bad-Name", "h", SpecKind::Gauge),
            MetricSpec::new("__reserved", "h", SpecKind::Gauge),
            MetricSpec::new("jobs_total", "h", SpecKind::Counter),
            MetricSpec::new("latency", "h", SpecKind::Gauge).unit("ms"),
            MetricSpec::new("latency", "h", SpecKind::Histogram { buckets: vec![] }),
            MetricSpec::new("latency", "h", SpecKind::Histogram { buckets: vec![2.0, 1.0] }),
            MetricSpec::new("latency", "h", SpecKind::Histogram { buckets: vec![f64::NAN] }),
            MetricSpec::new("latency", "h", SpecKind::Histogram { buckets: vec![1.0] }).labels(["le"]),
            MetricSpec::new("x", "h", SpecKind::Gauge).labels(["a", "a"]),
            MetricSpec::new("x", "h", SpecKind::Gauge).labels(["quantile"]),
        ];
        for spec in &bad {
            let err = set.define(spec).unwrap_err();
            assert!(matches!(err, DefineError::Invalid { .. }), "{spec:?}: {err}");
        }
        assert!(set.names().is_empty());
    }

    #[test]
    fn idle_series_expire_after_the_ttl() {
        let registry = Registry::new();
        let set = DynamicMetrics::new(&registry).unwrap();
        let c = set
            .counter(&MetricSpec::new("runs", "Runs.", SpecKind::Counter).labels(["wf"]).ttl(Duration::from_millis(40)))
            .unwrap();
        c.get(&["old"]).inc();
        assert!(scrape(&registry).contains("runs_total{wf=\"old\"}"));
        std::thread::sleep(Duration::from_millis(60));
        c.get(&["new"]).inc();
        let text = scrape(&registry);
        assert!(!text.contains("runs_total{wf=\"old\"}"), "{text}");
        assert!(text.contains("runs_total{wf=\"new\"}"), "{text}");
    }
}
