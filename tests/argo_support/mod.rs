//! What the argo example's tests share: running the controller, reading the events it writes for each
//! completed node and workflow (`--events FILE`), and reading its scrapes by series.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use promstruct::Format;
use promstruct_testing::{Exposition, parse};
use serde::Deserialize;

use suite::http::{PROMETHEUS_2_ACCEPT, get};
use suite::programs::{Running, Scratch, first_address, poll, spawn_reading_lines};

/// The manifests shipped with the example.
pub(crate) const WORKFLOWS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/argo/workflows.yml");
/// The ConfigMap shipped with the example.
pub(crate) const CONTROLLER_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/argo/controller-config.yml");

/// One line of the events file.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Event {
    /// `node` or `workflow`.
    pub(crate) event: String,
    /// The document's place in the manifests, from 1.
    pub(crate) document: usize,
    pub(crate) workflow: String,
    /// The node's template (node events).
    pub(crate) template: Option<String>,
    pub(crate) phase: String,
    /// Seconds, as Argo's `duration` variables hold them (`%f`).
    pub(crate) duration: String,
    #[serde(default)]
    pub(crate) outputs: BTreeMap<String, String>,
}

impl Event {
    /// The duration in seconds.
    pub(crate) fn seconds(&self) -> f64 {
        self.duration.parse().expect("a duration in seconds")
    }
}

/// The events written so far.
pub(crate) fn events(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // A line being written has no newline yet: only whole lines count.
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    whole.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("event {l:?}: {e}"))).collect()
}

/// Waits until `n` workflows have completed and returns the events.
pub(crate) async fn wait_for_workflows(path: &Path, n: usize, timeout: Duration) -> Vec<Event> {
    poll(&format!("{n} completed workflows"), timeout, || async {
        let events = events(path);
        (events.iter().filter(|e| e.event == "workflow").count() >= n).then_some(events)
    })
    .await
}

/// The command line of one run of the example, option by option: the manifests to run, and what the
/// test sets of the rest.
#[derive(Debug, Clone)]
pub(crate) struct ArgoArgs(Vec<String>);

impl ArgoArgs {
    /// `--workflows FILE`.
    pub(crate) fn new(workflows: impl AsRef<Path>) -> Self {
        ArgoArgs(Vec::new()).flag("--workflows", workflows.as_ref().display())
    }

    fn flag(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.0.extend([name.to_owned(), value.to_string()]);
        self
    }

    /// `--listen 127.0.0.1:0`: serve on a port of the system's choosing.
    pub(crate) fn listen(self) -> Self {
        self.flag("--listen", "127.0.0.1:0")
    }

    /// `--config FILE`: this library's configuration.
    pub(crate) fn config(self, path: &Path) -> Self {
        self.flag("--config", path.display())
    }

    /// `--controller-config FILE`: the workflow-controller ConfigMap.
    pub(crate) fn controller(self, path: &Path) -> Self {
        self.flag("--controller-config", path.display())
    }

    /// `--runs N`: how many times each manifest runs.
    pub(crate) fn runs(self, n: usize) -> Self {
        self.flag("--runs", n)
    }

    /// `--interval MS`: the pause between runs.
    pub(crate) fn interval(self, ms: u64) -> Self {
        self.flag("--interval", ms)
    }

    /// `--events FILE`: where the completed nodes and workflows are written.
    pub(crate) fn events(self, path: &Path) -> Self {
        self.flag("--events", path.display())
    }

    /// The arguments, for the example's command line.
    pub(crate) fn args(&self) -> Vec<&str> {
        self.0.iter().map(String::as_str).collect()
    }
}

/// A config file of this library that turns the scrape cache off, so each scrape reads the values again.
pub(crate) fn no_cache_config(tmp: &Scratch) -> PathBuf {
    let config = tmp.join("serving.yaml");
    std::fs::write(&config, "prometheus_metrics:\n  cache: { enabled: false }\n").unwrap();
    config
}

/// Starts the example with `args`, its stderr (at `RUST_LOG=warn`) written to `log`, and waits for the
/// address it serves.
pub(crate) fn start_logged(binary: &Path, args: &[&str], log: &Path) -> (Running, SocketAddr) {
    let (running, lines) = spawn_reading_lines(binary, args, std::fs::File::create(log).unwrap().into());
    let addr = first_address(&lines).unwrap_or_else(|| {
        panic!("no address within 30 s; stderr: {}", std::fs::read_to_string(log).unwrap_or_default())
    });
    (running, addr)
}

/// Runs the example to its end (for the cases it refuses to start) with `args`.
pub(crate) fn run_to_end(binary: &Path, args: &[&str]) -> Output {
    Command::new(binary).args(args).env("RUST_LOG", "warn").output().expect("run the example")
}

/// Scrapes `path` as Prometheus 2 does (OpenMetrics) and parses it strictly; returns the text too.
pub(crate) async fn scrape_at(addr: SocketAddr, path: &str) -> (Exposition, String) {
    let reply = get(addr, path, &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    let e = parse(&text, Format::OpenMetrics).unwrap_or_else(|e| panic!("invalid exposition: {e}\n{text}"));
    (e, text)
}

/// Scrapes `/metrics`.
pub(crate) async fn scrape(addr: SocketAddr) -> Exposition {
    scrape_at(addr, "/metrics").await.0
}

/// The samples named `name`, by their labels (sorted).
pub(crate) fn series(e: &Exposition, name: &str) -> BTreeMap<Vec<(String, String)>, f64> {
    e.samples_named(name)
        .map(|s| {
            let mut labels = s.labels.clone();
            labels.sort();
            (labels, s.value)
        })
        .collect()
}

/// Labels as `series` keys them.
pub(crate) fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut labels: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    labels.sort();
    labels
}
