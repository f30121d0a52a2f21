//! A client-go work queue with Argo's metrics: each key waits once however often it is added, a key
//! added while a worker processes it is queued again when the worker is done, and the queue keeps
//! `argo_workflows_queue_adds_count`, `argo_workflows_queue_depth_count`, `argo_workflows_queue_latency`
//! and `argo_workflows_workers_busy` (from a worker's `get` to its `done`, as Argo's wrapper counts them).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::lock;
use crate::metrics::{Queue, WORKFLOWS};

/// A client-go work queue with Argo's metrics: adds, depth, latency and busy workers.
#[derive(Debug)]
pub(crate) struct WorkQueue {
    name: Queue,
    state: Mutex<QueueState>,
    ready: Notify,
}

#[derive(Debug, Default)]
struct QueueState {
    queue: VecDeque<String>,
    added_at: HashMap<String, Instant>,
    dirty: HashSet<String>,
    processing: HashSet<String>,
}

impl WorkQueue {
    pub(crate) fn new(name: Queue) -> Arc<WorkQueue> {
        Arc::new(WorkQueue { name, state: Mutex::default(), ready: Notify::new() })
    }

    /// Adds `key` unless it waits already; a key being processed is queued again when it is done.
    pub(crate) fn add(&self, key: &str) {
        let mut q = lock(&self.state);
        if !q.dirty.insert(key.to_owned()) {
            return;
        }
        WORKFLOWS.queue_adds(self.name).inc();
        WORKFLOWS.queue_depth(self.name).inc();
        q.added_at.insert(key.to_owned(), Instant::now());
        if !q.processing.contains(key) {
            q.queue.push_back(key.to_owned());
            self.ready.notify_one();
        }
    }

    pub(crate) fn add_after(self: &Arc<Self>, key: String, delay: Duration) {
        let queue = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            queue.add(&key);
        });
    }

    /// Waits for a key; the worker counts as busy until [`WorkQueue::done`].
    pub(crate) async fn get(&self) -> String {
        loop {
            let ready = self.ready.notified();
            {
                let mut q = lock(&self.state);
                if let Some(key) = q.queue.pop_front() {
                    q.dirty.remove(&key);
                    WORKFLOWS.queue_depth(self.name).dec();
                    if let Some(at) = q.added_at.remove(&key) {
                        WORKFLOWS.queue_latency(self.name).observe(at.elapsed().as_secs_f64());
                    }
                    q.processing.insert(key.clone());
                    WORKFLOWS.workers_busy(self.name).inc();
                    return key;
                }
            }
            ready.await;
        }
    }

    pub(crate) fn done(&self, key: &str) {
        let mut q = lock(&self.state);
        q.processing.remove(key);
        WORKFLOWS.workers_busy(self.name).dec();
        if q.dirty.contains(key) {
            q.queue.push_back(key.to_owned());
            self.ready.notify_one();
        }
    }
}
