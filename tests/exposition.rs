//! Every kind of metric, with label values and HELP text of every awkward content, encoded in both
//! formats and read back by the real validators: `promtool check metrics` for the text format (no lint
//! finding either) and Python's strict OpenMetrics parser, comparing every value and label with what was
//! set.
//!
//! Neither validator flags a duplicate series, a family split by another, buckets out of order or not
//! cumulative, or a `+Inf` bucket that differs from `_count`, so both formats also go through the strict
//! parser of `promstruct-testing`, which does; and each of those mistakes, made in our own output,
//! must be reported by it on the line at fault.

use std::collections::HashSet;
use std::sync::Arc;

use promstruct::{
    Buckets, Counter, DenseFamily, Descriptor, FloatCounter, FloatGauge, Format, Gauge, Histogram, Info, LabelEnum,
    MetricType, OpenFamily, OpenOptions, Registry,
};
use promstruct_testing::{Exposition, FamilyType, Rule, assert_valid, validate};
use suite::validators::{PyFamily, find_sample, promtool_check, python_parse};

const FORMATS: [Format; 2] = [Format::Text, Format::OpenMetrics];

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
    fixture_in(Registry::new())
}

/// The fixture's families, in `registry`.
fn fixture_in(registry: Registry) -> Fixture {
    let desc = |name: &'static str, kind, labels: &[&str]| {
        Descriptor::builder(name, kind, HELP).labels(labels.iter().copied())
    };
    let f = Fixture {
        requests: Arc::new(DenseFamily::new(
            desc("app_requests", MetricType::Counter, &["model"]).build().unwrap(),
            (),
        )),
        cost: Arc::new(DenseFamily::new(
            desc("app_cost_dollars", MetricType::Counter, &["model"]).unit("dollars").build().unwrap(),
            (),
        )),
        inflight: Arc::new(DenseFamily::new(desc("app_inflight", MetricType::Gauge, &[]).build().unwrap(), ())),
        temperature: Arc::new(OpenFamily::new(
            desc("app_temperature_celsius", MetricType::Gauge, &["room"]).unit("celsius").build().unwrap(),
            (),
            OpenOptions::new(),
        )),
        latency: Arc::new(DenseFamily::new(
            desc("app_latency_seconds", MetricType::Histogram, &["model"]).unit("seconds").build().unwrap(),
            Buckets::new([0.001, 0.25, 1.0, 2.5, 1e6]).unwrap(),
        )),
        sizes: Arc::new(OpenFamily::new(
            desc("app_payload_bytes", MetricType::Histogram, &["route"]).unit("bytes").build().unwrap(),
            Buckets::exponential(64.0, 4.0, 6).unwrap(),
            OpenOptions::new(),
        )),
        build: Arc::new(DenseFamily::new(desc("app_build", MetricType::Info, &[]).build().unwrap(), ())),
        awkward: Arc::new(OpenFamily::new(
            desc("app_awkward_labels", MetricType::Counter, &["value", "index"]).build().unwrap(),
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

/// The values both formats must carry, checked on what Python's parsers read.
fn check_values(families: &[PyFamily], openmetrics: bool) {
    check_samples(&|name, labels| value(families, name, labels));
    for family in families.iter().filter(|f| f.name.starts_with("app_")) {
        assert_eq!(family.help, HELP, "help of {}", family.name);
    }
    if openmetrics {
        let units: Vec<(&str, &str)> =
            families.iter().filter(|f| !f.unit.is_empty()).map(|f| (&*f.name, &*f.unit)).collect();
        assert_eq!(units, UNITS);
        let kinds: Vec<&str> = families.iter().take(8).map(|f| &*f.kind).collect();
        assert_eq!(kinds, ["counter", "counter", "gauge", "gauge", "histogram", "histogram", "info", "counter"]);
    }
}

/// The families with a unit, in OpenMetrics.
const UNITS: [(&str, &str); 5] = [
    ("app_cost_dollars", "dollars"),
    ("app_temperature_celsius", "celsius"),
    ("app_latency_seconds", "seconds"),
    ("app_payload_bytes", "bytes"),
    ("promstruct_scrape_duration_seconds", "seconds"),
];

/// A sample's value by its name and labels, from whichever parser read the exposition.
type Lookup<'a> = dyn Fn(&str, &[(&str, &str)]) -> f64 + 'a;

/// Every value that was set, read through `value` (sample name with its suffix, labels in any order).
fn check_samples(value: &Lookup<'_>) {
    let claude = Model::Claude.as_str();
    assert_eq!(value("app_requests_total", &[("model", "gpt-4o")]), 41.0);
    assert_eq!(value("app_requests_total", &[("model", claude)]), 1.0);
    assert_eq!(value("app_cost_dollars_total", &[("model", "gpt-4o")]), 0.125);
    assert_eq!(value("app_cost_dollars_total", &[("model", claude)]), 12.5);
    assert_eq!(value("app_inflight", &[]), -3.0);
    assert_eq!(value("app_temperature_celsius", &[("room", "server room")]), 21.75);
    assert_eq!(value("app_temperature_celsius", &[("room", "freezer \"B\"")]), -18.5);
    let buckets = [("0.001", 1.0), ("0.25", 3.0), ("1.0", 4.0), ("2.5", 5.0), ("1e+06", 6.0), ("+Inf", 7.0)];
    for (le, count) in buckets {
        assert_eq!(value("app_latency_seconds_bucket", &[("model", "gpt-4o"), ("le", le)]), count, "le={le}");
    }
    assert_eq!(value("app_latency_seconds_count", &[("model", "gpt-4o")]), 7.0);
    assert_eq!(value("app_latency_seconds_sum", &[("model", "gpt-4o")]), 0.0005 + 0.4 + 0.9 + 5.0 + 5e6);
    assert_eq!(value("app_latency_seconds_count", &[("model", claude)]), 0.0);
    assert_eq!(value("app_payload_bytes_bucket", &[("route", "/v1/chat"), ("le", "64.0")]), 1.0);
    assert_eq!(value("app_payload_bytes_bucket", &[("route", "/v1/chat"), ("le", "16384.0")]), 3.0);
    assert_eq!(value("app_payload_bytes_bucket", &[("route", "/v1/chat"), ("le", "65536.0")]), 3.0);
    assert_eq!(value("app_payload_bytes_bucket", &[("route", "/v1/chat"), ("le", "+Inf")]), 4.0);
    assert_eq!(value("app_build_info", &[("version", "1.2.3"), ("commit", "a\"b\\c\nd")]), 1.0);
    for (i, v) in AWKWARD.iter().enumerate() {
        let index = i.to_string();
        assert_eq!(value("app_awkward_labels_total", &[("value", v), ("index", &index)]), (i + 1) as f64);
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
    // Without `_created` lines (the default) and with them (`openmetrics_created`): both strict.
    for (registry, expected_created) in
        [(Registry::new(), 0), (Registry::builder().openmetrics_created(true).build(), 22)]
    {
        let f = fixture_in(registry);
        let body = encode(&f.registry, Format::OpenMetrics);
        let families = match python_parse(&body, true) {
            Ok(families) => families,
            Err(e) => panic!("{e}\n{}", String::from_utf8_lossy(&body)),
        };
        check_values(&families, true);
        let created = families.iter().flat_map(|f| &f.samples).filter(|s| s.name.ends_with("_created")).count();
        // 2 + 2 counters, 2 + 1 histograms, 15 awkward counters, 0 for the registry's own counters.
        assert_eq!(created, expected_created);
    }
}

#[test]
fn empty_families_and_an_empty_registry_are_valid() {
    let registry = Registry::builder().self_metrics(false).build();
    assert_eq!(encode(&registry, Format::Text), b"");
    assert_eq!(encode(&registry, Format::OpenMetrics), b"# EOF\n");
    let open: Arc<OpenFamily<Counter>> = Arc::new(OpenFamily::new(
        Descriptor::builder("idle", MetricType::Counter, "Never updated.").labels(["id"]).build().unwrap(),
        (),
        OpenOptions::new(),
    ));
    registry.register(open).unwrap();
    let text = encode(&registry, Format::Text);
    promtool_check(&text).unwrap();
    python_parse(&encode(&registry, Format::OpenMetrics), true).unwrap();
}

fn encode_text(registry: &Registry, format: Format) -> String {
    String::from_utf8(encode(registry, format)).expect("expositions are UTF-8")
}

/// The rules external validators do not check, restated on what the strict parser read: one sample per
/// series, each family's lines together, and every histogram's buckets increasing in `le`, cumulative, and
/// ending in a `+Inf` bucket equal to `_count`.
fn check_structure(exposition: &Exposition) {
    let mut series = HashSet::new();
    let mut previous_last_line = 0;
    for family in exposition.families() {
        assert!(family.first_line > previous_last_line, "family `{}` overlaps the one before it", family.name);
        previous_last_line = family.last_line;
        for sample in &family.samples {
            assert!(
                (family.first_line..=family.last_line).contains(&sample.line),
                "{} outside its family",
                sample.line
            );
            let mut labels = sample.labels.clone();
            labels.sort();
            assert!(series.insert((sample.name.clone(), labels)), "series `{}` appears twice", sample.series());
        }
        if family.kind != FamilyType::Histogram {
            continue;
        }
        let bucket = format!("{}_bucket", family.name);
        let count = format!("{}_count", family.name);
        let mut histograms = 0;
        for counted in family.samples.iter().filter(|s| s.name == count) {
            histograms += 1;
            let labels: Vec<(&str, &str)> = counted.labels.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let buckets: Vec<(f64, f64)> = family
                .samples
                .iter()
                .filter(|s| s.name == bucket && s.labels.iter().filter(|(n, _)| n != "le").eq(counted.labels.iter()))
                .map(|s| (s.label("le").expect("a bucket has `le`").parse::<f64>().expect("`le` is a number"), s.value))
                .collect();
            assert!(buckets.len() >= 2, "{}: too few buckets: {buckets:?}", counted.series());
            assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0), "{}: `le` not increasing", counted.series());
            assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{}: buckets not cumulative", counted.series());
            let last = buckets[buckets.len() - 1];
            assert_eq!(
                last,
                (f64::INFINITY, counted.value),
                "{}: the last bucket is `+Inf` = _count",
                counted.series()
            );
            let inf: Vec<(&str, &str)> = labels.iter().copied().chain([("le", "+Inf")]).collect();
            assert_eq!(exposition.value(&bucket, &inf), Some(counted.value));
        }
        assert!(histograms > 0, "histogram `{}` has no `_count`", family.name);
    }
}

#[test]
fn both_formats_pass_the_strict_parser_and_read_back_exactly() {
    let f = fixture();
    for format in FORMATS {
        // Any violation, a warning included, fails here with every one listed.
        let exposition = assert_valid(&encode_text(&f.registry, format), format);
        check_samples(&|name, labels| {
            exposition.value(name, labels).unwrap_or_else(|| panic!("{format:?}: no sample {name}{labels:?}"))
        });
        check_structure(&exposition);
        for family in exposition.families().iter().filter(|f| f.name.starts_with("app_")) {
            assert_eq!(family.help.as_deref(), Some(HELP), "{format:?}: help of {}", family.name);
        }
        if format == Format::OpenMetrics {
            let units: Vec<(&str, &str)> =
                exposition.families().iter().filter_map(|f| Some((f.name.as_str(), f.unit.as_deref()?))).collect();
            assert_eq!(units, UNITS);
        }
    }
}

/// `text` with its lines edited by `edit`, and the 1-based number of the last line equal to `at` afterwards.
fn edited(text: &str, edit: impl FnOnce(&mut Vec<String>), at: &str) -> (String, usize) {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    edit(&mut lines);
    let line = lines.iter().rposition(|l| l == at).unwrap_or_else(|| panic!("no line `{at}` after the edit")) + 1;
    (lines.iter().map(|l| format!("{l}\n")).collect(), line)
}

/// The index of the line `line`.
fn index(lines: &[String], line: &str) -> usize {
    lines.iter().position(|l| l == line).unwrap_or_else(|| panic!("no line `{line}`"))
}

#[test]
fn the_strict_parser_reports_what_other_validators_miss_in_our_output() {
    const INFLIGHT: &str = "app_inflight -3";
    const B025: &str = "app_latency_seconds_bucket{model=\"gpt-4o\",le=\"0.25\"} 3";
    const B1: &str = "app_latency_seconds_bucket{model=\"gpt-4o\",le=\"1.0\"} 4";
    const B0001: &str = "app_latency_seconds_bucket{model=\"gpt-4o\",le=\"0.001\"} 1";
    const INF: &str = "app_latency_seconds_bucket{model=\"gpt-4o\",le=\"+Inf\"} 7";
    const COUNT: &str = "app_latency_seconds_count{model=\"gpt-4o\"} 7";
    let f = fixture();
    for format in FORMATS {
        let text = encode_text(&f.registry, format);
        assert_eq!(validate(&text, format), [], "{format:?}: the unedited output is clean");
        let last_family = if format == Format::OpenMetrics { 2 } else { 1 };
        let cases = [
            (
                "a series written twice",
                edited(&text, |l| l.insert(index(l, INFLIGHT) + 1, INFLIGHT.into()), INFLIGHT),
                Rule::DuplicateSeries,
            ),
            (
                "a sample after other families",
                edited(
                    &text,
                    |l| {
                        let moved = l.remove(index(l, INFLIGHT));
                        let end = l.len() + 1 - last_family;
                        l.insert(end, moved);
                    },
                    INFLIGHT,
                ),
                Rule::Interleaved,
            ),
            (
                "buckets not cumulative",
                edited(&text, |l| set(l, B025, &B025.replace("} 3", "} 5")), B1),
                Rule::BucketOrder,
            ),
            ("buckets out of order", edited(&text, |l| swap(l, B025, B1), B025), Rule::BucketOrder),
            (
                "_count differs from +Inf",
                edited(&text, |l| set(l, COUNT, &COUNT.replace("} 7", "} 8")), &COUNT.replace("} 7", "} 8")),
                Rule::InfCountMismatch,
            ),
            ("no +Inf bucket", edited(&text, |l| drop(l.remove(index(l, INF))), B0001), Rule::MissingInfBucket),
        ];
        for (what, (broken, line), rule) in cases {
            let errors: Vec<(usize, Rule)> =
                validate(&broken, format).iter().filter(|v| v.is_error()).map(|v| (v.line, v.rule)).collect();
            assert!(!errors.is_empty(), "{format:?}, {what}: not reported");
            assert!(
                errors.iter().all(|e| *e == (line, rule)),
                "{format:?}, {what}: expected {rule} on line {line}, got {errors:?}"
            );
        }
    }
}

/// Replaces the line `old` with `new`.
fn set(lines: &mut [String], old: &str, new: &str) {
    let i = index(lines, old);
    lines[i] = new.to_owned();
}

/// Swaps the lines `a` and `b`.
fn swap(lines: &mut [String], a: &str, b: &str) {
    let (i, j) = (index(lines, a), index(lines, b));
    lines.swap(i, j);
}
