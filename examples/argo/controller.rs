//! The simulated workflow-controller: Argo's reconciliation loop over simulated pods.
//!
//! Workflows are submitted from the manifests at a steady pace and go through the controller's work
//! queues as in Argo: `workflow_queue` (each workflow is reconciled by one of its workers whenever it or
//! one of its pods changes), `pod_cleanup_queue` (completed pods are labelled), `workflow_ttl_queue`
//! (finished workflows are deleted after their `ttlStrategy`, or once more than `--keep-completed`
//! have finished) and `cron_wf_queue` (no CronWorkflows are simulated, so it stays empty). A
//! reconciliation creates the pods of the steps that can run, reads the phases the simulated kubelet
//! gives them (pending, running, then succeeded or failed at random; now and then a pod goes missing),
//! completes nodes, steps groups, DAG tasks and the workflow, and emits the custom metrics at each
//! completion. The controller metrics are kept as the reconciliations go: queue adds, depth and
//! latency, busy workers, Kubernetes requests, operation durations, workflows and pods by phase, and the
//! `PodRunning` condition (Argo refreshes the phase gauges every 15 s; here they change as the phases do).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;

use crate::common::Rng;
use crate::custom::{self, Clock, CustomMetrics, NodeVars, RunVars, WorkflowPlan};
use crate::expr::{self, Scope};
use crate::lock;
use crate::manifest::{Arguments, Template, Workflow};
use crate::metrics::{
    Cause, ConditionStatus, ConditionType, NodePhase, PODS, Phase, PodPhase, Queue, RecentlyStarted, WORKFLOWS,
};
use crate::queue::WorkQueue;

/// The annotation on a template's `metadata` that sets how often its pod fails (0 to 1).
pub(crate) const FAILURE_RATE_ANNOTATION: &str = "simulator/failure-rate";
/// The annotation that sets how long its pod runs, in seconds: `2` or a range `0.5-3`.
pub(crate) const RUN_SECONDS_ANNOTATION: &str = "simulator/run-seconds";
/// How often a running pod goes missing (`argo_pod_missing`; the node errors).
const POD_MISSING_RATE: f64 = 0.01;
/// How often a reconciliation panics and is retried (`argo_workflows_error_count{cause="OperationPanic"}`).
const PANIC_RATE: f64 = 0.002;
/// How often an update of a workflow meets a conflict and is retried.
const CONFLICT_RATE: f64 = 0.02;
/// Argo's `RECENTLY_STARTED_POD_DURATION`.
const RECENTLY_STARTED: Duration = Duration::from_secs(10);
/// Workers of each queue.
const WORKFLOW_WORKERS: usize = 4;
const POD_CLEANUP_WORKERS: usize = 2;

/// What the command line sets.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Submit a workflow this often (the documents in turn).
    pub(crate) interval: Duration,
    /// Submit each document this many times, then stop submitting (`None`: forever).
    pub(crate) runs: Option<usize>,
    /// The random seed.
    pub(crate) seed: u64,
    /// Finished workflows kept before the oldest is deleted.
    pub(crate) keep_completed: usize,
}

/// How a template's pods behave.
#[derive(Debug, Clone, Copy)]
struct PodBehaviour {
    failure_rate: f64,
    run_seconds: (f64, f64),
}

/// A workflow document, checked, with its metrics and its templates' behaviour.
#[derive(Debug)]
pub(crate) struct Document {
    workflow: Workflow,
    plan: WorkflowPlan,
    behaviour: Vec<PodBehaviour>,
    entry: usize,
}

impl Document {
    /// Checks what the simulation needs of `workflow` (its entrypoint, the templates steps and tasks
    /// name, the simulator's annotations) and pairs it with its metrics.
    pub(crate) fn new(workflow: Workflow, plan: WorkflowPlan, failure_rate: f64) -> Result<Document, String> {
        let entry = workflow
            .template(&workflow.spec.entrypoint)
            .ok_or_else(|| format!("entrypoint `{}` is not one of its templates", workflow.spec.entrypoint))?;
        let mut behaviour = Vec::new();
        for t in &workflow.spec.templates {
            let children: Vec<(&str, &str)> = match (&t.steps, &t.dag) {
                (Some(groups), _) => groups.iter().flatten().map(|s| (s.name.as_str(), s.template.as_str())).collect(),
                (None, Some(dag)) => {
                    for task in &dag.tasks {
                        if let Some(d) = task.dependencies.iter().find(|d| !dag.tasks.iter().any(|t| t.name == **d)) {
                            return Err(format!(
                                "template `{}`: task `{}` depends on `{d}`, which is not a task",
                                t.name, task.name
                            ));
                        }
                    }
                    dag.tasks.iter().map(|task| (task.name.as_str(), task.template.as_str())).collect()
                }
                (None, None) => Vec::new(),
            };
            if let Some((step, missing)) = children.iter().find(|(_, tmpl)| workflow.template(tmpl).is_none()) {
                return Err(format!("template `{}`: `{step}` runs template `{missing}`, which is not defined", t.name));
            }
            let annotation = |key: &str| t.metadata.annotations.get(key).map(String::as_str);
            let rate = match annotation(FAILURE_RATE_ANNOTATION) {
                None => failure_rate,
                Some(text) => text.parse::<f64>().ok().filter(|r| (0.0..=1.0).contains(r)).ok_or_else(|| {
                    format!("template `{}`: {FAILURE_RATE_ANNOTATION} `{text}` is not between 0 and 1", t.name)
                })?,
            };
            let run = match annotation(RUN_SECONDS_ANNOTATION) {
                None => (0.2, 1.5),
                Some(text) => parse_range(text).ok_or_else(|| {
                    format!(
                        "template `{}`: {RUN_SECONDS_ANNOTATION} `{text}` is not seconds (`2`) or a range (`0.5-3`)",
                        t.name
                    )
                })?,
            };
            behaviour.push(PodBehaviour { failure_rate: rate, run_seconds: run });
        }
        Ok(Document { workflow, plan, behaviour, entry })
    }
}

fn parse_range(text: &str) -> Option<(f64, f64)> {
    let (low, high) = text.split_once('-').unwrap_or((text, text));
    let (low, high): (f64, f64) = (low.trim().parse().ok()?, high.trim().parse().ok()?);
    (low.is_finite() && low >= 0.0 && high >= low).then_some((low, high))
}

/// A node's phase, Argo's `NodePhase`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NodeState {
    Pending,
    Running,
    Succeeded,
    Failed,
    Error,
}

impl NodeState {
    fn as_str(self) -> &'static str {
        match self {
            NodeState::Pending => "Pending",
            NodeState::Running => "Running",
            NodeState::Succeeded => "Succeeded",
            NodeState::Failed => "Failed",
            NodeState::Error => "Error",
        }
    }

    fn fulfilled(self) -> bool {
        matches!(self, NodeState::Succeeded | NodeState::Failed | NodeState::Error)
    }

    fn phase(self) -> Phase {
        match self {
            NodeState::Pending => Phase::Pending,
            NodeState::Running => Phase::Running,
            NodeState::Succeeded => Phase::Succeeded,
            NodeState::Failed => Phase::Failed,
            NodeState::Error => Phase::Error,
        }
    }
}

/// A pod's phase.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PodState {
    Pending,
    Running,
    Succeeded,
    Failed,
}

#[derive(Debug)]
struct Pod {
    workflow: String,
    state: PodState,
}

/// One node of a run: a pod, a steps template or a DAG.
#[derive(Debug)]
struct Node {
    template: usize,
    state: Option<NodeState>,
    clock: Option<Arc<Clock>>,
    inputs: Vec<(String, String)>,
    outputs: Vec<(String, String)>,
    exit_code: Option<String>,
    result: Option<String>,
    pod: Option<String>,
    /// Steps: the current group and its nodes. DAG: the node of each task, once started.
    group: usize,
    children: Vec<Option<usize>>,
}

impl Node {
    fn new(template: usize, inputs: Vec<(String, String)>) -> Node {
        Node {
            template,
            state: None,
            clock: None,
            inputs,
            outputs: Vec::new(),
            exit_code: None,
            result: None,
            pod: None,
            group: 0,
            children: Vec::new(),
        }
    }

    fn done(&self) -> bool {
        self.state.is_some_and(NodeState::fulfilled)
    }
}

/// One submitted workflow.
#[derive(Debug)]
struct Run {
    doc: usize,
    name: String,
    uid: String,
    created: SystemTime,
    state: NodeState,
    clock: Option<Arc<Clock>>,
    nodes: Vec<Node>,
    outputs: BTreeMap<String, String>,
    pod_running: Option<bool>,
    started: bool,
}

/// The simulated cluster: workflows and the pods not yet completed and labelled.
#[derive(Debug, Default)]
struct Cluster {
    workflows: BTreeMap<String, Run>,
    pods: HashMap<String, Pod>,
    completed: VecDeque<String>,
    pods_created: u64,
}

/// What a reconciliation leaves for after the cluster's lock.
#[derive(Debug, Default)]
struct Effects {
    changed: bool,
    new_pods: Vec<(String, PodBehaviour)>,
    cleanup: Vec<String>,
    delete_after: Vec<(String, Duration)>,
    finished: bool,
}

/// The controller.
pub(crate) struct Controller {
    docs: Vec<Document>,
    custom: Arc<CustomMetrics>,
    settings: Settings,
    cluster: Mutex<Cluster>,
    workflow_queue: Arc<WorkQueue>,
    pod_cleanup_queue: Arc<WorkQueue>,
    ttl_queue: Arc<WorkQueue>,
    rng: Mutex<Rng>,
    events: Option<Mutex<File>>,
    finished: AtomicUsize,
    all_finished: Notify,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller").field("documents", &self.docs.len()).field("settings", &self.settings).finish()
    }
}

impl Controller {
    /// A controller for `docs`; `events`, when given, receives one JSON line per completed node and workflow.
    pub(crate) fn new(
        docs: Vec<Document>,
        custom: Arc<CustomMetrics>,
        settings: Settings,
        events: Option<&Path>,
    ) -> Result<Arc<Controller>, String> {
        let events = match events {
            Some(path) => Some(Mutex::new(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?)),
            None => None,
        };
        Ok(Arc::new(Controller {
            rng: Mutex::new(Rng::new(settings.seed)),
            docs,
            custom,
            settings,
            cluster: Mutex::default(),
            workflow_queue: WorkQueue::new(Queue::Workflow),
            pod_cleanup_queue: WorkQueue::new(Queue::PodCleanup),
            ttl_queue: WorkQueue::new(Queue::WorkflowTtl),
            events,
            finished: AtomicUsize::new(0),
            all_finished: Notify::new(),
        }))
    }

    /// Starts the submitter and the workers.
    pub(crate) fn start(self: &Arc<Self>) {
        for _ in 0..WORKFLOW_WORKERS {
            let this = Arc::clone(self);
            tokio::spawn(async move {
                loop {
                    let key = this.workflow_queue.get().await;
                    this.operate(&key).await;
                    this.workflow_queue.done(&key);
                }
            });
        }
        for _ in 0..POD_CLEANUP_WORKERS {
            let this = Arc::clone(self);
            tokio::spawn(async move {
                loop {
                    let pod = this.pod_cleanup_queue.get().await;
                    this.api_latency().await;
                    // Argo labels a completed pod `workflows.argoproj.io/completed=true`.
                    WORKFLOWS.k8s_request("pods", "Patch", "200").inc();
                    lock(&this.cluster).pods.remove(&pod);
                    this.pod_cleanup_queue.done(&pod);
                }
            });
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let key = this.ttl_queue.get().await;
                this.api_latency().await;
                WORKFLOWS.k8s_request("workflows", "Delete", "200").inc();
                {
                    let mut cluster = lock(&this.cluster);
                    if let Some(run) = cluster.workflows.remove(&key) {
                        this.custom.delete_realtime(&run.uid);
                        cluster.completed.retain(|n| *n != key);
                    }
                    refresh_gauges(&cluster);
                }
                this.ttl_queue.done(&key);
            }
        });
        let this = Arc::clone(self);
        tokio::spawn(async move { this.submit().await });
    }

    /// Waits until every run of `--runs` has finished (never, without `--runs`).
    pub(crate) async fn all_finished(&self) {
        let Some(runs) = self.settings.runs else { return std::future::pending().await };
        loop {
            let notified = self.all_finished.notified();
            if self.finished.load(Ordering::Acquire) >= runs * self.docs.len() {
                return;
            }
            notified.await;
        }
    }

    fn random(&self) -> std::sync::MutexGuard<'_, Rng> {
        lock(&self.rng)
    }

    async fn api_latency(&self) {
        let ms = 1 + self.random().below(8) as u64;
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }

    async fn submit(self: Arc<Self>) {
        let mut every = tokio::time::interval(self.settings.interval);
        for round in 0.. {
            if self.settings.runs.is_some_and(|runs| round >= runs) {
                return;
            }
            for doc in 0..self.docs.len() {
                every.tick().await;
                let (name, uid) = {
                    let mut rng = self.random();
                    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
                    let suffix: String = (0..5).map(|_| ALPHABET[rng.below(ALPHABET.len())] as char).collect();
                    let hex = |rng: &mut Rng, n: usize| -> String {
                        (0..n).map(|_| format!("{:x}", rng.below(16))).collect()
                    };
                    let uid = format!(
                        "{}-{}-{}-{}-{}",
                        hex(&mut rng, 8),
                        hex(&mut rng, 4),
                        hex(&mut rng, 4),
                        hex(&mut rng, 4),
                        hex(&mut rng, 12)
                    );
                    (format!("{}{suffix}", self.docs[doc].workflow.name_prefix()), uid)
                };
                {
                    let mut cluster = lock(&self.cluster);
                    cluster.workflows.insert(
                        name.clone(),
                        Run {
                            doc,
                            name: name.clone(),
                            uid,
                            created: SystemTime::now(),
                            state: NodeState::Pending,
                            clock: None,
                            nodes: Vec::new(),
                            outputs: BTreeMap::new(),
                            pod_running: None,
                            started: false,
                        },
                    );
                    refresh_gauges(&cluster);
                }
                self.workflow_queue.add(&name);
            }
        }
    }

    /// One reconciliation of workflow `key`.
    async fn operate(self: &Arc<Self>, key: &str) {
        let started = Instant::now();
        if self.random().chance(PANIC_RATE) {
            // Argo recovers a panic in the operator, counts it and processes the workflow again later.
            WORKFLOWS.errors(Cause::OperationPanic).inc();
            tracing::warn!("simulated panic while reconciling {key}; it is queued again");
            WORKFLOWS.workflows_processed().inc();
            WORKFLOWS.operation_duration().observe(started.elapsed().as_secs_f64());
            self.workflow_queue.add_after(key.to_owned(), Duration::from_millis(50));
            return;
        }
        WORKFLOWS.k8s_request("workflows", "Get", "200").inc();
        let effects = {
            let mut cluster = lock(&self.cluster);
            let effects = self.reconcile(&mut cluster, key);
            refresh_gauges(&cluster);
            effects
        };
        self.api_latency().await;
        for (pod, behaviour) in &effects.new_pods {
            WORKFLOWS.k8s_request("pods", "Create", "201").inc();
            let this = Arc::clone(self);
            let (pod, behaviour, key) = (pod.clone(), *behaviour, key.to_owned());
            tokio::spawn(async move { this.kubelet(pod, behaviour, key).await });
        }
        if effects.changed {
            if self.random().chance(CONFLICT_RATE) {
                WORKFLOWS.k8s_request("workflows", "Update", "409").inc();
                self.workflow_queue.add_after(key.to_owned(), Duration::from_millis(20));
            } else {
                WORKFLOWS.k8s_request("workflows", "Update", "200").inc();
            }
        }
        for pod in &effects.cleanup {
            self.pod_cleanup_queue.add(pod);
        }
        for (name, after) in effects.delete_after {
            self.ttl_queue.add_after(name, after);
        }
        WORKFLOWS.workflows_processed().inc();
        WORKFLOWS.operation_duration().observe(started.elapsed().as_secs_f64());
        if effects.finished {
            self.finished.fetch_add(1, Ordering::AcqRel);
            self.all_finished.notify_waiters();
        }
    }

    /// The simulated kubelet: the pod waits to be scheduled, runs, then succeeds, fails or goes missing.
    async fn kubelet(self: Arc<Self>, pod: String, behaviour: PodBehaviour, workflow: String) {
        let (pending, running, missing, failed) = {
            let mut rng = self.random();
            let (low, high) = behaviour.run_seconds;
            let running = low + (high - low) * rng.unit();
            (0.05 + 0.25 * rng.unit(), running, rng.chance(POD_MISSING_RATE), rng.chance(behaviour.failure_rate))
        };
        tokio::time::sleep(Duration::from_secs_f64(pending)).await;
        if let Some(p) = lock(&self.cluster).pods.get_mut(&pod) {
            p.state = PodState::Running;
        }
        self.workflow_queue.add(&workflow);
        tokio::time::sleep(Duration::from_secs_f64(running)).await;
        {
            let mut cluster = lock(&self.cluster);
            if missing {
                cluster.pods.remove(&pod);
            } else if let Some(p) = cluster.pods.get_mut(&pod) {
                p.state = if failed { PodState::Failed } else { PodState::Succeeded };
            }
        }
        self.workflow_queue.add(&workflow);
    }

    fn reconcile(&self, cluster: &mut Cluster, key: &str) -> Effects {
        let mut fx = Effects::default();
        let Cluster { workflows, pods, completed, pods_created } = cluster;
        let Some(run) = workflows.get_mut(key) else { return fx };
        if run.state.fulfilled() {
            return fx;
        }
        let doc = &self.docs[run.doc];
        if !run.started {
            run.started = true;
            run.state = NodeState::Running;
            let clock = Clock::start();
            run.clock = Some(Arc::clone(&clock));
            run.nodes.push(Node::new(
                doc.entry,
                entry_inputs(&doc.workflow.spec.templates[doc.entry], &doc.workflow.spec.arguments),
            ));
            // Argo's real-time workflow metrics, from its default scope: status Pending, duration 0.
            let globals = self.globals(run, doc);
            let scope = custom::node_scope(
                &globals,
                &NodeVars {
                    status: "Pending",
                    duration: 0.0,
                    inputs: &[],
                    outputs: &[],
                    exit_code: None,
                    result: None,
                },
            );
            self.custom.emit(&doc.plan.workflow, &scope, &[("workflow.duration", &clock)], &run.uid, true);
            fx.changed = true;
        }
        let mut ctx = Ctx { ctrl: self, doc, pods, pods_created, fx: &mut fx };
        ctx.reconcile_node(run, 0);
        let running = run
            .nodes
            .iter()
            .filter_map(|n| n.pod.as_ref())
            .any(|p| ctx.pods.get(p).is_some_and(|p| p.state == PodState::Running));
        if run.pod_running != Some(running) {
            run.pod_running = Some(running);
            fx.changed = true;
        }
        if run.nodes[0].done() {
            self.complete_workflow(run, doc, &mut fx);
            completed.push_back(run.name.clone());
            if completed.len() > self.settings.keep_completed {
                if let Some(oldest) = completed.pop_front() {
                    fx.delete_after.push((oldest, Duration::ZERO));
                }
            }
        }
        fx
    }

    fn globals(&self, run: &Run, doc: &Document) -> Scope {
        custom::global_scope(&RunVars {
            workflow: &doc.workflow,
            name: &run.name,
            uid: &run.uid,
            created: run.created,
            status: run.state.as_str(),
            duration: run.clock.as_ref().map_or(0.0, |c| c.seconds()),
            outputs: &run.outputs,
        })
    }

    fn complete_workflow(&self, run: &mut Run, doc: &Document, fx: &mut Effects) {
        let root = &run.nodes[0];
        run.state = root.state.unwrap_or(NodeState::Error);
        run.pod_running = Some(false);
        let clock = run.clock.clone().unwrap_or_else(Clock::start);
        clock.finish();
        let globals = self.globals(run, doc);
        let root = &run.nodes[0];
        let duration = clock.seconds();
        let scope = custom::node_scope(
            &globals,
            &NodeVars {
                status: run.state.as_str(),
                duration,
                inputs: &root.inputs,
                outputs: &root.outputs,
                exit_code: root.exit_code.as_deref(),
                result: root.result.as_deref(),
            },
        );
        self.custom.emit(&doc.plan.workflow, &scope, &[("workflow.duration", &clock)], &run.uid, false);
        self.custom.stop_realtime(&run.uid);
        self.event(serde_json::json!({
            "event": "workflow",
            "document": run.doc + 1,
            "workflow": run.name,
            "phase": run.state.as_str(),
            "duration": expr::seconds(duration),
        }));
        let ttl = doc.workflow.spec.ttl_strategy.unwrap_or_default();
        let after = match run.state {
            NodeState::Succeeded => ttl.seconds_after_success,
            _ => ttl.seconds_after_failure,
        }
        .or(ttl.seconds_after_completion);
        if let Some(seconds) = after {
            fx.delete_after.push((run.name.clone(), Duration::from_secs(u64::from(seconds))));
        }
        fx.finished = true;
        fx.changed = true;
    }

    fn event(&self, event: serde_json::Value) {
        if let Some(file) = &self.events {
            let mut line = event.to_string();
            line.push('\n');
            if let Err(e) = lock(file).write_all(line.as_bytes()) {
                tracing::warn!("cannot write an event: {e}");
            }
        }
    }
}

/// The inputs of the entrypoint: its parameters, from the workflow's arguments of the same name.
fn entry_inputs(template: &Template, arguments: &Arguments) -> Vec<(String, String)> {
    template
        .inputs
        .parameters
        .iter()
        .map(|p| {
            let given = arguments.parameters.iter().find(|a| a.name == p.name).and_then(|a| a.value.clone());
            (p.name.clone(), given.or_else(|| p.value.clone()).or_else(|| p.default.clone()).unwrap_or_default())
        })
        .collect()
}

/// The state one reconciliation works on.
struct Ctx<'a> {
    ctrl: &'a Controller,
    doc: &'a Document,
    pods: &'a mut HashMap<String, Pod>,
    pods_created: &'a mut u64,
    fx: &'a mut Effects,
}

impl Ctx<'_> {
    fn template(&self, node: &Node) -> &Template {
        &self.doc.workflow.spec.templates[node.template]
    }

    fn reconcile_node(&mut self, run: &mut Run, n: usize) {
        if run.nodes[n].done() {
            return;
        }
        let template = self.template(&run.nodes[n]);
        if template.steps.is_some() {
            self.reconcile_steps(run, n);
        } else if template.dag.is_some() {
            self.reconcile_dag(run, n);
        } else {
            self.reconcile_pod(run, n);
        }
    }

    /// Marks node `n` started and emits its template's real-time metrics.
    fn start_node(&mut self, run: &mut Run, n: usize, state: NodeState) {
        let clock = Clock::start();
        let node = &mut run.nodes[n];
        node.state = Some(state);
        node.clock = Some(Arc::clone(&clock));
        let globals = self.ctrl.globals(run, self.doc);
        let node = &run.nodes[n];
        let scope = custom::node_scope(
            &globals,
            &NodeVars {
                status: state.as_str(),
                duration: 0.0,
                inputs: &node.inputs,
                outputs: &[],
                exit_code: None,
                result: None,
            },
        );
        let workflow_clock = run.clock.clone().unwrap_or_else(Clock::start);
        let defs = &self.doc.plan.templates[node.template];
        self.ctrl.custom.emit(
            defs,
            &scope,
            &[("duration", &clock), ("workflow.duration", &workflow_clock)],
            &run.uid,
            true,
        );
        self.fx.changed = true;
    }

    /// Completes node `n` in `state`: its clock stops and its template's metrics are emitted.
    fn finish_node(&mut self, run: &mut Run, n: usize, state: NodeState) {
        let node = &mut run.nodes[n];
        node.state = Some(state);
        let clock = node.clock.clone().unwrap_or_else(Clock::start);
        clock.finish();
        let globals = self.ctrl.globals(run, self.doc);
        let node = &run.nodes[n];
        let template = self.template(node);
        let duration = clock.seconds();
        let scope = custom::node_scope(
            &globals,
            &NodeVars {
                status: state.as_str(),
                duration,
                inputs: &node.inputs,
                outputs: &node.outputs,
                exit_code: node.exit_code.as_deref(),
                result: node.result.as_deref(),
            },
        );
        let workflow_clock = run.clock.clone().unwrap_or_else(Clock::start);
        self.ctrl.custom.emit(
            &self.doc.plan.templates[node.template],
            &scope,
            &[("duration", &clock), ("workflow.duration", &workflow_clock)],
            &run.uid,
            false,
        );
        let outputs: serde_json::Map<String, serde_json::Value> =
            node.outputs.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
        self.ctrl.event(serde_json::json!({
            "event": "node",
            "document": run.doc + 1,
            "workflow": run.name,
            "template": template.name,
            "phase": state.as_str(),
            "duration": expr::seconds(duration),
            "outputs": outputs,
        }));
        self.fx.changed = true;
    }

    fn reconcile_pod(&mut self, run: &mut Run, n: usize) {
        let Some(pod) = run.nodes[n].pod.clone() else {
            *self.pods_created += 1;
            let name = format!("{}-{}-{}", run.name, self.template(&run.nodes[n]).name, *self.pods_created);
            self.pods.insert(name.clone(), Pod { workflow: run.name.clone(), state: PodState::Pending });
            run.nodes[n].pod = Some(name.clone());
            self.fx.new_pods.push((name, self.doc.behaviour[run.nodes[n].template]));
            self.start_node(run, n, NodeState::Pending);
            return;
        };
        let state = self.pods.get(&pod).filter(|p| p.workflow == run.name).map(|p| p.state);
        match state {
            None => {
                let node = &run.nodes[n];
                let recent = node.clock.as_ref().is_some_and(|c| c.seconds() < RECENTLY_STARTED.as_secs_f64());
                let phase =
                    if node.state == Some(NodeState::Running) { NodePhase::Running } else { NodePhase::Pending };
                let recent = if recent { RecentlyStarted::True } else { RecentlyStarted::False };
                PODS.pod_missing(recent, phase).inc();
                tracing::debug!("pod {pod} of {} is missing; its node errors", run.name);
                self.finish_node(run, n, NodeState::Error);
            }
            Some(PodState::Pending) => {}
            Some(PodState::Running) => {
                if run.nodes[n].state != Some(NodeState::Running) {
                    run.nodes[n].state = Some(NodeState::Running);
                    self.fx.changed = true;
                }
            }
            Some(done @ (PodState::Succeeded | PodState::Failed)) => {
                let succeeded = done == PodState::Succeeded;
                let template = self.template(&run.nodes[n]);
                let mut rng = self.ctrl.random();
                let outputs: Vec<(String, String, Option<String>)> = template
                    .outputs
                    .parameters
                    .iter()
                    .map(|p| {
                        let value = p.value.clone().unwrap_or_else(|| (1 + rng.below(10)).to_string());
                        (p.name.clone(), value, p.global_name.clone())
                    })
                    .collect();
                let result = (1 + rng.below(10)).to_string();
                drop(rng);
                for (_, value, global) in &outputs {
                    if let Some(global) = global {
                        run.outputs.insert(global.clone(), value.clone());
                    }
                }
                let node = &mut run.nodes[n];
                node.outputs = outputs.into_iter().map(|(k, v, _)| (k, v)).collect();
                node.result = Some(result);
                node.exit_code = Some(if succeeded { "0" } else { "1" }.to_owned());
                self.fx.cleanup.push(pod);
                self.finish_node(run, n, if succeeded { NodeState::Succeeded } else { NodeState::Failed });
            }
        }
    }

    /// Creates a child node running `template` with `arguments` (substituted with the parent's scope).
    fn child(&mut self, run: &mut Run, parent: usize, template: &str, arguments: &Arguments) -> usize {
        let t = self.doc.workflow.template(template).expect("checked when the document was loaded");
        let globals = self.ctrl.globals(run, self.doc);
        let parent_scope = custom::node_scope(
            &globals,
            &NodeVars {
                status: "Running",
                duration: 0.0,
                inputs: &run.nodes[parent].inputs,
                outputs: &[],
                exit_code: None,
                result: None,
            },
        );
        let inputs = self.doc.workflow.spec.templates[t]
            .inputs
            .parameters
            .iter()
            .map(|p| {
                let given = arguments.parameters.iter().find(|a| a.name == p.name).and_then(|a| a.value.clone());
                let value = given.or_else(|| p.value.clone()).or_else(|| p.default.clone()).unwrap_or_default();
                let value = expr::substitute(&value, &parent_scope).unwrap_or(value);
                (p.name.clone(), value)
            })
            .collect();
        run.nodes.push(Node::new(t, inputs));
        run.nodes.len() - 1
    }

    fn reconcile_steps(&mut self, run: &mut Run, n: usize) {
        if run.nodes[n].state.is_none() {
            self.start_node(run, n, NodeState::Running);
        }
        let doc = self.doc;
        let groups = doc.workflow.spec.templates[run.nodes[n].template].steps.as_deref().unwrap_or_default();
        loop {
            let group = run.nodes[n].group;
            let Some(steps) = groups.get(group) else {
                self.finish_node(run, n, NodeState::Succeeded);
                return;
            };
            if run.nodes[n].children.is_empty() {
                for step in steps {
                    let child = self.child(run, n, &step.template, &step.arguments);
                    run.nodes[n].children.push(Some(child));
                }
            }
            let children: Vec<usize> = run.nodes[n].children.iter().flatten().copied().collect();
            for &c in &children {
                self.reconcile_node(run, c);
            }
            if !children.iter().all(|&c| run.nodes[c].done()) {
                return;
            }
            if let Some(failed) =
                children.iter().filter_map(|&c| run.nodes[c].state).find(|s| *s != NodeState::Succeeded)
            {
                self.finish_node(run, n, failed);
                return;
            }
            run.nodes[n].group += 1;
            run.nodes[n].children.clear();
        }
    }

    fn reconcile_dag(&mut self, run: &mut Run, n: usize) {
        let doc = self.doc;
        let tasks = &doc.workflow.spec.templates[run.nodes[n].template].dag.as_ref().expect("a dag").tasks;
        if run.nodes[n].state.is_none() {
            self.start_node(run, n, NodeState::Running);
            run.nodes[n].children = vec![None; tasks.len()];
        }
        loop {
            for c in run.nodes[n].children.clone().into_iter().flatten() {
                self.reconcile_node(run, c);
            }
            let state_of = |run: &Run, name: &str| {
                let i = tasks.iter().position(|t| t.name == name)?;
                run.nodes[n].children[i].and_then(|c| run.nodes[c].state)
            };
            let failed = run.nodes[n]
                .children
                .iter()
                .flatten()
                .filter_map(|&c| run.nodes[c].state)
                .find(|s| s.fulfilled() && *s != NodeState::Succeeded);
            let mut started = false;
            if failed.is_none() {
                for (i, task) in tasks.iter().enumerate() {
                    let ready = run.nodes[n].children[i].is_none()
                        && task.dependencies.iter().all(|d| state_of(run, d) == Some(NodeState::Succeeded));
                    if ready {
                        let child = self.child(run, n, &task.template, &task.arguments);
                        run.nodes[n].children[i] = Some(child);
                        started = true;
                    }
                }
            }
            if started {
                continue;
            }
            let all_done = run.nodes[n].children.iter().flatten().all(|&c| run.nodes[c].done());
            if all_done && (failed.is_some() || run.nodes[n].children.iter().all(Option::is_some)) {
                self.finish_node(run, n, failed.unwrap_or(NodeState::Succeeded));
            }
            return;
        }
    }
}

/// Sets the gauges of workflows and pods by phase and of the `PodRunning` condition from the cluster.
fn refresh_gauges(cluster: &Cluster) {
    for phase in [NodeState::Pending, NodeState::Running, NodeState::Succeeded, NodeState::Failed, NodeState::Error] {
        let n = cluster.workflows.values().filter(|r| r.state == phase).count();
        WORKFLOWS.workflows(phase.phase()).set(n as i64);
    }
    for (state, phase) in [(PodState::Pending, PodPhase::Pending), (PodState::Running, PodPhase::Running)] {
        let n = cluster.pods.values().filter(|p| p.state == state).count();
        WORKFLOWS.pods(phase).set(n as i64);
    }
    for (value, status) in [(true, ConditionStatus::True), (false, ConditionStatus::False)] {
        let n = cluster.workflows.values().filter(|r| r.pod_running == Some(value)).count();
        WORKFLOWS.workflow_condition(ConditionType::PodRunning, status).set(n as i64);
    }
}
