//! Custom metrics, as Argo emits them: each `metrics.prometheus` entry of a workflow or template, its
//! name prefixed `argo_workflows_`, defined at run time through `promstruct::dynamic` with
//! `Policy::PERMISSIVE` (Argo allows any name of Prometheus' data model: `result_counter` keeps its type
//! word, `*_count` gauges keep their ending).
//!
//! Every entry is checked when the controller starts, with stand-in values for the variables (a status of
//! `Succeeded`, durations of 0, declared parameters of `0`): its name, help, type, labels, `when`, value,
//! and across entries that one name keeps one help, one type and one set of buckets (Prometheus requires
//! it; Argo refuses a second help). A mistake stops the controller with an error naming the metric, or,
//! with `ignoreErrors: true`, is logged and the entry skipped. The entries of one name share a family;
//! its labels are the union of theirs, and an entry that does not set one of them leaves it empty, which
//! Prometheus reads as the label being absent (so the document's `result_counter{name}` and
//! `result_counter{name,status}` both appear under one name, as they do in Argo).
//!
//! Values are emitted after the step or workflow completes; real-time gauges (`realtime: true`) from its
//! start, read at each scrape while it runs and frozen at its end, removed when the workflow is deleted
//! or `metricsTTL` after it completed. What only the real values can show (a value that is not a number,
//! a name that a variable makes invalid) is logged as a warning when it is emitted, and skipped, as Argo
//! records a `MetricsError` condition and goes on.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use promstruct::Policy;
use promstruct::dynamic::{DefineError, DynamicFamily, DynamicMetrics, MetricSpec, SpecKind};

use crate::expr::{self, Scope};
use crate::lock;
use crate::manifest::{GaugeOperation, Prometheus, Template, Workflow};

/// What Argo puts before every custom metric's name.
pub(crate) const PREFIX: &str = "argo_workflows_";

/// The variables a real-time gauge may read, at the workflow level and at a template's.
const REALTIME_WORKFLOW: [&str; 1] = ["workflow.duration"];
const REALTIME_TEMPLATE: [&str; 2] = ["duration", "workflow.duration"];

/// Where a metric is defined.
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    /// The document's place in the file, from 1.
    pub(crate) document: usize,
    /// The workflow's `generateName` (or name).
    pub(crate) workflow: String,
    /// The template, for a template-level metric.
    pub(crate) template: Option<String>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "document {} (workflow `{}`)", self.document, self.workflow)?;
        if let Some(t) = &self.template {
            write!(f, ", template `{t}`")?;
        }
        Ok(())
    }
}

/// A measure of elapsed time for real-time gauges and `duration` variables: running until finished.
#[derive(Debug)]
pub(crate) struct Clock {
    started: Instant,
    finished: OnceLock<Instant>,
}

impl Clock {
    /// A clock started now.
    pub(crate) fn start() -> Arc<Clock> {
        Arc::new(Clock { started: Instant::now(), finished: OnceLock::new() })
    }

    /// Stops the clock (once; later calls keep the first end).
    pub(crate) fn finish(&self) {
        let _ = self.finished.set(Instant::now());
    }

    /// Seconds from start to the end, or to now while running.
    pub(crate) fn seconds(&self) -> f64 {
        self.finished.get().copied().unwrap_or_else(Instant::now).duration_since(self.started).as_secs_f64()
    }
}

/// The type of a checked metric.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Counter,
    Gauge(GaugeOperation),
    Realtime,
    Histogram(Vec<f64>),
}

impl Kind {
    fn of(p: &Prometheus) -> Result<Kind, String> {
        let given: Vec<&str> =
            [("gauge", p.gauge.is_some()), ("histogram", p.histogram.is_some()), ("counter", p.counter.is_some())]
                .into_iter()
                .filter_map(|(name, set)| set.then_some(name))
                .collect();
        match given.as_slice() {
            [] => Err("it has no type: give one of `gauge`, `histogram` or `counter`".into()),
            [_] => Ok(match (&p.gauge, &p.histogram) {
                (Some(g), _) if g.realtime => Kind::Realtime,
                (Some(g), _) => Kind::Gauge(g.operation),
                (_, Some(h)) => Kind::Histogram(h.buckets.clone()),
                _ => Kind::Counter,
            }),
            many => Err(format!("it gives {}: a metric has one type", many.join(" and "))),
        }
    }

    fn spec_kind(&self) -> SpecKind {
        match self {
            Kind::Counter => SpecKind::Counter,
            Kind::Gauge(_) => SpecKind::Gauge,
            Kind::Realtime => SpecKind::RealtimeGauge,
            Kind::Histogram(buckets) => SpecKind::histogram(buckets.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Kind::Counter => "a counter".into(),
            Kind::Gauge(_) => "a gauge".into(),
            Kind::Realtime => "a real-time gauge".into(),
            Kind::Histogram(b) => format!("a histogram with buckets {b:?}"),
        }
    }

    /// Whether two entries of one name may share a family (gauge operations may differ).
    fn same_family(&self, other: &Kind) -> bool {
        match (self, other) {
            (Kind::Gauge(_), Kind::Gauge(_)) => true,
            (a, b) => a == b,
        }
    }
}

/// A metric entry, checked, ready to be emitted.
#[derive(Debug, Clone)]
pub(crate) struct Definition {
    origin: Origin,
    spec: Prometheus,
    kind: Kind,
}

impl Definition {
    /// Whether it is a real-time gauge (emitted at the start).
    pub(crate) fn realtime(&self) -> bool {
        self.kind == Kind::Realtime
    }
}

/// The checked metrics of one workflow document.
#[derive(Debug, Default)]
pub(crate) struct WorkflowPlan {
    /// `spec.metrics`.
    pub(crate) workflow: Vec<Definition>,
    /// Each template's `metrics`, by template index.
    pub(crate) templates: Vec<Vec<Definition>>,
}

/// What one entry resolves to with a scope.
struct Resolved {
    /// The name as written, substituted (for messages).
    name: String,
    full_name: String,
    help: String,
    labels: Vec<(String, String)>,
    when: String,
}

/// One family of custom metrics: what a later entry of its name must agree with.
struct Family {
    family: DynamicFamily,
    help: String,
    kind: Kind,
    labels: Vec<String>,
}

/// The owner of a real-time series: the workflow that set it last, and when.
struct RealtimeOwner {
    uid: String,
    set_at: Instant,
}

/// The custom metrics of every workflow, in one dynamic set.
pub(crate) struct CustomMetrics {
    set: Arc<DynamicMetrics>,
    ttl: Option<Duration>,
    families: Mutex<HashMap<String, Family>>,
    realtime: Mutex<HashMap<(String, Vec<String>), RealtimeOwner>>,
}

impl fmt::Debug for CustomMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomMetrics").field("families", &self.set.names()).field("ttl", &self.ttl).finish()
    }
}

/// Argo's rule for a metric name as written: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn valid_argo_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Prometheus' rule for a label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting `__`.
fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// Resolves the name, help, labels and `when` of `spec` with `scope`, checking the names.
fn resolve(spec: &Prometheus, scope: &Scope) -> Result<Resolved, String> {
    let name = expr::substitute(&spec.name, scope)?;
    if !valid_argo_name(&name) {
        let which = if name == spec.name { "the name".to_owned() } else { format!("the name (`{name}` in a run)") };
        return Err(format!(
            "{which} is invalid: metric names may only contain alphanumeric characters, `_` or `:`, and may not \
             start with a digit"
        ));
    }
    let help = expr::substitute(&spec.help, scope)?;
    if help.is_empty() {
        return Err("it must have a help string under `help:`".into());
    }
    let mut labels = Vec::with_capacity(spec.labels.len());
    for label in &spec.labels {
        let key = expr::substitute(&label.key, scope)?;
        if !valid_label_name(&key) {
            return Err(format!(
                "label `{key}` is invalid: label names are letters, digits and `_`, not starting with a digit or `__`"
            ));
        }
        if labels.iter().any(|(k, _)| *k == key) {
            return Err(format!("label `{key}` is given twice"));
        }
        labels.push((key, expr::substitute(&label.value, scope)?));
    }
    labels.sort();
    let when = expr::substitute(&spec.when, scope).map_err(|e| format!("when: {e}"))?;
    Ok(Resolved { full_name: format!("{PREFIX}{name}"), name, help, labels, when })
}

/// The value field of a non-real-time entry.
fn value_text(spec: &Prometheus) -> &str {
    match (&spec.gauge, &spec.histogram, &spec.counter) {
        (Some(g), _, _) => &g.value,
        (_, Some(h), _) => &h.value,
        (_, _, Some(c)) => &c.value,
        _ => "",
    }
}

/// Reads a substituted value as Argo does (`strconv.ParseFloat`).
fn parse_value(text: &str, kind: &Kind) -> Result<f64, String> {
    let v: f64 = text.trim().parse().map_err(|_| format!("value `{text}` is not a number"))?;
    if *kind == Kind::Counter && !(v >= 0.0 && v.is_finite()) {
        return Err(format!("counter value `{text}` is negative or not finite; a counter only goes up"));
    }
    Ok(v)
}

impl CustomMetrics {
    /// Custom metrics in `set`; `ttl` drops series not updated for that long.
    pub(crate) fn new(set: Arc<DynamicMetrics>, ttl: Option<Duration>) -> CustomMetrics {
        CustomMetrics { set, ttl, families: Mutex::default(), realtime: Mutex::default() }
    }

    /// Checks every metric of `workflows` and defines their families. Each error names the document, the
    /// workflow, the template and the metric; with `ignore_errors` they are logged and the entries
    /// skipped, else returned.
    pub(crate) fn plan(&self, workflows: &[Workflow], ignore_errors: bool) -> Result<Vec<WorkflowPlan>, Vec<String>> {
        let mut errors = Vec::new();
        let mut report = |message: String| {
            if ignore_errors {
                tracing::warn!("ignoreErrors is set, so skipping a bad metric: {message}");
            } else {
                errors.push(message);
            }
        };
        // Every entry, checked alone: (document, template, definition, resolved with stand-in values).
        let mut checked: Vec<(usize, Option<usize>, Definition, Resolved)> = Vec::new();
        for (i, wf) in workflows.iter().enumerate() {
            let globals = stand_in_globals(wf);
            let levels = std::iter::once((None, wf.spec.metrics.as_ref()))
                .chain(wf.spec.templates.iter().enumerate().map(|(t, tmpl)| (Some(t), tmpl.metrics.as_ref())));
            for (template, metrics) in levels {
                let origin = Origin {
                    document: i + 1,
                    workflow: wf.name_prefix(),
                    template: template.map(|t| wf.spec.templates[t].name.clone()),
                };
                let scope = match template {
                    None => {
                        stand_in_node_scope(&globals, wf.template(&wf.spec.entrypoint).map(|t| &wf.spec.templates[t]))
                    }
                    Some(t) => stand_in_node_scope(&globals, Some(&wf.spec.templates[t])),
                };
                for value in metrics.map(|m| m.prometheus.as_slice()).unwrap_or_default() {
                    let spec = match Prometheus::read(value) {
                        Ok(spec) => spec,
                        Err(e) => {
                            report(format!("{origin}: {e}"));
                            continue;
                        }
                    };
                    match check(&spec, &scope, template.is_none()) {
                        Ok((kind, resolved)) => {
                            checked.push((i, template, Definition { origin: origin.clone(), spec, kind }, resolved))
                        }
                        Err(e) => report(format!("{origin}: metric `{}`: {e}", spec.name)),
                    }
                }
            }
        }
        // One name, one help, one type, one set of buckets; labels are the union of the entries'.
        let mut first: BTreeMap<String, usize> = BTreeMap::new();
        let mut labels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut kept = Vec::with_capacity(checked.len());
        for (n, (_, _, def, resolved)) in checked.iter().enumerate() {
            if let Some(&f) = first.get(&resolved.full_name) {
                let (_, _, first_def, first_resolved) = &checked[f];
                let reason = if first_resolved.help != resolved.help {
                    Some(format!(
                        "its help {:?} differs from {:?}, given to `{}` in {}: metrics of one name must have \
                         the same help (a Prometheus requirement)",
                        resolved.help, first_resolved.help, resolved.name, first_def.origin
                    ))
                } else if !first_def.kind.same_family(&def.kind) {
                    Some(format!(
                        "it is {}, but `{}` is {} in {}: one name has one type and one set of buckets",
                        def.kind.describe(),
                        resolved.name,
                        first_def.kind.describe(),
                        first_def.origin
                    ))
                } else {
                    None
                };
                if let Some(reason) = reason {
                    report(format!("{}: metric `{}`: {reason}", def.origin, resolved.name));
                    continue;
                }
            } else {
                first.insert(resolved.full_name.clone(), n);
            }
            labels
                .entry(resolved.full_name.clone())
                .or_default()
                .extend(resolved.labels.iter().map(|(k, _)| k.clone()));
            kept.push(n);
        }
        let mut refused: BTreeSet<String> = BTreeSet::new();
        for (full_name, &f) in &first {
            let (_, _, def, resolved) = &checked[f];
            let names: Vec<String> = labels[full_name].iter().cloned().collect();
            if let Err(e) = self.family(full_name, &resolved.help, &def.kind, &names) {
                for &n in kept.iter().filter(|&&n| checked[n].3.full_name == *full_name) {
                    report(format!("{}: metric `{}`: {e}", checked[n].2.origin, checked[n].3.name));
                }
                refused.insert(full_name.clone());
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut plans: Vec<WorkflowPlan> = workflows
            .iter()
            .map(|wf| WorkflowPlan { workflow: Vec::new(), templates: vec![Vec::new(); wf.spec.templates.len()] })
            .collect();
        for n in kept {
            let (doc, template, def, resolved) = &checked[n];
            if refused.contains(&resolved.full_name) {
                continue;
            }
            match template {
                None => plans[*doc].workflow.push(def.clone()),
                Some(t) => plans[*doc].templates[*t].push(def.clone()),
            }
        }
        Ok(plans)
    }

    /// The family `full_name`, defined with `labels` (sorted) unless it is there already, and its label
    /// names. An existing family must have the same help and type, and every one of `labels`.
    fn family(
        &self,
        full_name: &str,
        help: &str,
        kind: &Kind,
        labels: &[String],
    ) -> Result<(DynamicFamily, Vec<String>), String> {
        let mut families = lock(&self.families);
        if let Some(existing) = families.get(full_name) {
            if existing.help != help {
                return Err(format!(
                    "its help {help:?} differs from {:?}, the help this name has already",
                    existing.help
                ));
            }
            if !existing.kind.same_family(kind) {
                return Err(format!("it is {}, but the name is {} already", kind.describe(), existing.kind.describe()));
            }
            if let Some(extra) = labels.iter().find(|k| !existing.labels.contains(k)) {
                return Err(format!("label `{extra}` is not one of the labels {:?} this name has", existing.labels));
            }
            return Ok((existing.family.clone(), existing.labels.clone()));
        }
        let mut spec = MetricSpec::new(full_name, help, kind.spec_kind())
            .labels(labels.iter().cloned())
            .policy(Policy::PERMISSIVE);
        if let (Some(ttl), false) = (self.ttl, *kind == Kind::Realtime) {
            spec = spec.ttl(ttl);
        }
        let family = self.set.define(&spec).map_err(|e| match e {
            DefineError::Invalid { error, .. } => error.to_string(),
            other => other.to_string(),
        })?;
        let entry =
            Family { family: family.clone(), help: help.to_owned(), kind: kind.clone(), labels: labels.to_vec() };
        families.insert(full_name.to_owned(), entry);
        Ok((family, labels.to_vec()))
    }

    /// Emits `defs` (the real-time ones when `realtime`, else the others) with `scope`; real-time gauges
    /// read `clocks` (`duration`, `workflow.duration`) and are owned by workflow `uid`.
    pub(crate) fn emit(
        &self,
        defs: &[Definition],
        scope: &Scope,
        clocks: &[(&str, &Arc<Clock>)],
        uid: &str,
        realtime: bool,
    ) {
        for def in defs.iter().filter(|d| d.realtime() == realtime) {
            if let Err(e) = self.emit_one(def, scope, clocks, uid) {
                tracing::warn!("{}: metric `{}` not emitted: {e}", def.origin, def.spec.name);
            }
        }
    }

    fn emit_one(
        &self,
        def: &Definition,
        scope: &Scope,
        clocks: &[(&str, &Arc<Clock>)],
        uid: &str,
    ) -> Result<(), String> {
        let r = resolve(&def.spec, scope)?;
        if !expr::evaluate(&r.when).map_err(|e| format!("when `{}`: {e}", def.spec.when))? {
            return Ok(());
        }
        let keys: Vec<String> = r.labels.iter().map(|(k, _)| k.clone()).collect();
        let (family, names) = self.family(&r.full_name, &r.help, &def.kind, &keys)?;
        let values: Vec<String> = names
            .iter()
            .map(|n| r.labels.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default())
            .collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        match (&family, &def.kind) {
            (DynamicFamily::Realtime(gauges), Kind::Realtime) => {
                let var = def.spec.gauge.as_ref().and_then(|g| expr::sole_variable(&g.value)).unwrap_or_default();
                let clock = clocks.iter().find(|(name, _)| *name == var).map(|(_, c)| Arc::clone(c));
                let clock =
                    clock.ok_or_else(|| format!("`{{{{{var}}}}}` is not available as a real-time metric here"))?;
                gauges.set(&refs, move || clock.seconds());
                lock(&self.realtime)
                    .insert((r.full_name, values), RealtimeOwner { uid: uid.to_owned(), set_at: Instant::now() });
            }
            (DynamicFamily::Counter(counters), Kind::Counter) => {
                let v = parse_value(&expr::substitute(value_text(&def.spec), scope)?, &def.kind)?;
                counters.get(&refs).inc_by(v);
            }
            (DynamicFamily::Gauge(gauges), Kind::Gauge(op)) => {
                let v = parse_value(&expr::substitute(value_text(&def.spec), scope)?, &def.kind)?;
                let gauge = gauges.get(&refs);
                match op {
                    GaugeOperation::Set => gauge.set(v),
                    GaugeOperation::Add => gauge.add(v),
                    GaugeOperation::Sub => gauge.sub(v),
                }
            }
            (DynamicFamily::Histogram(histograms), Kind::Histogram(_)) => {
                let v = parse_value(&expr::substitute(value_text(&def.spec), scope)?, &def.kind)?;
                if !v.is_finite() {
                    return Err(format!("histogram value {v} is not finite"));
                }
                histograms.get(&refs).observe(v);
            }
            _ => return Err(format!("`{}` is defined with another type", r.full_name)),
        }
        Ok(())
    }

    /// A workflow completed: its real-time series keep their last value, and with a TTL go that long after
    /// they were set (Argo's collector drops completed real-time metrics older than `metricsTTL`).
    pub(crate) fn stop_realtime(self: &Arc<Self>, uid: &str) {
        let Some(ttl) = self.ttl else { return };
        let owned: Vec<((String, Vec<String>), Instant)> =
            lock(&self.realtime).iter().filter(|(_, o)| o.uid == uid).map(|(k, o)| (k.clone(), o.set_at)).collect();
        for (key, set_at) in owned {
            let this = Arc::clone(self);
            let uid = uid.to_owned();
            tokio::spawn(async move {
                tokio::time::sleep_until((set_at + ttl).max(Instant::now()).into()).await;
                this.remove_realtime(&key, |o| o.uid == uid && o.set_at == set_at);
            });
        }
    }

    /// A workflow was deleted: its real-time series go with it.
    pub(crate) fn delete_realtime(&self, uid: &str) {
        let keys: Vec<(String, Vec<String>)> =
            lock(&self.realtime).iter().filter(|(_, o)| o.uid == uid).map(|(k, _)| k.clone()).collect();
        for key in keys {
            self.remove_realtime(&key, |o| o.uid == uid);
        }
    }

    fn remove_realtime(&self, key: &(String, Vec<String>), still: impl Fn(&RealtimeOwner) -> bool) {
        let mut owners = lock(&self.realtime);
        if !owners.get(key).is_some_and(still) {
            return; // a later run set the series again
        }
        owners.remove(key);
        if let Some(Family { family: DynamicFamily::Realtime(gauges), .. }) = lock(&self.families).get(&key.0) {
            let values: Vec<&str> = key.1.iter().map(String::as_str).collect();
            gauges.remove(&values);
        }
    }
}

/// Checks one entry with stand-in values: its type, name, help, labels, `when` and value.
fn check(spec: &Prometheus, scope: &Scope, workflow_level: bool) -> Result<(Kind, Resolved), String> {
    let kind = Kind::of(spec)?;
    let resolved = resolve(spec, scope)?;
    expr::evaluate(&resolved.when).map_err(|e| format!("when `{}`: {e}", spec.when))?;
    match &kind {
        Kind::Realtime => {
            let value = value_text(spec);
            let Some(var) = expr::sole_variable(value) else {
                return Err(format!(
                    "real-time value `{value}` must be one variable, such as `{{{{duration}}}}` (a real-time \
                     gauge reads a clock, not a literal)"
                ));
            };
            let allowed: &[&str] = if workflow_level { &REALTIME_WORKFLOW } else { &REALTIME_TEMPLATE };
            if !allowed.contains(&var) {
                let allowed: Vec<String> = allowed.iter().map(|v| format!("{{{{{v}}}}}")).collect();
                return Err(format!(
                    "`{{{{{var}}}}}` is not available as a real-time metric here (only {})",
                    allowed.join(" and ")
                ));
            }
        }
        _ => {
            let value = value_text(spec);
            let substituted = expr::substitute(value, scope)?;
            if !value.contains("{{") {
                parse_value(&substituted, &kind)?;
            }
        }
    }
    Ok((kind, resolved))
}

/// Formats a time as RFC 3339 in UTC, as Kubernetes writes `creationTimestamp`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

/// What the global variables of one run are made of.
#[derive(Debug)]
pub(crate) struct RunVars<'a> {
    pub(crate) workflow: &'a Workflow,
    pub(crate) name: &'a str,
    pub(crate) uid: &'a str,
    pub(crate) created: SystemTime,
    /// The workflow's phase.
    pub(crate) status: &'a str,
    /// Seconds since it started.
    pub(crate) duration: f64,
    /// Outputs exported with `globalName`.
    pub(crate) outputs: &'a BTreeMap<String, String>,
}

/// The global variables (`workflow.*`) of a run.
pub(crate) fn global_scope(run: &RunVars<'_>) -> Scope {
    let wf = run.workflow;
    let mut scope = Scope::new();
    let mut put = |k: String, v: String| {
        scope.insert(k, v);
    };
    put("workflow.name".into(), run.name.to_owned());
    put("workflow.namespace".into(), wf.metadata.namespace.clone().unwrap_or_else(|| "argo".into()));
    put("workflow.uid".into(), run.uid.to_owned());
    put("workflow.mainEntrypoint".into(), wf.spec.entrypoint.clone());
    put("workflow.serviceAccountName".into(), wf.spec.service_account_name.clone().unwrap_or_else(|| "default".into()));
    put("workflow.creationTimestamp".into(), rfc3339(run.created));
    put("workflow.status".into(), run.status.to_owned());
    put("workflow.duration".into(), expr::seconds(run.duration));
    let mut params = serde_json::Map::new();
    for p in &wf.spec.arguments.parameters {
        let value = p.value.clone().or_else(|| p.default.clone()).unwrap_or_default();
        params.insert(p.name.clone(), value.clone().into());
        put(format!("workflow.parameters.{}", p.name), value);
    }
    let params = serde_json::Value::Object(params).to_string();
    put("workflow.parameters".into(), params.clone());
    put("workflow.parameters.json".into(), params);
    for (what, map) in [("labels", &wf.metadata.labels), ("annotations", &wf.metadata.annotations)] {
        for (k, v) in map {
            put(format!("workflow.{what}.{k}"), v.clone());
        }
        put(format!("workflow.{what}.json"), serde_json::to_string(map).unwrap_or_default());
    }
    for (k, v) in run.outputs {
        put(format!("workflow.outputs.parameters.{k}"), v.clone());
    }
    scope
}

/// What a node's variables are made of.
#[derive(Debug)]
pub(crate) struct NodeVars<'a> {
    pub(crate) status: &'a str,
    pub(crate) duration: f64,
    pub(crate) inputs: &'a [(String, String)],
    pub(crate) outputs: &'a [(String, String)],
    pub(crate) exit_code: Option<&'a str>,
    pub(crate) result: Option<&'a str>,
}

/// A node's variables (`status`, `duration`, `inputs.parameters.*`, `outputs.*`, ...) over `globals`.
pub(crate) fn node_scope(globals: &Scope, node: &NodeVars<'_>) -> Scope {
    let mut scope = globals.clone();
    scope.insert("status".into(), node.status.to_owned());
    scope.insert("duration".into(), expr::seconds(node.duration));
    scope.insert("resourcesDuration.cpu".into(), "0".into());
    scope.insert("resourcesDuration.memory".into(), "0".into());
    for (k, v) in node.inputs {
        scope.insert(format!("inputs.parameters.{k}"), v.clone());
    }
    for (k, v) in node.outputs {
        scope.insert(format!("outputs.parameters.{k}"), v.clone());
    }
    if let Some(code) = node.exit_code {
        scope.insert("exitCode".into(), code.to_owned());
    }
    if let Some(result) = node.result {
        scope.insert("outputs.result".into(), result.to_owned());
    }
    scope
}

/// Global variables with stand-in values, for checking definitions before any run.
fn stand_in_globals(wf: &Workflow) -> Scope {
    let outputs: BTreeMap<String, String> = wf
        .spec
        .templates
        .iter()
        .flat_map(|t| &t.outputs.parameters)
        .filter_map(|p| p.global_name.clone().map(|g| (g, "0".to_owned())))
        .collect();
    let name = format!("{}abcde", wf.name_prefix());
    global_scope(&RunVars {
        workflow: wf,
        name: &name,
        uid: "00000000-0000-0000-0000-000000000000",
        created: SystemTime::UNIX_EPOCH,
        status: "Succeeded",
        duration: 0.0,
        outputs: &outputs,
    })
}

/// A node's variables with stand-in values: what a run of `template` would give them.
fn stand_in_node_scope(globals: &Scope, template: Option<&Template>) -> Scope {
    let inputs: Vec<(String, String)> = template
        .map(|t| &t.inputs.parameters)
        .into_iter()
        .flatten()
        .map(|p| (p.name.clone(), p.value.clone().or_else(|| p.default.clone()).unwrap_or_else(|| "0".into())))
        .collect();
    let outputs: Vec<(String, String)> = template
        .map(|t| &t.outputs.parameters)
        .into_iter()
        .flatten()
        .map(|p| (p.name.clone(), "0".to_owned()))
        .collect();
    let leaf = template.is_some_and(|t| t.steps.is_none() && t.dag.is_none());
    node_scope(
        globals,
        &NodeVars {
            status: "Succeeded",
            duration: 0.0,
            inputs: &inputs,
            outputs: &outputs,
            exit_code: leaf.then_some("0"),
            result: leaf.then_some("0"),
        },
    )
}
