//! The controller metrics of Argo's "Default Controller Metrics", declared at compile time with the
//! names, label names and label values Argo's controller exposes, and the document's description of each
//! as its help. Argo's names break naming conventions its users' dashboards depend on, so each family
//! opts out of exactly the convention it breaks: the `_count` endings (`reserved_suffix`), and
//! `argo_workflows_queue_latency`, in seconds but named without the unit (`unit_suffix`).
//!
//! Two names follow the document where Argo's code differs: the document names `argo_workflows_workers_busy`
//! (the v3.5 controller registers `argo_workflows_workers_busy_count`), and `argo_pod_missing` is declared
//! under the `argo` namespace, as the document notes.

#![allow(dead_code)] // a variant the simulation never reaches is still one of Argo's label values

use promstruct::prelude::*;

/// The `argo_workflows_*` families.
#[metrics(namespace = "argo", subsystem = "workflows")]
#[labels(
    Phase { Pending = "Pending", Running = "Running", Succeeded = "Succeeded", Failed = "Failed", Error = "Error" },
    PodPhase { Pending = "Pending", Running = "Running" },
    Cause {
        OperationPanic = "OperationPanic",
        CronWorkflowSubmissionError = "CronWorkflowSubmissionError",
        CronWorkflowSpecError = "CronWorkflowSpecError",
    },
    Queue {
        Workflow = "workflow_queue",
        PodCleanup = "pod_cleanup_queue",
        CronWorkflow = "cron_wf_queue",
        WorkflowTtl = "workflow_ttl_queue",
    },
    ConditionType { PodRunning = "PodRunning" },
    ConditionStatus { True = "True", False = "False" },
)]
pub(crate) struct WorkflowsMetrics {
    /// Number of workflow in each phase. The Running count does not mean that a workflows pods are running,
    /// just that the controller has scheduled them. A workflow can be stuck in Running with pending pods
    /// for a long time.
    #[gauge(name = "count", labels(status: Phase), allow(reserved_suffix))]
    workflows: Gauge,

    /// A count of certain errors incurred by the controller.
    #[counter(name = "error_count", labels(cause: Cause), allow(reserved_suffix))]
    errors: Counter,

    /// Number of API requests sent to the Kubernetes API.
    #[counter(labels(kind: String, verb: String, status_code: String), max_series = 200)]
    k8s_request: Counter,

    /// A histogram of durations of operations. An operation is a single workflow reconciliation loop within
    /// the workflow-controller. It's the time for the controller to process a single workflow after it has
    /// been read from the cluster and is a measure of the performance of the controller affected by the
    /// complexity of the workflow.
    // The document gives no buckets: the classic ones are Argo's (`LinearBuckets(5, 5, 6)`), native ones
    // beside them follow whatever range reconciliations take.
    #[histogram(unit = "seconds", buckets = [5, 10, 15, 20, 25, 30], native(max_buckets = 100))]
    operation_duration: Histogram,

    /// It is possible for a workflow to start, but no pods be running (e.g. cluster is too busy to run
    /// them). This metric sheds light on actual work being done.
    #[gauge(name = "pods_count", labels(status: PodPhase), allow(reserved_suffix))]
    pods: Gauge,

    /// The number of additions to the queue of workflows or cron workflows.
    #[counter(name = "queue_adds_count", labels(queue_name: Queue), allow(reserved_suffix))]
    queue_adds: Counter,

    /// The depth of the queue of workflows or cron workflows to be processed by the controller.
    #[gauge(name = "queue_depth_count", labels(queue_name: Queue), allow(reserved_suffix))]
    queue_depth: Gauge,

    /// The time workflows or cron workflows spend in the queue waiting to be processed.
    // Argo's classic buckets, and native ones beside them (the document gives none).
    #[histogram(
        labels(queue_name: Queue),
        unit = "seconds",
        allow(unit_suffix),
        buckets = [1, 5, 20, 60, 180],
        native(max_buckets = 100)
    )]
    queue_latency: Histogram,

    /// The number of workers that are busy.
    #[gauge(labels(worker_type: Queue))]
    workers_busy: Gauge,

    /// The number of workflow with different conditions. This will tell you the number of workflows with
    /// running pods.
    #[gauge(labels(r#type: ConditionType, status: ConditionStatus))]
    workflow_condition: Gauge,

    /// A count of all Workflow updates processed by the controller.
    #[counter(name = "workflows_processed_count", allow(reserved_suffix))]
    workflows_processed: Counter,
}

/// `argo_pod_missing`: its name starts with `argo_`, not `argo_workflows_`.
#[metrics(namespace = "argo")]
#[labels(RecentlyStarted { True = "true", False = "false" }, NodePhase { Pending = "Pending", Running = "Running" })]
pub(crate) struct PodMetrics {
    /// Pods were not seen. E.g. by being deleted by Kubernetes. You should only see this under high load.
    #[gauge(labels(recently_started: RecentlyStarted, node_phase: NodePhase))]
    pod_missing: Gauge,
}

/// The controller's `argo_workflows_*` families.
pub(crate) static WORKFLOWS: LazyLock<WorkflowsMetrics> = LazyLock::new(WorkflowsMetrics::default);
/// `argo_pod_missing`.
pub(crate) static PODS: LazyLock<PodMetrics> = LazyLock::new(PodMetrics::default);
