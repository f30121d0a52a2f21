//! What can stop the generators: a schema set that would give a broken dashboard, rules that collide or
//! an alert that can never fire, and the file system.

use std::{fmt, io, path::PathBuf};

use crate::MetricType;

/// Why [`Observability`](super::Observability) refused to generate its files. Each variant names the
/// family, label or value at fault.
#[derive(Debug)]
#[non_exhaustive]
pub enum ExportError {
    /// The dashboard title is empty: Grafana refuses it on import.
    EmptyTitle,
    /// The dashboard uid is empty, longer than 40 characters or holds a character other than an ASCII
    /// letter, digit, `-` or `_`: Grafana refuses it on import.
    InvalidUid {
        /// The uid given.
        uid: String,
    },
    /// Two groups share a row title, or titles alike but for case and punctuation, so their rule groups
    /// would share a name.
    DuplicateGroup {
        /// The title given twice.
        title: String,
    },
    /// A family appears twice across the groups, so its recording rules would be written twice.
    DuplicateFamily {
        /// The family name.
        family: &'static str,
    },
    /// Two families give the same generated recording rule or alert name.
    DuplicateRule {
        /// The rule or alert name generated twice.
        name: String,
    },
    /// A label name the dashboard and the rules use themselves: `job` (the target label every expression
    /// keeps) or `datasource` (the data source variable).
    ReservedLabel {
        /// The family declaring the label.
        family: &'static str,
        /// The label name.
        label: &'static str,
    },
    /// A service level objective on a family of the wrong type: a latency objective needs a histogram,
    /// an error objective a counter.
    SloKind {
        /// The family.
        family: &'static str,
        /// Its type.
        kind: MetricType,
    },
    /// A latency threshold that is not one of the histogram's bucket bounds: the good events could not
    /// be counted from the buckets.
    SloThreshold {
        /// The histogram.
        family: &'static str,
        /// The threshold declared.
        threshold: f64,
    },
    /// An error objective's label is not an enum label of the counter.
    SloLabel {
        /// The counter.
        family: &'static str,
        /// The label named by the objective.
        label: &'static str,
    },
    /// An error objective names a bad value its label does not take, or no value at all, or every value
    /// (then no event could be good).
    SloValues {
        /// The counter.
        family: &'static str,
        /// The label of the objective.
        label: &'static str,
        /// What is wrong with the values.
        reason: String,
    },
    /// An objective outside `(0, 1)`, or with more than 9 decimals (the synthetic series of the rule
    /// tests count events in whole numbers).
    SloObjective {
        /// The family.
        family: &'static str,
        /// The objective declared.
        objective: f64,
    },
    /// An objective window the alerts or their tests cannot use: shorter than the longest alert window
    /// (3 days), not a whole number of seconds, or so odd a number of them that the rule tests' event
    /// counts would pass 2^53.
    SloWindow {
        /// The family.
        family: &'static str,
        /// The window declared.
        window: std::time::Duration,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An alert the synthetic series cannot make fire, or cannot keep quiet: with so small an objective
    /// the burn rates of the SRE workbook ask for more than every event to be bad.
    UntestableAlert {
        /// The family.
        family: &'static str,
        /// `page` or `ticket`.
        severity: &'static str,
        /// Which side no scenario shows.
        missing: &'static str,
    },
    /// Writing one of the files failed.
    Io {
        /// The file being written.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::EmptyTitle => f.write_str("the dashboard title is empty"),
            ExportError::InvalidUid { uid } => {
                write!(f, "dashboard uid `{uid}` is not valid: Grafana takes 1 to 40 ASCII letters, digits, `-` or `_`")
            }
            ExportError::DuplicateGroup { title } => write!(
                f,
                "two groups are titled `{title}` or alike (rule group names take the title's letters and digits)"
            ),
            ExportError::DuplicateFamily { family } => write!(f, "family `{family}` is in two groups"),
            ExportError::DuplicateRule { name } => {
                write!(f, "two families generate the rule `{name}`; rename one of them")
            }
            ExportError::ReservedLabel { family, label } => write!(
                f,
                "family `{family}`: the label `{label}` is the dashboard's own (`job` is the scrape target's, \
                 `datasource` the data source variable); rename the label"
            ),
            ExportError::SloKind { family, kind } => write!(
                f,
                "family `{family}` is a {kind}: a latency objective needs a histogram, an error objective a counter"
            ),
            ExportError::SloThreshold { family, threshold } => write!(
                f,
                "family `{family}`: the latency threshold {threshold} is not a bucket bound; add it to the buckets"
            ),
            ExportError::SloLabel { family, label } => {
                write!(f, "family `{family}`: the error objective's label `{label}` is not an enum label of it")
            }
            ExportError::SloValues { family, label, reason } => {
                write!(f, "family `{family}`: the error objective's values of `{label}`: {reason}")
            }
            ExportError::SloObjective { family, objective } => write!(
                f,
                "family `{family}`: the objective {objective} must lie strictly between 0 and 1, with at most 9 decimals"
            ),
            ExportError::SloWindow { family, window, reason } => {
                write!(f, "family `{family}`: the objective window {window:?} {reason}")
            }
            ExportError::UntestableAlert { family, severity, missing } => write!(
                f,
                "family `{family}`: no synthetic series {missing} the {severity} alert: its burn rate times the \
                 error budget leaves no room below 100% bad events; raise the objective or lengthen the window"
            ),
            ExportError::Io { path, source } => write!(f, "writing {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for ExportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExportError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
