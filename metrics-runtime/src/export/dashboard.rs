//! `dashboard.json`: a Grafana dashboard (schema version 39, Grafana 10.3 and later import it). A row per
//! group, then a panel per family two to a line: counters' rates, histograms' p50, p90 and p99, gauges'
//! values, each broken down by the family's enum labels; infos as a table of their labels. Variables: the
//! Prometheus data source, `job`, and one per enum label (the union of its values across families).
//!
//! The JSON model is typed in `grafana.rs`, so the keys come out in a fixed order.

use std::collections::BTreeMap;

use super::Checked;
use super::grafana::{
    Annotation, Annotations, Current, Dashboard, DataSourceRef, Empty, FieldConfig, FieldDefaults, GridPos, Legend,
    Panel, PanelOptions, TableOptions, Target, Templating, TimeRange, Tooltip, Variable, VariableOption,
};
use super::promql::{self, JOB};
use crate::{FamilySchema, MetricType};

/// The schema version written: Grafana 10.3's, migrated forward by any later Grafana.
pub(super) const SCHEMA_VERSION: u32 = 39;
/// The quantiles a histogram's panel draws: the quantile, its legend and its query's `refId`.
const QUANTILES: [(f64, &str, &str); 3] = [(0.5, "p50", "A"), (0.9, "p90", "B"), (0.99, "p99", "C")];
/// Panel size in grid units (the grid is 24 wide).
const PANEL_WIDTH: u32 = 12;
const PANEL_HEIGHT: u32 = 8;
const GRID_WIDTH: u32 = 24;
/// The name of the data source variable, which every panel and query variable reads.
pub(super) const DATASOURCE_VARIABLE: &str = "datasource";

/// The dashboard of `checked`, pretty JSON ending in a newline.
pub(super) fn render(checked: &Checked<'_>) -> String {
    let mut panels = Vec::new();
    let mut next_id = 1;
    let mut y = 0;
    for group in &checked.groups {
        panels.push(Panel {
            collapsed: Some(false),
            datasource: None,
            description: None,
            field_config: None,
            grid_pos: GridPos { h: 1, w: GRID_WIDTH, x: 0, y },
            id: next_id,
            options: None,
            panels: Some(Vec::new()),
            targets: Vec::new(),
            title: group.title.to_owned(),
            kind: "row",
        });
        next_id += 1;
        y += 1;
        let mut x = 0;
        for family in group.families {
            panels.push(family_panel(family, next_id, GridPos { h: PANEL_HEIGHT, w: PANEL_WIDTH, x, y }));
            next_id += 1;
            x += PANEL_WIDTH;
            if x >= GRID_WIDTH {
                x = 0;
                y += PANEL_HEIGHT;
            }
        }
        if x > 0 {
            y += PANEL_HEIGHT;
        }
    }
    let dashboard = Dashboard {
        annotations: Annotations {
            list: vec![Annotation {
                built_in: 1,
                datasource: DataSourceRef { kind: "grafana", uid: "-- Grafana --".to_owned() },
                enable: true,
                hide: true,
                icon_color: "rgba(0, 211, 255, 1)",
                name: "Annotations & Alerts",
                kind: "dashboard",
            }],
        },
        editable: true,
        fiscal_year_start_month: 0,
        graph_tooltip: 1,
        id: None,
        links: Vec::new(),
        panels,
        refresh: "30s",
        schema_version: SCHEMA_VERSION,
        tags: vec!["promstruct"],
        templating: Templating { list: variables(checked) },
        time: TimeRange { from: "now-6h", to: "now" },
        timepicker: Empty {},
        timezone: "browser",
        title: checked.title.to_owned(),
        uid: checked.uid.to_owned(),
        version: 1,
        week_start: "",
    };
    let mut json = serde_json::to_string_pretty(&dashboard).expect("a dashboard serialises: no map has other keys");
    json.push('\n');
    json
}

fn family_panel(family: &'static FamilySchema, id: u32, grid_pos: GridPos) -> Panel {
    let by = promql::enum_label_names(family);
    let filters = promql::variable_filters(family);
    let legend = |prefix: &str| {
        let mut parts: Vec<String> = prefix.split_whitespace().map(str::to_owned).collect();
        parts.extend(by.iter().map(|l| format!("{{{{{l}}}}}")));
        if parts.is_empty() { family.name().to_owned() } else { parts.join(" ") }
    };
    let target = |ref_id: &str, expr: String, legend_format: String| Target {
        datasource: DataSourceRef::prometheus(),
        editor_mode: "code",
        expr,
        format: None,
        instant: false,
        legend_format,
        range: true,
        ref_id: ref_id.to_owned(),
    };
    let (title, unit, targets) = match family.kind() {
        MetricType::Counter => {
            let expr = promql::sum_by(&by, &promql::selector(&promql::counter_rate_record(family), &filters));
            (format!("{} (per second)", family.name()), rate_unit(family.unit()), vec![target("A", expr, legend(""))])
        }
        MetricType::Gauge => {
            let expr = promql::sum_by(&by, &promql::selector(family.name(), &filters));
            (family.name().to_owned(), value_unit(family.unit()), vec![target("A", expr, legend(""))])
        }
        MetricType::Histogram => {
            // A native histogram's rate is a histogram itself; classic buckets are summed by `le`.
            let buckets = if promql::native_only(family) {
                promql::sum_by(&by, &promql::selector(&promql::native_rate_record(family), &filters))
            } else {
                let mut by_le = by.clone();
                by_le.push("le");
                promql::sum_by(&by_le, &promql::selector(&promql::bucket_rate_record(family), &filters))
            };
            // With native buckets too, a Prometheus that ingests the native histogram has no `_bucket`
            // series: the quantile is then read from the native histogram's rate.
            let native = (family.native().is_some() && !promql::native_only(family)).then(|| {
                promql::sum_by(
                    &by,
                    &promql::rate(&promql::selector(family.name(), &filters), promql::PANEL_WINDOW_SECS),
                )
            });
            let targets = QUANTILES
                .iter()
                .map(|&(q, percentile, ref_id)| {
                    let classic = promql::histogram_quantile(q, &buckets);
                    let expr = match &native {
                        Some(native) => format!("({classic}) or ({})", promql::histogram_quantile(q, native)),
                        None => classic,
                    };
                    target(ref_id, expr, legend(percentile))
                })
                .collect();
            (format!("{} (p50, p90, p99)", family.name()), value_unit(family.unit()), targets)
        }
        MetricType::Info => {
            let expr = promql::selector(&family.sample_name(), &filters);
            let table =
                Target { format: Some("table"), instant: true, range: false, ..target("A", expr, String::new()) };
            let panel = Panel {
                collapsed: None,
                datasource: Some(DataSourceRef::prometheus()),
                description: Some(family.help()),
                field_config: Some(FieldConfig {
                    defaults: FieldDefaults { unit: "short".to_owned() },
                    overrides: vec![],
                }),
                grid_pos,
                id,
                options: Some(PanelOptions::Table(TableOptions { show_header: true })),
                panels: None,
                targets: vec![table],
                title: family.name().to_owned(),
                kind: "table",
            };
            return panel;
        }
    };
    Panel {
        collapsed: None,
        datasource: Some(DataSourceRef::prometheus()),
        description: Some(family.help()),
        field_config: Some(FieldConfig { defaults: FieldDefaults { unit }, overrides: Vec::new() }),
        grid_pos,
        id,
        options: Some(PanelOptions::TimeSeries {
            legend: Legend { calcs: Vec::new(), display_mode: "list", placement: "bottom", show_legend: true },
            tooltip: Tooltip { mode: "multi", sort: "desc" },
        }),
        panels: None,
        targets,
        title,
        kind: "timeseries",
    }
}

/// The Grafana unit of a value in `unit` (the base units the naming rules allow); a unit Grafana has
/// no id for is written as a suffix.
fn value_unit(unit: Option<&str>) -> String {
    match unit {
        None => "short",
        Some("seconds") => "s",
        Some("bytes") => "bytes",
        Some("ratio") => "percentunit",
        Some("celsius") => "celsius",
        Some("volts") => "volt",
        Some("amperes") => "amp",
        Some("joules") => "joule",
        Some("grams") => "massg",
        Some("meters") => "lengthm",
        Some("hertz") => "hertz",
        Some(other) => return format!("suffix: {other}"),
    }
    .to_owned()
}

/// The Grafana unit of a counter's per-second rate.
fn rate_unit(unit: Option<&str>) -> String {
    match unit {
        None => "ops".to_owned(),
        Some("bytes") => "Bps".to_owned(),
        Some(other) => format!("suffix: {other}/s"),
    }
}

/// The data source, `job` (its values read from the families' series), then one custom variable per
/// enum label, sorted by name, holding the union of the label's values across families in order of
/// first appearance.
fn variables(checked: &Checked<'_>) -> Vec<Variable> {
    let mut names: Vec<String> =
        checked.groups.iter().flat_map(|g| g.families.iter()).map(|f| promql::regex_escape(&f.sample_name())).collect();
    names.sort();
    names.dedup();
    let job_query = if names.is_empty() {
        format!("label_values({JOB})")
    } else {
        format!("label_values({{__name__=~{}}}, {JOB})", promql::string_literal(&names.join("|")))
    };
    let mut list = vec![
        Variable {
            current: Current::default(),
            datasource: None,
            definition: None,
            hide: 0,
            include_all: false,
            label: "Data source".to_owned(),
            multi: false,
            name: DATASOURCE_VARIABLE.to_owned(),
            options: Vec::new(),
            query: "prometheus".to_owned(),
            refresh: Some(1),
            regex: "",
            sort: None,
            kind: "datasource",
        },
        Variable {
            current: Current::all(),
            datasource: Some(DataSourceRef::prometheus()),
            definition: Some(job_query.clone()),
            hide: 0,
            include_all: true,
            label: JOB.to_owned(),
            multi: true,
            name: JOB.to_owned(),
            options: Vec::new(),
            query: job_query,
            refresh: Some(2),
            regex: "",
            sort: Some(1),
            kind: "query",
        },
    ];
    let mut labels: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
    for family in checked.groups.iter().flat_map(|g| g.families.iter()) {
        for label in promql::enum_labels(family) {
            let values = labels.entry(label.name()).or_default();
            for value in label.values().unwrap_or_default() {
                if !values.contains(value) {
                    values.push(value);
                }
            }
        }
    }
    for (name, values) in labels {
        let mut options = vec![VariableOption { selected: true, text: "All".to_owned(), value: "$__all".to_owned() }];
        options.extend(values.iter().map(|v| VariableOption {
            selected: false,
            text: v.to_string(),
            value: v.to_string(),
        }));
        list.push(Variable {
            current: Current::all(),
            datasource: None,
            definition: None,
            hide: 0,
            include_all: true,
            label: name.to_owned(),
            multi: true,
            name: name.to_owned(),
            options,
            // A custom variable's values are separated by commas; a comma inside one is escaped.
            query: values.iter().map(|v| v.replace(',', "\\,")).collect::<Vec<_>>().join(","),
            refresh: None,
            regex: "",
            sort: None,
            kind: "custom",
        });
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_map_to_grafanas_ids() {
        assert_eq!(value_unit(Some("seconds")), "s");
        assert_eq!(value_unit(None), "short");
        assert_eq!(value_unit(Some("widgets")), "suffix: widgets");
        assert_eq!(rate_unit(Some("bytes")), "Bps");
        assert_eq!(rate_unit(None), "ops");
        assert_eq!(rate_unit(Some("seconds")), "suffix: seconds/s");
    }
}
