//! The protobuf exposition read by an independent decoder: `protoc --decode=io.prometheus.client.MetricFamily`
//! (Debian's `protobuf-compiler`, with client_model's `metrics.proto` from `metrics-testing/proto/`)
//! decodes every message of a scrape of a registry with every kind we expose (counters, gauges, classic
//! histograms, infos, families defined at run time, real-time gauges, the collectors, the registry's
//! self-metrics) and of each seed example (llm_service, agentcube, kosmos, argo). What protoc reads equals
//! what `promstruct-testing`'s decoder reads from the same bytes, value for value, and both equal the text
//! format's scrape of the same registry: exactly where the value cannot move between two scrapes, within
//! the values of a text scrape before and after where it can.

mod agentcube_support;
mod argo_support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use promstruct::collectors::{ProcessCollector, RuntimeCollector};
use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use promstruct::{
    Buckets, Counter, DenseFamily, Descriptor, FloatCounter, FloatGauge, Format, Gauge, Histogram, HistogramConfig,
    Info, MetricType, NativeConfig, OpenFamily, OpenOptions, Registry,
};
use promstruct_testing::{Exposition, FamilyType, NativeHistogram, parse_protobuf};
use suite::exposition::{SeriesKey, by_series, parse_strictly};
use suite::http::{PROMETHEUS_NATIVE_ACCEPT, PROTOBUF, get};
use suite::programs::{Scratch, build_example, require_program, start_serving};
use suite::protoc::{ProtocFamily, ProtocNative, decode_body};

/// Label values that stress every encoding: quotes, backslashes, newlines, non-ASCII (which protoc
/// shows as octal escapes), the empty string.
const AWKWARD: &[&str] = &["plain", "", "a\"b", "back\\slash", "new\nline", "naïve café", "日本語", "🚀", "x=\"y\",z"];

/// Every kind we expose, in one registry with its self-metrics and the collectors.
fn registry_with_every_kind() -> Registry {
    let registry = Registry::new();
    let help = "Help with \"quotes\", back\\slash, new\nline and ünïcödé.";
    let desc = |name: &'static str, kind, labels: &[&str]| {
        Descriptor::builder(name, kind, help).labels(labels.iter().copied())
    };
    let requests =
        Arc::new(DenseFamily::<(), Counter>::new(desc("app_requests", MetricType::Counter, &[]).build().unwrap(), ()));
    let cost = Arc::new(DenseFamily::<(), FloatCounter>::new(
        desc("app_cost_dollars", MetricType::Counter, &[]).unit("dollars").build().unwrap(),
        (),
    ));
    let inflight =
        Arc::new(DenseFamily::<(), Gauge>::new(desc("app_inflight", MetricType::Gauge, &[]).build().unwrap(), ()));
    let temperature = Arc::new(OpenFamily::<FloatGauge>::new(
        desc("app_temperature_celsius", MetricType::Gauge, &["room"]).unit("celsius").build().unwrap(),
        (),
        OpenOptions::new(),
    ));
    let latency = Arc::new(OpenFamily::<Histogram>::new(
        desc("app_latency_seconds", MetricType::Histogram, &["route"]).unit("seconds").build().unwrap(),
        Buckets::new([0.001, 0.25, 1.0, 2.5, 1e6]).unwrap(),
        OpenOptions::new(),
    ));
    let offsets = Arc::new(DenseFamily::<(), Histogram>::new(
        desc("app_clock_offset", MetricType::Histogram, &[]).build().unwrap(),
        Buckets::new([-1.0, 0.0, 1.0]).unwrap(),
    ));
    // Native buckets only, at schema 2 with a zero bucket: both signs, the zero bucket and the infinities.
    let skew = Arc::new(DenseFamily::<(), Histogram>::new(
        desc("app_clock_skew_seconds", MetricType::Histogram, &[]).unit("seconds").build().unwrap(),
        NativeConfig::new().with_schema(2).unwrap().with_zero_threshold(0.001).unwrap(),
    ));
    // Classic and native buckets in one series, as client_golang writes both.
    let tokens = Arc::new(OpenFamily::<Histogram>::new(
        desc("app_tokens", MetricType::Histogram, &["model"]).build().unwrap(),
        HistogramConfig::classic(Buckets::new([10.0, 100.0, 1000.0]).unwrap()).with_native(NativeConfig::new()),
        OpenOptions::new(),
    ));
    let build = Arc::new(DenseFamily::<(), Info>::new(desc("app_build", MetricType::Info, &[]).build().unwrap(), ()));
    let awkward = Arc::new(OpenFamily::<Counter>::new(
        desc("app_awkward_labels", MetricType::Counter, &["value", "index"]).build().unwrap(),
        (),
        OpenOptions::new(),
    ));
    let empty = Arc::new(OpenFamily::<Counter>::new(
        desc("app_never_used", MetricType::Counter, &["who"]).build().unwrap(),
        (),
        OpenOptions::new(),
    ));
    registry.register(requests.clone()).unwrap();
    registry.register(cost.clone()).unwrap();
    registry.register(inflight.clone()).unwrap();
    registry.register(temperature.clone()).unwrap();
    registry.register(latency.clone()).unwrap();
    registry.register(offsets.clone()).unwrap();
    registry.register(skew.clone()).unwrap();
    registry.register(tokens.clone()).unwrap();
    registry.register(build.clone()).unwrap();
    registry.register(awkward.clone()).unwrap();
    registry.register(empty).unwrap();
    registry.register(Arc::new(ProcessCollector::new())).unwrap();
    registry.register(Arc::new(RuntimeCollector::current())).unwrap();
    let (llm, agent) = promstruct::collectors::llm_and_agent(Some("app"), 100).unwrap();
    registry.register(llm.clone()).unwrap();
    registry.register(agent.clone()).unwrap();

    requests.get(()).inc_by(u64::MAX / 3);
    cost.get(()).inc_by(0.1 + 0.2);
    inflight.get(()).set(-3);
    temperature.get(&["server room"]).set(21.75);
    temperature.get(&["void"]).set(f64::NEG_INFINITY);
    temperature.get(&["unknown"]).set(f64::NAN);
    for v in [0.0005, 0.2, 0.9, 2.0, 5e6] {
        latency.get(&["/v1/chat"]).observe(v);
    }
    latency.get(&["/idle"]);
    for v in [-3.0, -0.5, 0.0, 0.5, 7.0] {
        offsets.get(()).observe(v);
    }
    for v in [-2.5, -0.25, -0.0005, 0.0, 0.0009, 0.3, 0.3, 4.0, 1e300, f64::INFINITY, f64::NEG_INFINITY] {
        skew.get(()).observe(v);
    }
    for v in [1.0, 64.0, 64.0, 512.0, 5000.0] {
        tokens.get(&["gpt-4o"]).observe(v);
    }
    tokens.get(&["idle"]);
    build.get(()).set([("version", "1.2.3"), ("commit", "a\"b\\c\nd")]).unwrap();
    for (i, value) in AWKWARD.iter().enumerate() {
        awkward.get(&[value, &i.to_string()]).inc_by(i as u64 + 1);
    }
    llm.requests("gpt-4o", "ok").inc_by(42);
    llm.request_duration("gpt-4o").observe(1.5);
    agent.executions("planner", "ok").inc();

    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let runs = dynamic.counter(&MetricSpec::new("wf_runs", "Runs.", SpecKind::Counter).labels(["template"])).unwrap();
    runs.get(&["nightly"]).inc_by(2.5);
    let depth = dynamic.gauge(&MetricSpec::new("wf_queue_depth", "Depth.", SpecKind::Gauge)).unwrap();
    depth.get(&[]).set(7.0);
    let steps = dynamic
        .histogram(
            &MetricSpec::new("wf_step", "Steps.", SpecKind::Histogram { buckets: vec![1.0, 10.0], native: None })
                .unit("seconds"),
        )
        .unwrap();
    steps.get(&[]).observe(3.0);
    let age =
        dynamic.realtime_gauge(&MetricSpec::new("wf_age", "Age.", SpecKind::RealtimeGauge).labels(["wf"])).unwrap();
    age.set(&["wf-1"], || 12.5);
    registry
}

fn encode(registry: &Registry, format: Format) -> Vec<u8> {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    buf
}

/// The family type protoc names, as the decoder's model has it.
fn protoc_kind(kind: FamilyType) -> &'static str {
    match kind {
        FamilyType::Counter => "COUNTER",
        FamilyType::Gauge => "GAUGE",
        FamilyType::Histogram => "HISTOGRAM",
        FamilyType::Summary => "SUMMARY",
        FamilyType::Untyped => "UNTYPED",
        FamilyType::GaugeHistogram => "GAUGE_HISTOGRAM",
        other => panic!("a family type protobuf does not have: {other}"),
    }
}

fn same(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// What protoc read equals what our decoder read from the same bytes: the families in order, with their
/// types, help, units, samples and creation times.
fn protoc_agrees_with_our_decoder(protoc: &[ProtocFamily], ours: &Exposition, what: &str) {
    let names: Vec<&str> = protoc.iter().map(|f| f.name.as_str()).collect();
    let our_names: Vec<&str> = ours.families().iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, our_names, "{what}: the families protoc decoded");
    for (p, o) in protoc.iter().zip(ours.families()) {
        assert_eq!(p.kind, protoc_kind(o.kind), "{what}: {}", p.name);
        assert_eq!(p.help, o.help, "{what}: {}", p.name);
        assert_eq!(p.unit, o.unit, "{what}: {}", p.name);
        let samples: BTreeMap<SeriesKey, f64> =
            o.samples.iter().map(|s| ((s.name.clone(), s.labels.iter().cloned().collect()), s.value)).collect();
        assert_eq!(samples.len(), o.samples.len(), "{what}: {}: a series twice", p.name);
        assert_eq!(p.samples.keys().collect::<Vec<_>>(), samples.keys().collect::<Vec<_>>(), "{what}: {}", p.name);
        for (key, value) in &p.samples {
            assert!(same(*value, samples[key]), "{what}: {key:?}: protoc {value}, ours {}", samples[key]);
        }
        let our_natives: BTreeMap<BTreeMap<String, String>, &NativeHistogram> =
            o.native_histograms.iter().map(|h| (h.labels.iter().cloned().collect(), h)).collect();
        assert_eq!(
            p.natives.keys().collect::<Vec<_>>(),
            our_natives.keys().collect::<Vec<_>>(),
            "{what}: {}: the series with native buckets",
            p.name
        );
        for (labels, theirs) in &p.natives {
            let ours = our_natives[labels];
            let read = ProtocNative {
                schema: ours.schema,
                zero_threshold: ours.zero_threshold,
                zero_count: ours.zero_count,
                count: ours.count,
                sum: ours.sum,
                positive: ours.positive.clone(),
                negative: ours.negative.clone(),
            };
            // The sum is NaN after +Inf and -Inf: compared on its own.
            assert!(same(theirs.sum, read.sum), "{what}: {} {labels:?}: sum {} vs {}", p.name, theirs.sum, read.sum);
            assert_eq!(
                ProtocNative { sum: 0.0, ..theirs.clone() },
                ProtocNative { sum: 0.0, ..read },
                "{what}: {} {labels:?}: native buckets, protoc then ours",
                p.name
            );
            // Every observation is in exactly one bucket (NaN is refused), and the classic `+Inf` bucket of
            // the same message counts the same observations.
            let in_buckets =
                theirs.zero_count + theirs.positive.iter().chain(&theirs.negative).map(|b| b.1).sum::<f64>();
            assert_eq!(in_buckets, theirs.count, "{what}: {} {labels:?}: buckets vs count", p.name);
            let mut inf = labels.clone();
            inf.insert("le".to_owned(), "+Inf".to_owned());
            assert_eq!(p.samples[&(format!("{}_bucket", p.name), inf)], theirs.count, "{what}: {labels:?}");
        }
        for s in &o.samples {
            let labels: BTreeMap<String, String> =
                s.labels.iter().filter(|(n, _)| n != "le").cloned().collect::<BTreeMap<_, _>>();
            let created = p.created.get(&(p.name.clone(), labels));
            match (created, s.created) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-6, "{what}: {}: created {a} vs {b}", s.series()),
                (None, None) => {}
                (a, b) => panic!("{what}: {}: created {a:?} (protoc) vs {b:?} (ours)", s.series()),
            }
        }
    }
}

/// Whether a series can only grow (a counter's, a histogram's buckets and count).
fn monotonic(exposition: &Exposition, name: &str) -> bool {
    let family = exposition.family_of(name).map(|f| f.kind);
    match family {
        Some(FamilyType::Counter) => true,
        Some(FamilyType::Histogram) => !name.ends_with("_sum"),
        _ => false,
    }
}

/// The protobuf scrape's values equal the text format's: where two text scrapes, one before and one
/// after it, agree, exactly; where they differ, within them for what only grows. Returns how many
/// values were compared exactly.
fn values_equal_the_text_formats(proto: &Exposition, before: &Exposition, after: &Exposition, what: &str) -> usize {
    let (ours, before_values, after_values) = (by_series(proto), by_series(before), by_series(after));
    let families = |e: &Exposition| -> Vec<String> {
        e.families().iter().filter(|f| !f.samples.is_empty()).map(|f| f.name.clone()).collect()
    };
    assert_eq!(families(proto), families(after), "{what}: the families, in order");
    let mut exact = 0;
    for (key, a) in &before_values {
        let Some(b) = after_values.get(key) else { continue };
        let got = *ours.get(key).unwrap_or_else(|| panic!("{what}: the protobuf scrape has no {key:?}"));
        if same(*a, *b) {
            assert!(same(got, *a), "{what}: {key:?} is {got} in protobuf, {a} in text");
            exact += 1;
        } else if monotonic(proto, &key.0) {
            assert!(*a <= got && got <= *b, "{what}: {key:?} is {got} in protobuf, {a} then {b} in text");
        }
    }
    for key in ours.keys() {
        assert!(
            before_values.contains_key(key) || after_values.contains_key(key),
            "{what}: {key:?} is in neither text scrape"
        );
    }
    exact
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protoc_decodes_a_registry_with_every_kind_and_it_equals_the_text_format() {
    require_program("protoc", "protobuf-compiler");
    let registry = registry_with_every_kind();
    let before = parse_strictly(std::str::from_utf8(&encode(&registry, Format::Text)).unwrap(), Format::Text);
    let body = encode(&registry, Format::Protobuf);
    let after = parse_strictly(std::str::from_utf8(&encode(&registry, Format::Text)).unwrap(), Format::Text);

    let ours = parse_protobuf(&body).unwrap_or_else(|v| panic!("{v}"));
    assert!(ours.warnings().is_empty(), "{:?}", ours.warnings());
    let protoc = decode_body(&body);
    protoc_agrees_with_our_decoder(&protoc, &ours, "every kind");
    let exact = values_equal_the_text_formats(&ours, &before, &after, "every kind");
    assert!(exact * 10 > ours.sample_count() * 9, "only {exact} of {} values compared exactly", ours.sample_count());

    // What each kind became, read from protoc's side.
    let family = |name: &str| protoc.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("no family {name}"));
    let value = |name: &str, labels: &[(&str, &str)]| {
        let f = protoc.iter().find(|f| f.samples.keys().any(|(n, _)| n == name)).unwrap_or_else(|| panic!("{name}"));
        let labels = labels.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        f.samples[&(name.to_owned(), labels)]
    };
    assert_eq!(
        (family("app_requests_total").kind.as_str(), value("app_requests_total", &[])),
        ("COUNTER", (u64::MAX / 3) as f64)
    );
    assert_eq!(value("app_cost_dollars_total", &[]), 0.1 + 0.2);
    assert_eq!(family("app_cost_dollars_total").unit.as_deref(), Some("dollars"));
    assert_eq!(value("app_inflight", &[]), -3.0);
    assert_eq!(value("app_temperature_celsius", &[("room", "void")]), f64::NEG_INFINITY);
    assert!(value("app_temperature_celsius", &[("room", "unknown")]).is_nan());
    assert_eq!(family("app_build_info").kind, "GAUGE");
    assert_eq!(value("app_build_info", &[("version", "1.2.3"), ("commit", "a\"b\\c\nd")]), 1.0);
    assert_eq!(value("app_latency_seconds_bucket", &[("route", "/v1/chat"), ("le", "1e+06")]), 4.0);
    assert_eq!(value("app_latency_seconds_bucket", &[("route", "/v1/chat"), ("le", "+Inf")]), 5.0);
    assert_eq!(value("app_latency_seconds_count", &[("route", "/idle")]), 0.0);
    assert_eq!(value("app_clock_offset_bucket", &[("le", "-1.0")]), 1.0);
    assert_eq!(value("app_clock_offset_sum", &[]), 4.0);
    for (i, v) in AWKWARD.iter().enumerate() {
        assert_eq!(value("app_awkward_labels_total", &[("value", v), ("index", &i.to_string())]), (i + 1) as f64);
    }
    assert_eq!(value("wf_runs_total", &[("template", "nightly")]), 2.5);
    assert_eq!(value("wf_age", &[("wf", "wf-1")]), 12.5);
    assert_eq!(family("wf_step_seconds").unit.as_deref(), Some("seconds"));
    assert!(family("process_resident_memory_bytes").samples.values().all(|v| *v > 0.0));
    assert_eq!(family("promstruct_series").kind, "GAUGE");
    assert_eq!(family("promstruct_overflow_updates_total").kind, "COUNTER");
    assert!(protoc.iter().any(|f| f.name.starts_with("tokio_")), "the runtime collector");
    assert_eq!(value("app_llm_requests_total", &[("model", "gpt-4o"), ("status", "ok")]), 42.0);
    // A family without series has no message, as client_golang writes it.
    assert!(protoc.iter().all(|f| f.name != "app_never_used_total"));
    // Counters and histograms carry their creation time; gauges and infos none.
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    for name in ["app_requests_total", "app_latency_seconds", "app_awkward_labels_total", "wf_runs_total"] {
        let created = family(name).created.values().copied().collect::<Vec<_>>();
        assert!(!created.is_empty() && created.iter().all(|c| (now - c).abs() < 600.0), "{name}: {created:?}");
    }
    assert!(family("app_inflight").created.is_empty() && family("app_build_info").created.is_empty());

    // Native buckets, read by protoc: schema 2 (base 2^(1/4)), the zero bucket of half-width 0.001 with
    // -0.0005, 0, 0.0009; 0.3 twice in bucket -6 ((2^(-7/4), 2^(-6/4)] holds 0.3); +Inf and -Inf in the
    // bucket past the largest float's (index 4097 at schema 2, as 1e300 is in bucket 3987).
    let skew = &family("app_clock_skew_seconds").natives[&BTreeMap::new()];
    assert_eq!((skew.schema, skew.zero_threshold, skew.zero_count, skew.count), (2, 0.001, 3.0, 11.0));
    assert!(skew.positive.contains(&(-6, 2.0)), "{:?}", skew.positive);
    assert_eq!(skew.positive.iter().map(|b| b.1).sum::<f64>(), 5.0, "0.3 twice, 4, 1e300, +Inf");
    assert_eq!(skew.negative.iter().map(|b| b.1).sum::<f64>(), 3.0, "-2.5, -0.25, -Inf");
    let top = |side: &[(i32, f64)]| side.last().map(|b| b.0);
    assert_eq!((top(&skew.positive), top(&skew.negative)), (Some(4097), Some(4097)), "the infinities");
    let tokens = family("app_tokens");
    let gpt = &tokens.natives[&BTreeMap::from([("model".to_owned(), "gpt-4o".to_owned())])];
    assert_eq!((gpt.count, gpt.sum, gpt.schema), (5.0, 5641.0, 3));
    assert_eq!(value("app_tokens_bucket", &[("model", "gpt-4o"), ("le", "100.0")]), 3.0, "and the classic buckets");
    assert_eq!(tokens.natives.len(), 2, "the idle series is native too, empty");
}

/// Scrapes `addr` three times, text, protobuf, text, the cache off; checks the protobuf body with protoc
/// and against the text scrapes; returns the protobuf exposition.
async fn check_server(addr: SocketAddr, what: &str) -> Exposition {
    let text = |reply: suite::http::Reply| parse_strictly(&reply.text(), Format::Text);
    let before = text(get(addr, "/metrics", &[("accept", "text/plain")]).await);
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_NATIVE_ACCEPT)]).await;
    assert_eq!(reply.status, 200, "{what}");
    assert_eq!(reply.header("content-type"), PROTOBUF, "{what}");
    let after = text(get(addr, "/metrics", &[("accept", "text/plain")]).await);
    let ours = parse_protobuf(&reply.body).unwrap_or_else(|v| panic!("{what}: {v}"));
    let protoc = decode_body(&reply.body);
    assert!(protoc.len() > 5, "{what}: {} families", protoc.len());
    protoc_agrees_with_our_decoder(&protoc, &ours, what);
    let exact = values_equal_the_text_formats(&ours, &before, &after, what);
    assert!(exact > 10, "{what}: only {exact} values compared exactly");
    ours
}

const NO_CACHE: &str = "prometheus_metrics:\n  cache: { enabled: false }\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protoc_decodes_every_seed_example_and_it_equals_the_text_format() {
    require_program("protoc", "protobuf-compiler");
    let tmp = Scratch::new("protobuf-seeds");
    let config = tmp.join("no-cache.yaml");
    std::fs::write(&config, NO_CACHE).unwrap();
    let config = config.to_str().unwrap();

    let (_llm, addr) = start_serving(
        &build_example("llm_service"),
        &["--listen", "127.0.0.1:0", "--deterministic", "--config", config],
    );
    let e = check_server(addr, "llm_service").await;
    let latency = e.family("llmdevops_llm_request_duration_seconds").expect("the request latency");
    assert!(latency.native_histograms.iter().any(|h| h.count > 0.0), "native buckets beside the classic ones");

    let (_kosmos, addr) = start_serving(&build_example("kosmos"), &["--listen", "127.0.0.1:0", "--config", config]);
    let e = check_server(addr, "kosmos").await;
    assert!(e.families().iter().any(|f| f.name.starts_with("kosmos_")));

    let events = tmp.join("events.jsonl");
    let args = ["--listen", "127.0.0.1:0", "--config", config, "--workflows", argo_support::WORKFLOWS, "--runs", "1"];
    let (_argo, addr) = start_serving(
        &build_example("argo"),
        &[&args[..], &["--interval", "20", "--events", events.to_str().unwrap()]].concat(),
    );
    argo_support::wait_for_workflows(&events, 5, std::time::Duration::from_secs(60)).await;
    let e = check_server(addr, "argo").await;
    assert!(e.families().iter().any(|f| f.name.starts_with("argo_workflows_")));
    assert!(e.families().iter().any(|f| !f.native_histograms.is_empty()), "argo's native histograms");

    let agentcube = agentcube_support::start(
        &build_example("agentcube"),
        &["--listen", "127.0.0.1:0", "--router-listen", "127.0.0.1:0", "--config", config],
    );
    for (server, addr) in [("agentcube workload manager", agentcube.manager), ("agentcube router", agentcube.router)] {
        let e = check_server(addr, server).await;
        assert!(e.families().iter().any(|f| f.name.starts_with("agentcube_")), "{server}");
    }
}
