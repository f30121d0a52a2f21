//! The tokio runtime collector, read through real scrapes, and the `collectors` section of the
//! configuration switching each ready-made collector on and off.

use std::collections::BTreeSet;
use std::time::Duration;

use promstruct::collectors::RuntimeCollector;
use promstruct::config::{CollectorsConfig, CollectorsError, Config};
use promstruct::{Format, Registry};
use promstruct_testing::Exposition;
use suite::exposition::{parse_strictly, value};

fn scrape(registry: &Registry, format: Format) -> String {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

/// A scrape of `registry` in `format`, read by the strict parser.
fn read(registry: &Registry, format: Format) -> Exposition {
    parse_strictly(&scrape(registry, format), format)
}

fn family_names(text: &str) -> BTreeSet<String> {
    parse_strictly(text, Format::OpenMetrics).families().iter().map(|f| f.name.clone()).collect()
}

#[test]
fn exposes_the_stable_runtime_metrics_with_help_and_types() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(3).enable_all().build().unwrap();
    let registry = Registry::builder().self_metrics(false).build();
    registry.register(RuntimeCollector::new(rt.handle())).unwrap();
    // Some work, so the workers have been busy and parked.
    rt.block_on(async {
        for _ in 0..20 {
            tokio::spawn(async { tokio::time::sleep(Duration::from_millis(1)).await }).await.unwrap();
        }
    });

    let text = scrape(&registry, Format::OpenMetrics);
    let exposition = parse_strictly(&text, Format::OpenMetrics);
    let kinds: Vec<(String, String)> =
        exposition.families().iter().map(|f| (f.name.clone(), f.kind.as_str().to_owned())).collect();
    assert_eq!(
        kinds,
        [
            ("tokio_runtime_workers", "gauge"),
            ("tokio_runtime_alive_tasks", "gauge"),
            ("tokio_runtime_global_queue_depth", "gauge"),
            ("tokio_runtime_worker_busy_seconds", "counter"),
            ("tokio_runtime_worker_parks", "counter"),
            ("tokio_runtime_worker_park_unparks", "counter"),
        ]
        .map(|(n, k)| (n.to_owned(), k.to_owned())),
        "{text}"
    );
    assert!(text.contains("# HELP tokio_runtime_workers Number of worker threads of the tokio runtime.\n"), "{text}");
    assert!(text.contains("# UNIT tokio_runtime_worker_busy_seconds seconds\n"), "{text}");
    assert_eq!(value(&exposition, "tokio_runtime_workers", &[]), 3.0);
    let mut busy = 0.0;
    for w in ["0", "1", "2"] {
        busy += value(&exposition, "tokio_runtime_worker_busy_seconds_total", &[("worker", w)]);
        let parks = value(&exposition, "tokio_runtime_worker_parks_total", &[("worker", w)]);
        let both = value(&exposition, "tokio_runtime_worker_park_unparks_total", &[("worker", w)]);
        assert!(both >= parks, "worker {w}: park/unparks {both} below parks {parks}");
    }
    assert!(busy > 0.0, "the workers ran 20 tasks: {text}");
    assert!(!text.contains("worker=\"3\""), "only three workers: {text}");

    // The text format too.
    let text = scrape(&registry, Format::Text);
    assert!(text.contains("# TYPE tokio_runtime_worker_parks_total counter\n"), "{text}");
    assert_eq!(value(&parse_strictly(&text, Format::Text), "tokio_runtime_global_queue_depth", &[]), 0.0);
}

#[test]
fn alive_tasks_rise_with_pending_tasks_and_fall_when_they_finish() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let registry = Registry::builder().self_metrics(false).build();
    registry.register(RuntimeCollector::new(rt.handle())).unwrap();
    let before = value(&read(&registry, Format::Text), "tokio_runtime_alive_tasks", &[]);

    let (release, released) = tokio::sync::watch::channel(false);
    let tasks: Vec<_> = (0..25)
        .map(|_| {
            let mut released = released.clone();
            rt.spawn(async move {
                let _ = released.wait_for(|go| *go).await;
            })
        })
        .collect();
    let during = value(&read(&registry, Format::Text), "tokio_runtime_alive_tasks", &[]);
    assert_eq!(during, before + 25.0, "25 pending tasks");

    release.send(true).unwrap();
    rt.block_on(async {
        for task in tasks {
            task.await.unwrap();
        }
    });
    // A finished task is counted until the runtime has released it; that happens right after the join.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let after = value(&read(&registry, Format::Text), "tokio_runtime_alive_tasks", &[]);
        if after == before {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "alive tasks stayed at {after}, expected {before}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_global_queue_holds_tasks_spawned_from_outside_the_runtime() {
    // A current-thread runtime runs nothing unless blocked on: tasks spawned from outside wait in its
    // global queue until then.
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let registry = Registry::builder().self_metrics(false).build();
    registry.register(RuntimeCollector::new(rt.handle())).unwrap();
    let tasks: Vec<_> = (0..7).map(|i| rt.spawn(async move { i })).collect();
    let exposition = read(&registry, Format::Text);
    assert_eq!(value(&exposition, "tokio_runtime_workers", &[]), 1.0);
    assert_eq!(value(&exposition, "tokio_runtime_global_queue_depth", &[]), 7.0);
    assert_eq!(value(&exposition, "tokio_runtime_alive_tasks", &[]), 7.0);
    let sum: i32 = rt.block_on(async {
        let mut sum = 0;
        for task in tasks {
            sum += task.await.unwrap();
        }
        sum
    });
    assert_eq!(sum, 21);
    assert_eq!(value(&read(&registry, Format::Text), "tokio_runtime_global_queue_depth", &[]), 0.0);
}

#[test]
fn a_namespace_prefixes_every_family_and_is_checked() {
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let registry = Registry::builder().self_metrics(false).build();
    registry.register(RuntimeCollector::with_namespace(rt.handle(), "api").unwrap()).unwrap();
    let text = scrape(&registry, Format::OpenMetrics);
    assert!(family_names(&text).iter().all(|n| n.starts_with("api_tokio_runtime_")), "{text}");
    assert!(RuntimeCollector::with_namespace(rt.handle(), "Bad-Namespace").is_err());
    // Two collectors of one runtime under the same names clash.
    let err = registry.register(RuntimeCollector::with_namespace(rt.handle(), "api").unwrap()).unwrap_err();
    assert!(err.to_string().contains("api_tokio_runtime_workers"), "{err}");
}

fn config(llm: bool, agent: bool, process: bool, runtime: bool) -> Config {
    let yaml = format!(
        "prometheus_metrics:\n  collectors: {{ llm: {llm}, agent: {agent}, process: {process}, runtime: {runtime} }}\n"
    );
    Config::from_yaml_str(&yaml).unwrap()
}

/// The family-name prefixes of what each switch registers.
fn has(names: &BTreeSet<String>, prefix: &str) -> bool {
    names.iter().any(|n| n.starts_with(prefix))
}

#[tokio::test(flavor = "current_thread")]
async fn every_collector_is_registered_when_switched_on() {
    let (registry, enabled) = config(true, true, true, true).registry_with_collectors(Some("svc")).unwrap();
    assert!(enabled.process && enabled.runtime);
    let llm = enabled.llm.expect("llm on");
    let agent = enabled.agent.expect("agent on");
    llm.requests("gpt-4o", "ok").inc_by(3);
    agent.executions("planner", "ok").inc();
    let text = scrape(&registry, Format::OpenMetrics);
    let names = family_names(&text);
    for prefix in ["svc_llm_", "svc_agent_", "process_", "tokio_runtime_", "promstruct_"] {
        assert!(has(&names, prefix), "no {prefix}* family: {names:?}");
    }
    let exposition = parse_strictly(&text, Format::OpenMetrics);
    assert_eq!(value(&exposition, "svc_llm_requests_total", &[("model", "gpt-4o"), ("status", "ok")]), 3.0);
    assert_eq!(value(&exposition, "svc_agent_executions_total", &[("agent", "planner"), ("status", "ok")]), 1.0);
    assert_eq!(value(&exposition, "tokio_runtime_workers", &[]), 1.0);
    assert!(value(&exposition, "process_resident_memory_bytes", &[]) > 0.0);
}

#[tokio::test(flavor = "current_thread")]
async fn each_collector_is_left_out_when_switched_off() {
    let all = ["svc_llm_", "svc_agent_", "process_", "tokio_runtime_"];
    for off in 0..all.len() {
        let flags: Vec<bool> = (0..all.len()).map(|i| i != off).collect();
        let config = config(flags[0], flags[1], flags[2], flags[3]);
        let (registry, enabled) = config.registry_with_collectors(Some("svc")).unwrap();
        assert_eq!(
            [enabled.llm.is_some(), enabled.agent.is_some(), enabled.process, enabled.runtime].as_slice(),
            flags.as_slice()
        );
        let names = family_names(&scrape(&registry, Format::OpenMetrics));
        for (i, prefix) in all.iter().enumerate() {
            assert_eq!(has(&names, prefix), flags[i], "{prefix} with {:?}: {names:?}", config.collectors);
        }
    }

    let (registry, enabled) = config(false, false, false, false).registry_with_collectors(None).unwrap();
    assert!(enabled.llm.is_none() && enabled.agent.is_none() && !enabled.process && !enabled.runtime);
    let names = family_names(&scrape(&registry, Format::OpenMetrics));
    assert!(names.iter().all(|n| n.starts_with("promstruct_")), "only the registry's own health: {names:?}");
}

#[test]
fn the_defaults_switch_everything_on_and_the_builder_can_switch_off() {
    assert_eq!(Config::default().collectors, config(true, true, true, true).collectors);
    let off = config(false, false, false, false).collectors;
    let built = Config::builder().collectors(off.clone()).build().unwrap();
    assert_eq!(built.collectors, off);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (registry, enabled) = rt.block_on(async { built.registry_with_collectors(None) }).unwrap();
    assert!(!enabled.runtime);
    assert!(!scrape(&registry, Format::Text).contains("tokio_runtime_"));
    let _: CollectorsConfig = off;
}

#[test]
fn the_runtime_collector_outside_a_runtime_is_a_clear_error() {
    let err = config(false, false, false, true).registry_with_collectors(None).unwrap_err();
    assert_eq!(err, CollectorsError::NoRuntime);
    assert!(err.to_string().contains("collectors.runtime"), "{err}");
    // Without it, no runtime is needed.
    let (_, enabled) = config(true, false, true, false).registry_with_collectors(None).unwrap();
    assert!(enabled.llm.is_some() && enabled.process);
}

#[tokio::test(flavor = "current_thread")]
async fn registering_twice_and_bad_namespaces_are_errors() {
    let config = config(true, true, true, true);
    let (registry, _) = config.registry_with_collectors(None).unwrap();
    let err = config.register_collectors(&registry, None).unwrap_err();
    assert!(matches!(err, CollectorsError::Registry(_)), "{err}");
    assert!(err.to_string().contains("llm_requests"), "{err}");
    let err = config.registry_with_collectors(Some("9bad")).unwrap_err();
    assert!(matches!(err, CollectorsError::Namespace(_)), "{err}");
}
