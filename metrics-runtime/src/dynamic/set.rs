//! [`DynamicMetrics`]: the set of families defined at run time in one registry, each definition checked,
//! found again when repeated and refused when it differs.

use std::fmt;
use std::sync::{Arc, RwLock, Weak};

use super::spec::conflict;
use super::{DefineError, DynamicFamily, MetricSpec, RealtimeGauges, SpecKind};
use crate::Descriptor;
use crate::cell::{Buckets, FloatCounter, FloatGauge, Histogram, HistogramConfig};
use crate::encoding::Encoder;
use crate::family::{OpenFamily, OpenOptions, SeriesBudget};
use crate::registry::{Collect, Registry, RegistryError, RegistryInner};

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
        let legacy = desc.has_legacy_names();
        let family = match &spec.kind {
            SpecKind::Counter => DynamicFamily::Counter(Arc::new(OpenFamily::new(desc, (), options))),
            SpecKind::Gauge => DynamicFamily::Gauge(Arc::new(OpenFamily::new(desc, (), options))),
            SpecKind::RealtimeGauge => {
                DynamicFamily::Realtime(Arc::new(RealtimeGauges { desc, series: RwLock::new(Vec::new()) }))
            }
            SpecKind::Histogram { buckets, native } => {
                let config = match native {
                    Some(native) if buckets.is_empty() => HistogramConfig::native(*native),
                    native => {
                        let classic = HistogramConfig::classic(Buckets::new(buckets.clone()).map_err(invalid)?);
                        match native {
                            Some(native) => classic.with_native(*native),
                            None => classic,
                        }
                    }
                };
                DynamicFamily::Histogram(Arc::new(OpenFamily::new(desc, config, options)))
            }
        };
        let registry = Registry::upgrade(&self.registry).ok_or(DefineError::RegistryDropped)?;
        registry.claim(&name, kind, legacy).map_err(DefineError::Registry)?;
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
    use crate::cell::NativeConfig;
    use crate::{Format, MetricType};
    use std::time::Duration;

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
                &MetricSpec::new("step_duration", "Steps.", SpecKind::histogram(vec![1.0, 10.0])).unit("seconds"),
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
            MetricSpec::new("latency", "h", SpecKind::histogram(vec![])),
            MetricSpec::new("latency", "h", SpecKind::histogram(vec![2.0, 1.0])),
            MetricSpec::new("latency", "h", SpecKind::histogram(vec![f64::NAN])),
            MetricSpec::new("latency", "h", SpecKind::histogram(vec![1.0])).labels(["le"]),
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
    fn histograms_with_native_buckets_alone_or_beside_classic_ones() {
        let registry = Registry::builder().self_metrics(false).build();
        let set = DynamicMetrics::new(&registry).unwrap();
        let native = NativeConfig::new().with_schema(2).unwrap();
        let alone = set
            .histogram(&MetricSpec::new("step_seconds", "Steps.", SpecKind::native_histogram(native)).labels(["wf"]))
            .unwrap();
        let both = SpecKind::Histogram { buckets: vec![1.0, 10.0], native: Some(native) };
        let beside = set.histogram(&MetricSpec::new("wait_seconds", "Waits.", both.clone())).unwrap();
        alone.get(&["a"]).observe(3.0);
        beside.get(&[]).observe(3.0);
        let text = scrape(&registry);
        assert!(text.contains("step_seconds_bucket{wf=\"a\",le=\"+Inf\"} 1\nstep_seconds_sum{wf=\"a\"} 3"), "{text}");
        assert!(text.contains("wait_seconds_bucket{le=\"10.0\"} 1"), "{text}");
        let mut snapshot = crate::NativeSnapshot::new();
        assert!(alone.get(&["a"]).native_snapshot_into(&mut snapshot));
        assert_eq!((snapshot.schema(), snapshot.positive()), (2, &[(7, 1)][..]), "3 in (2^(6/4), 2^(7/4)]");
        // The same spec finds the family; other native buckets are a conflict.
        assert!(set.histogram(&MetricSpec::new("wait_seconds", "Waits.", both)).is_ok());
        let other = SpecKind::Histogram { buckets: vec![1.0, 10.0], native: Some(NativeConfig::new()) };
        let err = set.histogram(&MetricSpec::new("wait_seconds", "Waits.", other)).unwrap_err();
        assert!(err.to_string().contains("buckets differ"), "{err}");
        // Neither classic nor native buckets: refused as an empty layout.
        let none = SpecKind::Histogram { buckets: vec![], native: None };
        assert!(matches!(set.define(&MetricSpec::new("x", "h", none)), Err(DefineError::Invalid { .. })));
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
