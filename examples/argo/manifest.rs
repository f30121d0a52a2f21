//! Argo Workflow manifests, the part of the `argoproj.io/v1alpha1` schema the simulator reads: metadata,
//! `spec.entrypoint`, `spec.arguments`, `spec.metrics.prometheus`, `spec.ttlStrategy` and the templates
//! (their `metrics`, `inputs`, `outputs`, `steps`, `dag` and annotations). Fields Argo has and the
//! simulator does not use (`container`, `podGC`, ...) are accepted and ignored, as a controller ignores
//! what it does not act on; a metric definition, though, is read strictly, so a typo in one is an error
//! naming the metric.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// One `kind: Workflow` document.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Workflow {
    /// `argoproj.io/v1alpha1`.
    pub(crate) api_version: String,
    /// `Workflow`.
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) metadata: ObjectMeta,
    pub(crate) spec: WorkflowSpec,
}

/// The Kubernetes metadata Argo's variables read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectMeta {
    pub(crate) name: Option<String>,
    pub(crate) generate_name: Option<String>,
    pub(crate) namespace: Option<String>,
    #[serde(default)]
    pub(crate) labels: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
}

/// `spec` of a Workflow.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkflowSpec {
    pub(crate) entrypoint: String,
    #[serde(default)]
    pub(crate) arguments: Arguments,
    pub(crate) metrics: Option<Metrics>,
    #[serde(default)]
    pub(crate) templates: Vec<Template>,
    pub(crate) ttl_strategy: Option<TtlStrategy>,
    pub(crate) service_account_name: Option<String>,
}

/// `arguments` of a workflow, a step or a task.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Arguments {
    #[serde(default)]
    pub(crate) parameters: Vec<Parameter>,
}

/// An input or output parameter.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Parameter {
    pub(crate) name: String,
    #[serde(default, deserialize_with = "scalar")]
    pub(crate) value: Option<String>,
    #[serde(default, deserialize_with = "scalar")]
    pub(crate) default: Option<String>,
    /// Exports an output as `workflow.outputs.parameters.<globalName>`.
    pub(crate) global_name: Option<String>,
}

/// `metrics:` on a workflow or a template. Each entry is kept as YAML until it is read on its own, so that
/// an error in it can name the metric.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Metrics {
    #[serde(default)]
    pub(crate) prometheus: Vec<serde_norway::Value>,
}

/// One custom metric, `metrics.prometheus[]`, as Argo's `Prometheus` type defines it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Prometheus {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) labels: Vec<MetricLabel>,
    #[serde(default)]
    pub(crate) help: String,
    #[serde(default)]
    pub(crate) when: String,
    pub(crate) gauge: Option<GaugeSpec>,
    pub(crate) histogram: Option<HistogramSpec>,
    pub(crate) counter: Option<CounterSpec>,
}

/// `labels[]`: a key and a value, either of which may hold Argo variables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricLabel {
    pub(crate) key: String,
    #[serde(deserialize_with = "required_scalar")]
    pub(crate) value: String,
}

/// `gauge:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GaugeSpec {
    #[serde(deserialize_with = "required_scalar")]
    pub(crate) value: String,
    /// Read at each scrape while the workflow or step runs.
    #[serde(default)]
    pub(crate) realtime: bool,
    /// `Set` (the default), `Add` or `Sub`.
    #[serde(default)]
    pub(crate) operation: GaugeOperation,
}

/// How a gauge's value is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
pub(crate) enum GaugeOperation {
    #[default]
    Set,
    Add,
    Sub,
}

/// `histogram:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistogramSpec {
    #[serde(deserialize_with = "required_scalar")]
    pub(crate) value: String,
    pub(crate) buckets: Vec<f64>,
}

/// `counter:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CounterSpec {
    #[serde(deserialize_with = "required_scalar")]
    pub(crate) value: String,
}

/// `ttlStrategy`: how long a finished workflow stays before the controller deletes it.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TtlStrategy {
    pub(crate) seconds_after_completion: Option<u32>,
    pub(crate) seconds_after_success: Option<u32>,
    pub(crate) seconds_after_failure: Option<u32>,
}

/// A template. One with `steps` or `dag` runs its children; any other kind runs as one simulated pod.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Template {
    pub(crate) name: String,
    pub(crate) metrics: Option<Metrics>,
    #[serde(default)]
    pub(crate) inputs: Io,
    #[serde(default)]
    pub(crate) outputs: Io,
    pub(crate) steps: Option<Vec<Vec<Step>>>,
    pub(crate) dag: Option<Dag>,
    #[serde(default)]
    pub(crate) metadata: TemplateMeta,
}

/// `inputs` or `outputs` of a template.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Io {
    #[serde(default)]
    pub(crate) parameters: Vec<Parameter>,
}

/// A template's pod metadata; the simulator reads its own annotations there (see `main.rs`).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TemplateMeta {
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
}

/// One step of a `steps` template.
#[derive(Debug, Deserialize)]
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) template: String,
    #[serde(default)]
    pub(crate) arguments: Arguments,
}

/// A `dag` template.
#[derive(Debug, Deserialize)]
pub(crate) struct Dag {
    pub(crate) tasks: Vec<Task>,
}

/// One task of a `dag`.
#[derive(Debug, Deserialize)]
pub(crate) struct Task {
    pub(crate) name: String,
    pub(crate) template: String,
    #[serde(default)]
    pub(crate) dependencies: Vec<String>,
    #[serde(default)]
    pub(crate) arguments: Arguments,
}

impl Workflow {
    /// The name each run's name starts with: `generateName`, or `name` and a dash.
    pub(crate) fn name_prefix(&self) -> String {
        match (&self.metadata.generate_name, &self.metadata.name) {
            (Some(prefix), _) => prefix.clone(),
            (None, Some(name)) => format!("{name}-"),
            (None, None) => "workflow-".to_owned(),
        }
    }

    /// The index of the template named `name`.
    pub(crate) fn template(&self, name: &str) -> Option<usize> {
        self.spec.templates.iter().position(|t| t.name == name)
    }
}

impl Prometheus {
    /// Reads one `metrics.prometheus[]` entry; an error names the metric when the entry has a name.
    pub(crate) fn read(value: &serde_norway::Value) -> Result<Prometheus, String> {
        Prometheus::deserialize(value.clone()).map_err(|e| {
            match value.get("name").and_then(serde_norway::Value::as_str) {
                Some(name) => format!("metric `{name}`: {e}"),
                None => format!("a metric: {e}"),
            }
        })
    }
}

/// Reads every document of a multi-document YAML file as a Workflow.
pub(crate) fn load(path: &Path) -> Result<Vec<Workflow>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut workflows = Vec::new();
    for (i, document) in serde_norway::Deserializer::from_str(&text).enumerate() {
        let value = serde_norway::Value::deserialize(document)
            .map_err(|e| format!("{}: document {}: {e}", path.display(), i + 1))?;
        if value.is_null() {
            continue; // an empty document, such as a trailing `---`
        }
        let workflow =
            Workflow::deserialize(value).map_err(|e| format!("{}: document {}: {e}", path.display(), i + 1))?;
        if workflow.kind != "Workflow" || !workflow.api_version.starts_with("argoproj.io/") {
            return Err(format!(
                "{}: document {}: `{}` `{}` is not an Argo Workflow (apiVersion: argoproj.io/v1alpha1, kind: Workflow)",
                path.display(),
                i + 1,
                workflow.api_version,
                workflow.kind
            ));
        }
        workflows.push(workflow);
    }
    if workflows.is_empty() {
        return Err(format!("{}: no Workflow documents", path.display()));
    }
    Ok(workflows)
}

/// A YAML scalar (string, number or boolean) as the text Argo would read.
fn scalar_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_norway::Value::deserialize(deserializer)? {
        serde_norway::Value::String(s) => Ok(s),
        serde_norway::Value::Number(n) => Ok(n.to_string()),
        serde_norway::Value::Bool(b) => Ok(b.to_string()),
        other => Err(de::Error::custom(format!("expected a string or a number, found {other:?}"))),
    }
}

fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    scalar_text(deserializer).map(Some)
}

fn required_scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    scalar_text(deserializer)
}
