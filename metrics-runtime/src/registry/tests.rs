use super::*;
use crate::Descriptor;
use crate::encoding::Number;
use crate::label::tests::{Model, Status};
use crate::{Buckets, Counter, DenseFamily, FloatGauge, Histogram, Info, OpenFamily, OpenOptions, Policy};

fn encode(registry: &Registry, format: Format) -> String {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn quiet() -> Registry {
    Registry::builder().self_metrics(false).build()
}

#[test]
fn exact_exposition_in_both_formats() {
    let registry = quiet();
    let requests = Arc::new(DenseFamily::<(Model, Status), Counter>::new(
        Descriptor::builder("app_requests", MetricType::Counter, "Requests \"served\",\nby model.")
            .labels(["model", "status"])
            .build()
            .unwrap(),
        (),
    ));
    let latency = Arc::new(DenseFamily::<(), Histogram>::new(
        Descriptor::builder("app_latency_seconds", MetricType::Histogram, "Latency.").unit("seconds").build().unwrap(),
        Buckets::new([0.1, 1.0]).unwrap(),
    ));
    let temp = Arc::new(OpenFamily::<FloatGauge>::new(
        Descriptor::builder("app_temperature_celsius", MetricType::Gauge, "Temperature.")
            .labels(["room"])
            .build()
            .unwrap(),
        (),
        OpenOptions::new(),
    ));
    let build =
        Arc::new(DenseFamily::<(), Info>::new(Descriptor::new("app_build", MetricType::Info, "Build.").unwrap(), ()));
    registry.register(requests.clone()).unwrap();
    registry.register(latency.clone()).unwrap();
    registry.register(temp.clone()).unwrap();
    registry.register(build.clone()).unwrap();

    requests.get((Model::Gpt, Status::Ok)).inc_by(3);
    latency.get(()).observe(0.05);
    latency.get(()).observe(0.5);
    latency.get(()).observe(5.0);
    temp.get(&["a \"b\"\\\n"]).set(-1.5);
    build.get(()).set([("version", "1.0")]).unwrap();

    let text = encode(&registry, Format::Text);
    let expected_text = "\
# HELP app_requests_total Requests \"served\",\\nby model.
# TYPE app_requests_total counter
app_requests_total{model=\"gpt-4o\",status=\"ok\"} 3
app_requests_total{model=\"gpt-4o\",status=\"error\"} 0
app_requests_total{model=\"claude-3-5-sonnet\",status=\"ok\"} 0
app_requests_total{model=\"claude-3-5-sonnet\",status=\"error\"} 0
app_requests_total{model=\"llama-3-70b\",status=\"ok\"} 0
app_requests_total{model=\"llama-3-70b\",status=\"error\"} 0
# HELP app_latency_seconds Latency.
# TYPE app_latency_seconds histogram
app_latency_seconds_bucket{le=\"0.1\"} 1
app_latency_seconds_bucket{le=\"1.0\"} 2
app_latency_seconds_bucket{le=\"+Inf\"} 3
app_latency_seconds_sum 5.55
app_latency_seconds_count 3
# HELP app_temperature_celsius Temperature.
# TYPE app_temperature_celsius gauge
app_temperature_celsius{room=\"a \\\"b\\\"\\\\\\n\"} -1.5
# HELP app_build_info Build.
# TYPE app_build_info gauge
app_build_info{version=\"1.0\"} 1
";
    assert_eq!(text, expected_text);

    let om = encode(&registry, Format::OpenMetrics);
    assert!(!om.contains("_created"), "no `_created` lines by default, as in client_golang");
    // With them asked for: `_created` values are wall-clock times: check their shape, then compare the
    // rest exactly, which is the exposition without them.
    let with_created = Registry::builder().self_metrics(false).openmetrics_created(true).build();
    for collector in [requests.clone() as Arc<dyn Collect>, latency.clone(), temp.clone(), build.clone()] {
        with_created.register(collector).unwrap();
    }
    let om_created = encode(&with_created, Format::OpenMetrics);
    let (created, rest): (Vec<&str>, Vec<&str>) = om_created.lines().partition(|l| l.contains("_created"));
    assert_eq!(created.len(), 7, "one `_created` per counter and histogram series");
    for line in &created {
        let value: f64 = line.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(value > 1.7e9, "{line}");
    }
    assert_eq!(rest.join("\n") + "\n", om);
    assert_eq!(encode(&with_created, Format::Text), text, "text 0.0.4 never has `_created`");
    let expected_om = "\
# TYPE app_requests counter
# HELP app_requests Requests \\\"served\\\",\\nby model.
app_requests_total{model=\"gpt-4o\",status=\"ok\"} 3
app_requests_total{model=\"gpt-4o\",status=\"error\"} 0
app_requests_total{model=\"claude-3-5-sonnet\",status=\"ok\"} 0
app_requests_total{model=\"claude-3-5-sonnet\",status=\"error\"} 0
app_requests_total{model=\"llama-3-70b\",status=\"ok\"} 0
app_requests_total{model=\"llama-3-70b\",status=\"error\"} 0
# TYPE app_latency_seconds histogram
# UNIT app_latency_seconds seconds
# HELP app_latency_seconds Latency.
app_latency_seconds_bucket{le=\"0.1\"} 1
app_latency_seconds_bucket{le=\"1.0\"} 2
app_latency_seconds_bucket{le=\"+Inf\"} 3
app_latency_seconds_sum 5.55
app_latency_seconds_count 3
# TYPE app_temperature_celsius gauge
# HELP app_temperature_celsius Temperature.
app_temperature_celsius{room=\"a \\\"b\\\"\\\\\\n\"} -1.5
# TYPE app_build info
# HELP app_build Build.
app_build_info{version=\"1.0\"} 1
# EOF";
    assert_eq!(om, expected_om.to_owned() + "\n");
}

#[test]
fn duplicates_and_suffix_clashes_are_refused_with_both_names() {
    let registry = quiet();
    let counter = DenseFamily::<(), Counter>::new(Descriptor::new("foo", MetricType::Counter, "h").unwrap(), ());
    registry.register(counter).unwrap();
    for (name, kind) in
        [("foo", MetricType::Gauge), ("foo_total", MetricType::Gauge), ("foo_created", MetricType::Gauge)]
    {
        let gauge = DenseFamily::<(), crate::Gauge>::new(
            Descriptor::builder(name, kind, "h").policy(Policy::PERMISSIVE).build().unwrap(),
            (),
        );
        let err = registry.register(gauge).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&format!("`{name}`")) && msg.contains("`foo`"), "{msg}");
    }
    let hist = DenseFamily::<(), Histogram>::new(
        Descriptor::new("bar", MetricType::Histogram, "h").unwrap(),
        Buckets::default(),
    );
    registry.register(hist).unwrap();
    for name in ["bar_bucket", "bar_sum", "bar_count", "bar_created"] {
        let gauge = DenseFamily::<(), crate::Gauge>::new(
            Descriptor::builder(name, MetricType::Gauge, "h").policy(Policy::PERMISSIVE).build().unwrap(),
            (),
        );
        assert!(registry.register(gauge).is_err(), "{name}");
    }
    let info = DenseFamily::<(), Info>::new(Descriptor::new("baz", MetricType::Info, "h").unwrap(), ());
    registry.register(info).unwrap();
    let gauge = DenseFamily::<(), crate::Gauge>::new(
        Descriptor::builder("baz_info", MetricType::Gauge, "h").policy(Policy::PERMISSIVE).build().unwrap(),
        (),
    );
    assert!(registry.register(gauge).is_err());
    let text = encode(&registry, Format::Text);
    assert_eq!(text.matches("# TYPE").count(), 3, "refused collectors expose nothing:\n{text}");
}

#[test]
fn self_metrics_are_exposed_and_reserved() {
    let registry = Registry::builder().total_series_limit(3).build();
    let open = Arc::new(OpenFamily::<Counter>::new(
        Descriptor::builder("jobs", MetricType::Counter, "Jobs.").labels(["id"]).build().unwrap(),
        (),
        OpenOptions::new(),
    ));
    registry.register(open.clone()).unwrap();
    for i in 0..5 {
        open.get(&[&i.to_string()]).inc();
    }
    encode(&registry, Format::Text);
    let text = encode(&registry, Format::Text);
    assert!(text.contains("\npromstruct_series 3\n"), "{text}");
    assert!(text.contains("\npromstruct_series_limit 3\n"), "{text}");
    assert!(text.contains("\npromstruct_overflow_updates_total 2\n"), "{text}");
    assert!(text.contains("\npromstruct_scrape_series 11\n"), "{text}");
    let clash =
        DenseFamily::<(), crate::Gauge>::new(Descriptor::new("promstruct_series", MetricType::Gauge, "h").unwrap(), ());
    assert!(registry.register(clash).is_err());
}

#[test]
fn each_registry_counts_the_refusals_of_its_own_series() {
    let (a, b) = (Registry::new(), Registry::new());
    let spend = Arc::new(DenseFamily::<(), crate::FloatCounter>::new(
        Descriptor::new("spend", MetricType::Counter, "Spend.").unwrap(),
        (),
    ));
    let latency = Arc::new(OpenFamily::<Histogram>::new(
        Descriptor::builder("latency", MetricType::Histogram, "Latency.").labels(["route"]).build().unwrap(),
        Buckets::default(),
        OpenOptions::new(),
    ));
    let early = latency.get(&["/a"]);
    a.register(spend.clone()).unwrap();
    b.register(latency.clone()).unwrap();

    assert!(!spend.get(()).inc_by(-1.0));
    assert!(!spend.get(()).inc_by(f64::NAN));
    assert!(spend.get(()).inc_by(1.0), "an accepted increment is not counted");
    early.observe(f64::NAN);
    latency.get(&["/b"]).observe(f64::NAN);
    latency.get(&["/b"]).observe(0.1);
    crate::FloatCounter::new().inc_by(-1.0);

    assert_eq!(a.rejected_updates(), 2, "the dense float counters of registry a");
    assert_eq!(b.rejected_updates(), 2, "a series created before registration and one after, in b");
    assert!(encode(&a, Format::Text).contains("\npromstruct_rejected_updates_total 2\n"));
    assert!(encode(&b, Format::Text).contains("\npromstruct_rejected_updates_total 2\n"));
    assert_eq!(Registry::new().rejected_updates(), 0, "a cell outside any registry counts in itself only");
}

struct Panicking;

impl Collect for Panicking {
    fn describe(&self, _: &mut dyn FnMut(&Descriptor)) {}
    fn collect(&self, enc: &mut Encoder<'_>) {
        let desc = Descriptor::new("half", MetricType::Gauge, "h").unwrap();
        enc.family(&desc).gauge(&(), Number::I64(1));
        panic!("collector failure");
    }
}

#[test]
fn a_panicking_collector_fails_the_scrape_and_leaves_the_buffer() {
    let registry = quiet();
    registry.register(Panicking).unwrap();
    let mut buf = b"kept".to_vec();
    let err = registry.encode(Format::OpenMetrics, &mut buf).unwrap_err();
    assert!(err.to_string().contains("Panicking"), "{err}");
    assert_eq!(buf, b"kept");
}
