//! Grafana dashboards, Prometheus recording rules, burn-rate alerts and their `promtool` tests, generated
//! from the [`FamilySchema`]s of `#[metrics]` structs (feature `export`).
//!
//! ```
//! use promstruct::prelude::*;
//! use promstruct::export::Observability;
//!
//! #[metrics(namespace = "shop")]
//! #[labels(Outcome { Paid = "paid", Declined = "declined" })]
//! pub struct ShopMetrics {
//!     /// Checkouts, by outcome.
//!     #[counter(labels(outcome: Outcome))]
//!     checkouts: Counter,
//! }
//!
//! let files = Observability::new("Shop", "shop").group("Checkout", ShopMetrics::FAMILIES);
//! let rules = files.rules_yaml().unwrap();
//! assert!(rules.contains("record: job_outcome:shop_checkouts:rate5m"));
//! let dashboard = files.dashboard_json().unwrap();
//! let expr = r#"sum by (outcome) (job_outcome:shop_checkouts:rate5m{job=~\"$job\", outcome=~\"$outcome\"})"#;
//! assert!(dashboard.contains(expr));
//! // files.write_to(Path::new("deploy/observability"))? writes dashboard.json, rules.yml, rules.test.yml.
//! ```
//!
//! [`Observability::write_to`] writes three files, meant to be committed and diffed: their content
//! depends on the schemas only (groups in the order given, families in declaration order, variables
//! sorted, panel ids counted from 1), so a regeneration that changes nothing changes no byte.
//!
//! - `dashboard.json`: a Grafana dashboard (schema version 39, Grafana 10.3 or later). A row per group,
//!   a panel per family with the family's help as its description and its unit: counters' per-second
//!   rates, histograms' p50, p90 and p99, gauges' values, infos' labels as a table. Panels are broken
//!   down by the family's enum labels and filtered by a variable per enum label (its values known from
//!   the schema; a label name several families share takes the union of their values), by `job` (read
//!   from the series) and by the Prometheus data source variable. Counter and histogram panels read the
//!   recording rules of `rules.yml`, so Prometheus must load that file.
//! - `rules.yml`: the recording rules the panels read, named after the Prometheus convention
//!   `level:metric:operations` (`job_model:shop_checkouts:rate5m`, `job_model_le:shop_latency_seconds_bucket:rate5m`),
//!   and per objective ([`FamilySchema::slo`]) the bad ratio recorded over each alert window
//!   (`job:shop_checkouts_slo_errors:ratio_rate1h`) and two alerts named after the family
//!   (`ShopCheckoutsErrorBudgetBurn`): `severity: page` when 2% of the error budget goes in 1 hour (checked
//!   over the last 5 minutes too) or 5% in 6 hours (and 30 minutes), `severity: ticket` when 10% goes in
//!   1 day (and 2 hours) or in 3 days (and 6 hours): the multiwindow, multi-burn-rate alerts of the Google
//!   SRE workbook, whose burn rates 14.4, 6, 3 and 1 are those of a 30-day window and are scaled to the
//!   objective's. As in the workbook the alerts have no `for:`: the short window of each pair ends an
//!   alert soon after the burn ends. Annotations: `summary` (templated with the `job` only),
//!   `description` and, with [`runbook_base`](Observability::runbook_base), `runbook_url`.
//! - `rules.test.yml`: `promtool test rules` tests feeding synthetic series of each objective's family
//!   (one job, `job="app"`, a sample a minute) through five histories, each a few phases of a constant
//!   bad ratio given in burn rates of the lowest pair (1x over 30 days), that must fire the page, the
//!   ticket, both or neither:
//!
//!   | Scenario | Bad ratio | Page | Ticket |
//!   |---|---|---|---|
//!   | within budget | 0.5x for 26 h | no | no |
//!   | slow burn | 2x for 26 h | no | yes (3 d and 6 h above 1x) |
//!   | fast burn | 0x for 1 d, then 20x for 1 h | yes (1 h and 5 min above 14.4x) | no |
//!   | fast burn over | as fast burn, then 0x for 10 min | no (the last 5 min are clean) | no |
//!   | sustained burn | 0x for 1 d, then 8x for 6 h | yes (6 h and 30 min above 6x) | yes |
//!
//!   The outcomes are computed from the event counts rather than assumed; a scenario whose ratio comes
//!   within 10% of a threshold is left out, and a loose objective, whose burn rates would ask for more
//!   than every event to be bad, can lose some ([`ExportError::UntestableAlert`] when an alert is left
//!   with no scenario firing it or none keeping it quiet).
//!
//! Every expression keeps the target's `job` label, so one deployment's burn does not hide in another's
//! traffic. Open labels (`agent: String`) take unbounded values: the rules and panels sum them away, and
//! they have no dashboard variable.
//!
//! The checks ([`Observability::check`], run by every generator) refuse what would give broken files:
//! see [`ExportError`].

mod dashboard;
mod error;
mod grafana;
mod promql;
mod rule_tests;
mod rules;
mod runbooks;
mod slo;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

pub use error::ExportError;

use crate::FamilySchema;
use rule_tests::PlannedScenario;
use slo::Slo;

/// The dashboard's file name in [`Observability::write_to`]'s directory.
pub const DASHBOARD_FILE: &str = "dashboard.json";
/// The rule file's name in [`Observability::write_to`]'s directory.
pub const RULES_FILE: &str = "rules.yml";
/// The rule tests' file name in [`Observability::write_to`]'s directory.
pub const RULE_TESTS_FILE: &str = "rules.test.yml";
/// The folder [`Observability::write_to`] writes the runbook pages into, one `<alert name in lower
/// case>.md` per objective.
pub const RUNBOOKS_DIR: &str = runbooks::RUNBOOKS_DIR;

/// The longest dashboard uid Grafana accepts.
const MAX_UID_LEN: usize = 40;

/// The observability files of a service: a dashboard, its rules and their tests, from the family schemas
/// of its `#[metrics]` structs, one [`group`](Observability::group) per struct.
#[derive(Debug, Clone)]
pub struct Observability {
    title: String,
    uid: String,
    groups: Vec<Group>,
    runbook_base: Option<String>,
}

#[derive(Debug, Clone)]
struct Group {
    title: String,
    families: &'static [FamilySchema],
}

/// The checked model the generators read.
struct Checked<'a> {
    title: &'a str,
    uid: &'a str,
    runbook_base: Option<&'a str>,
    groups: Vec<CheckedGroup<'a>>,
}

struct CheckedGroup<'a> {
    title: &'a str,
    /// The title as a rule group name part: lower case, runs of other characters as one `_`.
    slug: String,
    families: &'static [FamilySchema],
    slos: Vec<PlannedSlo>,
}

struct PlannedSlo {
    slo: Slo,
    scenarios: Vec<PlannedScenario>,
}

impl Observability {
    /// Files for a dashboard titled `title` with the Grafana uid `uid` (1 to 40 ASCII letters, digits,
    /// `-` or `_`; it also prefixes the rule group names).
    pub fn new(title: impl Into<String>, uid: impl Into<String>) -> Self {
        Observability { title: title.into(), uid: uid.into(), groups: Vec::new(), runbook_base: None }
    }

    /// Adds a row titled `title` holding `families` (a `#[metrics]` struct's `FAMILIES`), and rule groups
    /// of them.
    pub fn group(mut self, title: impl Into<String>, families: &'static [FamilySchema]) -> Self {
        self.groups.push(Group { title: title.into(), families });
        self
    }

    /// Links each alert to its runbook: `runbook_url` is `<url>/<alert name in lower case>.md`, the page
    /// [`write_to`](Self::write_to) writes under [`RUNBOOKS_DIR`], so that a `url` pointing at that folder
    /// (in the repository the files are committed to, say) links each alert to its page. Without it the
    /// alerts have no `runbook_url`.
    pub fn runbook_base(mut self, url: impl Into<String>) -> Self {
        self.runbook_base = Some(url.into());
        self
    }

    /// Checks what the generators need: a title, a valid uid, distinct group titles and families, labels not
    /// named `job` or `datasource`, objectives that fit their families and alerts the rule tests can both
    /// fire and keep quiet. Every generator runs it first.
    pub fn check(&self) -> Result<(), ExportError> {
        self.checked().map(|_| ())
    }

    /// `dashboard.json`: the Grafana dashboard, pretty-printed JSON ending in a newline.
    pub fn dashboard_json(&self) -> Result<String, ExportError> {
        Ok(dashboard::render(&self.checked()?))
    }

    /// `rules.yml`: the recording rules and alerts, YAML.
    pub fn rules_yaml(&self) -> Result<String, ExportError> {
        rules::render(&self.checked()?)
    }

    /// `rules.test.yml`: the `promtool test rules` file testing the alerts of the rule file at
    /// `rules_file`, a path relative to the test file.
    pub fn rule_tests_yaml(&self, rules_file: &str) -> Result<String, ExportError> {
        Ok(rule_tests::render(&self.checked()?, rules_file))
    }

    /// The runbook pages, one per objective: `(file name, Markdown)`, the file name the alert's name in
    /// lower case with `.md`. A page states the objective, the window pairs and bad ratios that fire the
    /// page and the ticket, and the PromQL to confirm the burn, see the budget left, find the label
    /// values the bad events come from, and when the alert clears.
    pub fn runbooks(&self) -> Result<Vec<(String, String)>, ExportError> {
        Ok(runbooks::render(&self.checked()?))
    }

    /// Writes [`DASHBOARD_FILE`], [`RULES_FILE`], [`RULE_TESTS_FILE`] (which reads `rules.yml` beside it)
    /// and, with objectives, their [`runbooks`](Self::runbooks) under [`RUNBOOKS_DIR`] into `dir`, created
    /// if missing. Nothing is written when a check fails; pages of objectives no longer declared are left
    /// where they are.
    pub fn write_to(&self, dir: &Path) -> Result<(), ExportError> {
        let checked = self.checked()?;
        let mut files = vec![
            (PathBuf::from(DASHBOARD_FILE), dashboard::render(&checked)),
            (PathBuf::from(RULES_FILE), rules::render(&checked)?),
            (PathBuf::from(RULE_TESTS_FILE), rule_tests::render(&checked, RULES_FILE)),
        ];
        let pages = runbooks::render(&checked);
        files.extend(pages.into_iter().map(|(name, page)| (Path::new(RUNBOOKS_DIR).join(name), page)));
        for (name, content) in files {
            let path = dir.join(name);
            let parent = path.parent().unwrap_or(dir);
            fs::create_dir_all(parent).map_err(|source| ExportError::Io { path: parent.to_owned(), source })?;
            fs::write(&path, content).map_err(|source| ExportError::Io { path, source })?;
        }
        Ok(())
    }

    fn checked(&self) -> Result<Checked<'_>, ExportError> {
        if self.title.trim().is_empty() {
            return Err(ExportError::EmptyTitle);
        }
        let uid_ok = !self.uid.is_empty()
            && self.uid.len() <= MAX_UID_LEN
            && self.uid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !uid_ok {
            return Err(ExportError::InvalidUid { uid: self.uid.clone() });
        }
        let mut titles = BTreeSet::new();
        let mut families = BTreeSet::new();
        let mut groups = Vec::new();
        for group in &self.groups {
            let slug = slug(&group.title);
            if !titles.insert(slug.clone()) {
                return Err(ExportError::DuplicateGroup { title: group.title.clone() });
            }
            let mut slos = Vec::new();
            for family in group.families {
                if !families.insert(family.name()) {
                    return Err(ExportError::DuplicateFamily { family: family.name() });
                }
                if let Some(label) =
                    family.labels().iter().find(|l| [promql::JOB, dashboard::DATASOURCE_VARIABLE].contains(&l.name()))
                {
                    return Err(ExportError::ReservedLabel { family: family.name(), label: label.name() });
                }
                if let Some(slo) = Slo::resolve(family)? {
                    let scenarios = rule_tests::plan(&slo)?;
                    slos.push(PlannedSlo { slo, scenarios });
                }
            }
            groups.push(CheckedGroup { title: &group.title, slug, families: group.families, slos });
        }
        Ok(Checked { title: &self.title, uid: &self.uid, runbook_base: self.runbook_base.as_deref(), groups })
    }
}

/// `title` in lower case, each run of characters other than ASCII letters and digits as one `_`.
fn slug(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

/// The comment opening a generated file.
fn header(comment: &str, title: &str) -> String {
    let title = title.replace(['\n', '\r'], " ");
    format!(
        "{comment} Generated by promstruct::export from the family schemas of the `{title}` dashboard.\n\
         {comment} Edit the schemas and regenerate rather than editing this file.\n"
    )
}

#[cfg(test)]
mod tests;
