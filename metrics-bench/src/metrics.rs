//! `metrics` 0.24 and `metrics-exporter-prometheus` 0.18: the `counter!`/`histogram!` macros against a
//! Prometheus recorder, which renders the text format.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::{BUCKETS, Digit, Format, Kind, Library, Route};

/// `metrics` with `metrics-exporter-prometheus`.
#[derive(Debug)]
pub struct Metrics;

/// A recorder and the upkeep thread its histograms need (what `PrometheusBuilder::install` starts).
pub struct Recorder {
    recorder: PrometheusRecorder,
    stop: Arc<AtomicBool>,
    upkeep: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    fn new(builder: PrometheusBuilder) -> Self {
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let stop = Arc::new(AtomicBool::new(false));
        let upkeep = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(50));
                    handle.run_upkeep();
                }
            })
        };
        Recorder { recorder, stop, upkeep: Some(upkeep) }
    }

    /// Runs `f` with this recorder as the thread's recorder.
    #[inline]
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&self.recorder, f)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(upkeep) = self.upkeep.take() {
            let _ = upkeep.join();
        }
    }
}

/// A recorder and the handle that renders it.
pub struct Exposition {
    recorder: Recorder,
    handle: PrometheusHandle,
    out: Vec<u8>,
}

impl std::fmt::Debug for Exposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exposition").finish_non_exhaustive()
    }
}

impl Library for Metrics {
    const NAME: &'static str = "metrics";

    type Counter = Recorder;

    fn counter() -> Self::Counter {
        Recorder::new(PrometheusBuilder::new())
    }

    #[inline]
    fn inc(counter: &Self::Counter, route: Route, kind: Kind) {
        counter.with(|| {
            metrics::counter!("requests_total", "route" => route.as_str(), "kind" => kind.as_str()).increment(1)
        });
    }

    type Histogram = Recorder;

    fn histogram() -> Self::Histogram {
        Recorder::new(PrometheusBuilder::new().set_buckets(&BUCKETS).unwrap())
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.with(|| {
            metrics::histogram!("latency_seconds", "route" => route.as_str(), "kind" => kind.as_str()).record(value)
        });
    }

    type Open = Recorder;

    fn open(_: usize) -> Self::Open {
        Recorder::new(PrometheusBuilder::new())
    }

    #[inline]
    fn inc_open(open: &Self::Open, agent: &str, kind: Kind) {
        open.with(|| {
            metrics::counter!("executions_total", "agent" => agent.to_owned(), "kind" => kind.as_str()).increment(1)
        });
    }

    type Dense = Recorder;

    fn dense() -> Self::Dense {
        let recorder = Recorder::new(PrometheusBuilder::new());
        recorder.with(|| {
            for a in Digit::ALL {
                for b in Digit::ALL {
                    for c in Digit::ALL {
                        metrics::counter!("requests_total", "a" => a.as_str(), "b" => b.as_str(), "c" => c.as_str())
                            .increment(1);
                    }
                }
            }
        });
        recorder
    }

    type Exposition = Exposition;

    fn exposition(series: usize) -> Exposition {
        let recorder = Recorder::new(PrometheusBuilder::new());
        recorder.with(|| {
            metrics::describe_counter!("requests_total", "Requests.");
            for i in 0..series {
                metrics::counter!("requests_total", "id" => i.to_string()).increment(1);
            }
        });
        let handle = recorder.recorder.handle();
        Exposition { recorder, handle, out: Vec::new() }
    }

    fn encode(exposition: &mut Exposition, format: Format) -> Option<usize> {
        if format != Format::Text {
            return None;
        }
        let _ = &exposition.recorder;
        exposition.out.clear();
        exposition.handle.render_to_write(&mut exposition.out).unwrap();
        Some(exposition.out.len())
    }

    fn output(exposition: &Exposition) -> &[u8] {
        &exposition.out
    }
}
