//! The part of Grafana's dashboard JSON model that `dashboard.rs` writes, typed: each struct serialises
//! its keys in the order declared, whatever features of `serde_json` another crate turns on, so the
//! output stays byte-stable. Field names follow Grafana's (camelCase).

use serde::Serialize;

use super::dashboard::DATASOURCE_VARIABLE;

/// A dashboard: the root of the file.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Dashboard {
    pub(super) annotations: Annotations,
    pub(super) editable: bool,
    pub(super) fiscal_year_start_month: u32,
    pub(super) graph_tooltip: u32,
    /// `null`: Grafana assigns the numeric id on import; the `uid` identifies the dashboard.
    pub(super) id: Option<u32>,
    pub(super) links: Vec<()>,
    pub(super) panels: Vec<Panel>,
    pub(super) refresh: &'static str,
    pub(super) schema_version: u32,
    pub(super) tags: Vec<&'static str>,
    pub(super) templating: Templating,
    pub(super) time: TimeRange,
    pub(super) timepicker: Empty,
    pub(super) timezone: &'static str,
    pub(super) title: String,
    pub(super) uid: String,
    pub(super) version: u32,
    pub(super) week_start: &'static str,
}

#[derive(Serialize)]
pub(super) struct Empty {}

#[derive(Serialize)]
pub(super) struct Annotations {
    pub(super) list: Vec<Annotation>,
}

/// Grafana's built-in annotation query, which every dashboard it saves carries.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Annotation {
    pub(super) built_in: u32,
    pub(super) datasource: DataSourceRef,
    pub(super) enable: bool,
    pub(super) hide: bool,
    pub(super) icon_color: &'static str,
    pub(super) name: &'static str,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

/// Which data source a panel, query or variable reads.
#[derive(Serialize, Clone)]
pub(super) struct DataSourceRef {
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
    pub(super) uid: String,
}

impl DataSourceRef {
    pub(super) fn prometheus() -> DataSourceRef {
        DataSourceRef { kind: "prometheus", uid: format!("${{{DATASOURCE_VARIABLE}}}") }
    }
}

#[derive(Serialize)]
pub(super) struct TimeRange {
    pub(super) from: &'static str,
    pub(super) to: &'static str,
}

/// A panel's place in the 24-column grid.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct GridPos {
    pub(super) h: u32,
    pub(super) w: u32,
    pub(super) x: u32,
    pub(super) y: u32,
}

/// A row or a panel.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Panel {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) collapsed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) datasource: Option<DataSourceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) field_config: Option<FieldConfig>,
    pub(super) grid_pos: GridPos,
    pub(super) id: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) options: Option<PanelOptions>,
    /// A row's collapsed panels: none, the row being open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) panels: Option<Vec<()>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) targets: Vec<Target>,
    pub(super) title: String,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

#[derive(Serialize)]
pub(super) struct FieldConfig {
    pub(super) defaults: FieldDefaults,
    pub(super) overrides: Vec<()>,
}

#[derive(Serialize)]
pub(super) struct FieldDefaults {
    pub(super) unit: String,
}

#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum PanelOptions {
    TimeSeries { legend: Legend, tooltip: Tooltip },
    Table(TableOptions),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Legend {
    pub(super) calcs: Vec<&'static str>,
    pub(super) display_mode: &'static str,
    pub(super) placement: &'static str,
    pub(super) show_legend: bool,
}

#[derive(Serialize)]
pub(super) struct Tooltip {
    pub(super) mode: &'static str,
    pub(super) sort: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TableOptions {
    pub(super) show_header: bool,
}

/// One query of a panel.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Target {
    pub(super) datasource: DataSourceRef,
    pub(super) editor_mode: &'static str,
    pub(super) expr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) format: Option<&'static str>,
    pub(super) instant: bool,
    pub(super) legend_format: String,
    pub(super) range: bool,
    pub(super) ref_id: String,
}

#[derive(Serialize)]
pub(super) struct Templating {
    pub(super) list: Vec<Variable>,
}

/// A template variable.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Variable {
    pub(super) current: Current,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) datasource: Option<DataSourceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) definition: Option<String>,
    pub(super) hide: u32,
    pub(super) include_all: bool,
    pub(super) label: String,
    pub(super) multi: bool,
    pub(super) name: String,
    pub(super) options: Vec<VariableOption>,
    pub(super) query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) refresh: Option<u32>,
    pub(super) regex: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) sort: Option<u32>,
    #[serde(rename = "type")]
    pub(super) kind: &'static str,
}

/// A variable's selection: empty for the data source (Grafana takes the default one), "All" otherwise.
#[derive(Serialize, Default)]
pub(super) struct Current {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) selected: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) text: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) value: Option<Vec<&'static str>>,
}

impl Current {
    pub(super) fn all() -> Current {
        Current { selected: Some(true), text: Some(vec!["All"]), value: Some(vec!["$__all"]) }
    }
}

#[derive(Serialize)]
pub(super) struct VariableOption {
    pub(super) selected: bool,
    pub(super) text: String,
    pub(super) value: String,
}
