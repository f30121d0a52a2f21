//! Every kind of metric, with label values and HELP text of every awkward content, encoded in both
//! formats and read back by the real validators: `promtool check metrics` for the text format (no lint
//! finding either) and Python's strict OpenMetrics parser, comparing every value and label with what was
//! set.

use std::sync::Arc;

use metrics_runtime::{
    Buckets, Counter, DenseFamily, Descriptor, FloatCounter, FloatGauge, Format, Gauge, Histogram, Info, LabelEnum,
    MetricType, OpenFamily, OpenOptions, Registry,
};
use suite::{PyFamily, find_sample, promtool_check, python_parse};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Model {
    Gpt,
    Claude,
}

impl LabelEnum for Model {
    const CARDINALITY: usize = 2;
    const ALL: &'static [Self] = &[Model::Gpt, Model::Claude];
    const VALUES: &'static [&'static str] = &["gpt-4o", "claude \"3.5\" \\ sonnet"];
    fn ordinal(self) -> usize {
        self as usize
    }
}

/// Label values nobody should have to think about: each must come back exactly as set.
const AWKWARD: &[&str] = &[
    "plain",
    "",
    "double \"quotes\"",
    "back\\slash",
    "trailing backslash \\",
    "new\nline",
    "literal \\n, not a newline",
    "tab\there",
    "carriage\rreturn",
    "naïve café ünïcödé",
    "日本語のラベル",
    "emoji 🚀🔥",
    "{braces}, commas=\"x\"",
    "# not a comment",
    " leading and trailing spaces ",
];

const HELP: &str = "Awkward help: \"quotes\", back\\slash, new\nline, tab\t, ünïcödé 🚀.";

struct Fixture {
    registry: Registry,
    requests: Arc<DenseFamily<(Model,), Counter>>,
    cost: Arc<DenseFamily<(Model,), FloatCounter>>,
    inflight: Arc<DenseFamily<(), Gauge>>,
    temperature: Arc<OpenFamily<FloatGauge>>,
    latency: Arc<DenseFamily<(Model,), Histogram>>,
    sizes: Arc<OpenFamily<Histogram>>,
    build: Arc<DenseFamily<(), Info>>,
    awkward: Arc<OpenFamily<Counter>>,
}

fn fixture() -> Fixture {
    let registry = Registry::new();
    let desc = |name: &'static str, kind, labels: &[&str]| {
        Descriptor::new(name, kind, HELP).unwrap().with_labels(labels.iter().copied()).unwrap()
    };
    let f = Fixture {
        requests: Arc::new(DenseFamily::new(desc("app_requests", MetricType::Counter, &["model"]), ())),
        cost: Arc::new(DenseFamily::new(
            desc("app_cost_dollars", MetricType::Counter, &["model"]).with_unit("dollars").unwrap(),
            (),
        )),
        inflight: Arc::new(DenseFamily::new(desc("app_inflight", MetricType::Gauge, &[]), ())),
        temperature: Arc::new(OpenFamily::new(
            desc("app_temperature_celsius", MetricType::Gauge, &["room"]).with_unit("celsius").unwrap(),
            (),
            OpenOptions::new(),
        )),
        latency: Arc::new(DenseFamily::new(
            desc("app_latency_seconds", MetricType::Histogram, &["model"]).with_unit("seconds").unwrap(),
            Buckets::new([0.001, 0.25, 1.0, 2.5, 1e6]).unwrap(),
        )),
        sizes: Arc::new(OpenFamily::new(
            desc("app_payload_bytes", MetricType::Histogram, &["route"]).with_unit("bytes").unwrap(),
            Buckets::exponential(64.0, 4.0, 6).unwrap(),
            OpenOptions::new(),
        )),
        build: Arc::new(DenseFamily::new(desc("app_build", MetricType::Info, &[]), ())),
        awkward: Arc::new(OpenFamily::new(
            desc("app_awkward_labels", MetricType::Counter, &["value", "index"]),
            (),
            OpenOptions::new(),
        )),
        registry,
    };
    f.registry.register(f.requests.clone()).unwrap();
    f.registry.register(f.cost.clone()).unwrap();
    f.registry.register(f.inflight.clone()).unwrap();
    f.registry.register(f.temperature.clone()).unwrap();
    f.registry.register(f.latency.clone()).unwrap();
    f.registry.register(f.sizes.clone()).unwrap();
    f.registry.register(f.build.clone()).unwrap();
    f.registry.register(f.awkward.clone()).unwrap();

    f.requests.get((Model::Gpt,)).inc_by(41);
    f.requests.get((Model::Claude,)).inc();
    f.cost.get((Model::Gpt,)).inc_by(0.125);
    f.cost.get((Model::Claude,)).inc_by(12.5);
    f.inflight.get(()).set(-3);
    f.temperature.get(&["server room"]).set(21.75);
    f.temperature.get(&["freezer \"B\""]).set(-18.5);
    for v in [0.0005, 0.2, 0.2, 0.9, 2.0, 3.0, 5e6] {
        f.latency.get((Model::Gpt,)).observe(v);
    }
    for v in [10.0, 100.0, 5000.0, 1e9] {
        f.sizes.get(&["/v1/chat"]).observe(v);
    }
    f.build.get(()).set([("version", "1.2.3"), ("commit", "a\"b\\c\nd")]).unwrap();
    for (i, value) in AWKWARD.iter().enumerate() {
        f.awkward.get(&[value, &i.to_string()]).inc_by(i as u64 + 1);
    }
    f
}

fn encode(registry: &Registry, format: Format) -> Vec<u8> {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    buf
}

fn value(families: &[PyFamily], name: &str, labels: &[(&str, &str)]) -> f64 {
    find_sample(families, name, labels).unwrap_or_else(|| panic!("no sample {name}{labels:?} in {families:#?}")).value
}

/// The values both formats must carry, checked on whatever a parser read.
fn check_values(families: &[PyFamily], openmetrics: bool) {
    let claude = Model::Claude.as_str();
    assert_eq!(value(families, "app_requests_total", &[("model", "gpt-4o")]), 41.0);
    assert_eq!(value(families, "app_requests_total", &[("model", claude)]), 1.0);
    assert_eq!(value(families, "app_cost_dollars_total", &[("model", "gpt-4o")]), 0.125);
    assert_eq!(value(families, "app_cost_dollars_total", &[("model", claude)]), 12.5);
    assert_eq!(value(families, "app_inflight", &[]), -3.0);
    assert_eq!(value(families, "app_temperature_celsius", &[("room", "server room")]), 21.75);
    assert_eq!(value(families, "app_temperature_celsius", &[("room", "freezer \"B\"")]), -18.5);
    let buckets = [("0.001", 1.0), ("0.25", 3.0), ("1.0", 4.0), ("2.5", 5.0), ("1e+06", 6.0), ("+Inf", 7.0)];
    for (le, count) in buckets {
        assert_eq!(value(families, "app_latency_seconds_bucket", &[("model", "gpt-4o"), ("le", le)]), count, "le={le}");
    }
    assert_eq!(value(families, "app_latency_seconds_count", &[("model", "gpt-4o")]), 7.0);
    assert_eq!(value(families, "app_latency_seconds_sum", &[("model", "gpt-4o")]), 0.0005 + 0.4 + 0.9 + 5.0 + 5e6);
    assert_eq!(value(families, "app_latency_seconds_count", &[("model", claude)]), 0.0);
    assert_eq!(value(families, "app_payload_bytes_bucket", &[("route", "/v1/chat"), ("le", "64.0")]), 1.0);
    assert_eq!(value(families, "app_payload_bytes_bucket", &[("route", "/v1/chat"), ("le", "16384.0")]), 3.0);
    assert_eq!(value(families, "app_payload_bytes_bucket", &[("route", "/v1/chat"), ("le", "65536.0")]), 3.0);
    assert_eq!(value(families, "app_payload_bytes_bucket", &[("route", "/v1/chat"), ("le", "+Inf")]), 4.0);
    assert_eq!(value(families, "app_build_info", &[("version", "1.2.3"), ("commit", "a\"b\\c\nd")]), 1.0);
    for (i, v) in AWKWARD.iter().enumerate() {
        let index = i.to_string();
        assert_eq!(value(families, "app_awkward_labels_total", &[("value", v), ("index", &index)]), (i + 1) as f64);
    }
    for family in families.iter().filter(|f| f.name.starts_with("app_")) {
        assert_eq!(family.help, HELP, "help of {}", family.name);
    }
    if openmetrics {
        let units: Vec<(&str, &str)> =
            families.iter().filter(|f| !f.unit.is_empty()).map(|f| (&*f.name, &*f.unit)).collect();
        assert_eq!(
            units,
            [
                ("app_cost_dollars", "dollars"),
                ("app_temperature_celsius", "celsius"),
                ("app_latency_seconds", "seconds"),
                ("app_payload_bytes", "bytes"),
                ("metrics_runtime_scrape_duration_seconds", "seconds"),
            ]
        );
        let kinds: Vec<&str> = families.iter().take(8).map(|f| &*f.kind).collect();
        assert_eq!(kinds, ["counter", "counter", "gauge", "gauge", "histogram", "histogram", "info", "counter"]);
    }
}

#[test]
fn text_format_passes_promtool_and_reads_back_exactly() {
    let f = fixture();
    let body = encode(&f.registry, Format::Text);
    if let Err(findings) = promtool_check(&body) {
        panic!("{findings}\n{}", String::from_utf8_lossy(&body));
    }
    let families = python_parse(&body, false).expect("the 0.0.4 parser reads our text");
    check_values(&families, false);
}

#[test]
fn openmetrics_passes_the_strict_parser_and_reads_back_exactly() {
    let f = fixture();
    let body = encode(&f.registry, Format::OpenMetrics);
    let families = match python_parse(&body, true) {
        Ok(families) => families,
        Err(e) => panic!("{e}\n{}", String::from_utf8_lossy(&body)),
    };
    check_values(&families, true);
    let created = families.iter().flat_map(|f| &f.samples).filter(|s| s.name.ends_with("_created")).count();
    // 2 + 2 counters, 2 + 1 histograms, 15 awkward counters, 0 for the registry's own counters.
    assert_eq!(created, 22);
}

#[test]
fn empty_families_and_an_empty_registry_are_valid() {
    let registry = Registry::builder().self_metrics(false).build();
    assert_eq!(encode(&registry, Format::Text), b"");
    assert_eq!(encode(&registry, Format::OpenMetrics), b"# EOF\n");
    let open: Arc<OpenFamily<Counter>> = Arc::new(OpenFamily::new(
        Descriptor::new("idle", MetricType::Counter, "Never updated.").unwrap().with_labels(["id"]).unwrap(),
        (),
        OpenOptions::new(),
    ));
    registry.register(open).unwrap();
    let text = encode(&registry, Format::Text);
    promtool_check(&text).unwrap();
    python_parse(&encode(&registry, Format::OpenMetrics), true).unwrap();
}
