//! The assertion helpers on real registries: our own encoders write clean expositions of every type,
//! awkward label values and help text included, and the helpers fail with messages that name the series.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use promstruct::encoding::{Encoder, Number};
use promstruct::{
    Buckets, Collect, Counter, DenseFamily, Descriptor, FloatCounter, FloatGauge, Format, Gauge, Histogram, Info,
    LabelEnum, MetricType, OpenFamily, OpenOptions, Registry,
};
use promstruct_testing::{Exposition, FamilyType, assert_scrape_eq, assert_value, scrape, value};

const OM: Format = Format::OpenMetrics;
const TEXT: Format = Format::Text;

/// The message of the panic `f` raises.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        String::new()
    }
}

// ---- Our own encoders ----

#[derive(Debug, Clone, Copy, PartialEq)]
enum Model {
    Gpt,
    Odd,
}

impl LabelEnum for Model {
    const CARDINALITY: usize = 2;
    const ALL: &'static [Self] = &[Model::Gpt, Model::Odd];
    const VALUES: &'static [&'static str] = &["gpt-4o", "odd \"one\" \\ out\n"];
    fn ordinal(self) -> usize {
        self as usize
    }
}

const AWKWARD: &[&str] = &[
    "",
    "double \"quotes\"",
    "back\\slash",
    "trailing \\",
    "new\nline",
    "literal \\n",
    "tab\there",
    "carriage\rreturn",
    "ünïcödé 日本 🚀",
    "} # {",
    " spaces ",
];

const HELP: &str = "Help with \"quotes\", back\\slash, new\nline and ünïcödé.";

fn registry() -> Registry {
    registry_with(Registry::new())
}

/// The families of [`registry`], in `registry`.
fn registry_with(registry: Registry) -> Registry {
    let desc = |name: &'static str, kind, labels: &[&str]| {
        Descriptor::builder(name, kind, HELP).labels(labels.iter().copied())
    };
    let requests = Arc::new(DenseFamily::<(Model,), Counter>::new(
        desc("t_requests", MetricType::Counter, &["model"]).build().unwrap(),
        (),
    ));
    let cost = Arc::new(DenseFamily::<(Model,), FloatCounter>::new(
        desc("t_cost_dollars", MetricType::Counter, &["model"]).unit("dollars").build().unwrap(),
        (),
    ));
    let inflight =
        Arc::new(DenseFamily::<(), Gauge>::new(desc("t_inflight", MetricType::Gauge, &[]).build().unwrap(), ()));
    let temperature = Arc::new(OpenFamily::<FloatGauge>::new(
        desc("t_temperature_celsius", MetricType::Gauge, &["room"]).unit("celsius").build().unwrap(),
        (),
        OpenOptions::new(),
    ));
    let latency = Arc::new(DenseFamily::<(Model,), Histogram>::new(
        desc("t_latency_seconds", MetricType::Histogram, &["model"]).unit("seconds").build().unwrap(),
        Buckets::new([0.001, 0.25, 1.0, 2.5, 1e6]).unwrap(),
    ));
    let offsets = Arc::new(DenseFamily::<(), Histogram>::new(
        desc("t_offset_seconds", MetricType::Histogram, &[]).unit("seconds").build().unwrap(),
        Buckets::new([-1.0, 0.0, 1.0]).unwrap(),
    ));
    let build = Arc::new(DenseFamily::<(), Info>::new(desc("t_build", MetricType::Info, &[]).build().unwrap(), ()));
    let awkward = Arc::new(OpenFamily::<Counter>::new(
        desc("t_awkward", MetricType::Counter, &["value"]).build().unwrap(),
        (),
        OpenOptions::new(),
    ));
    registry.register(requests.clone()).unwrap();
    registry.register(cost.clone()).unwrap();
    registry.register(inflight.clone()).unwrap();
    registry.register(temperature.clone()).unwrap();
    registry.register(latency.clone()).unwrap();
    registry.register(offsets.clone()).unwrap();
    registry.register(build.clone()).unwrap();
    registry.register(awkward.clone()).unwrap();

    requests.get((Model::Gpt,)).inc_by(41);
    requests.get((Model::Odd,)).inc();
    cost.get((Model::Odd,)).inc_by(12.5);
    inflight.get(()).set(-3);
    temperature.get(&["server room"]).set(21.75);
    temperature.get(&["freezer \"B\""]).set(f64::NEG_INFINITY);
    for v in [0.0005, 0.2, 0.2, 0.9, 2.0, 3.0, 5e6] {
        latency.get((Model::Gpt,)).observe(v);
    }
    for v in [-2.0, -0.5, 0.5, 7.0] {
        offsets.get(()).observe(v);
    }
    build.get(()).set([("version", "1.2.3"), ("commit", "a\"b\\c\nd")]).unwrap();
    for (i, value) in AWKWARD.iter().enumerate() {
        awkward.get(&[value]).inc_by(i as u64 + 1);
    }
    registry
}

fn check_values(e: &Exposition) {
    e.assert_value("t_requests_total", &[("model", "gpt-4o")], 41.0);
    e.assert_value("t_requests_total", &[("model", "odd \"one\" \\ out\n")], 1.0);
    e.assert_value("t_cost_dollars_total", &[("model", "odd \"one\" \\ out\n")], 12.5);
    e.assert_value("t_inflight", &[], -3.0);
    e.assert_value("t_temperature_celsius", &[("room", "freezer \"B\"")], f64::NEG_INFINITY);
    e.assert_value("t_latency_seconds_bucket", &[("model", "gpt-4o"), ("le", "1e+06")], 6.0);
    e.assert_value("t_latency_seconds_bucket", &[("le", "+Inf"), ("model", "gpt-4o")], 7.0);
    e.assert_value("t_latency_seconds_count", &[("model", "gpt-4o")], 7.0);
    e.assert_value("t_offset_seconds_bucket", &[("le", "-1.0")], 1.0);
    e.assert_value("t_offset_seconds_bucket", &[("le", "+Inf")], 4.0);
    e.assert_value("t_build_info", &[("commit", "a\"b\\c\nd"), ("version", "1.2.3")], 1.0);
    for (i, value) in AWKWARD.iter().enumerate() {
        e.assert_value("t_awkward_total", &[("value", value)], (i + 1) as f64);
    }
    for family in e.families().iter().filter(|f| f.name.starts_with("t_")) {
        assert_eq!(family.help.as_deref(), Some(HELP), "{}", family.name);
    }
}

#[test]
fn our_encoders_write_clean_expositions() {
    let registry = registry();
    let text = scrape(&registry, TEXT);
    check_values(&text);
    // 0.0.4 keeps `_sum` and `_count` beside negative bounds; OpenMetrics must leave them out.
    text.assert_value("t_offset_seconds_count", &[], 4.0);
    let kinds: Vec<FamilyType> = text.families().iter().take(8).map(|f| f.kind).collect();
    use FamilyType::*;
    assert_eq!(kinds, [Counter, Counter, Gauge, Gauge, Histogram, Histogram, Gauge, Counter]);

    let om = scrape(&registry, OM);
    check_values(&om);
    assert_eq!(om.value("t_offset_seconds_count", &[]), None);
    assert_eq!(om.value("t_requests_created", &[("model", "gpt-4o")]), None, "no `_created` by default");
    let with_created = scrape(&registry_with(Registry::builder().openmetrics_created(true).build()), OM);
    check_values(&with_created);
    assert!(with_created.value("t_requests_created", &[("model", "gpt-4o")]).unwrap() > 1.7e9);
    assert_eq!(with_created.warnings(), []);
    let kinds: Vec<FamilyType> = om.families().iter().take(8).map(|f| f.kind).collect();
    assert_eq!(kinds, [Counter, Counter, Gauge, Gauge, Histogram, Histogram, Info, Counter]);
    assert_eq!(om.family("t_cost_dollars").unwrap().unit.as_deref(), Some("dollars"));
    assert_eq!(om.warnings(), []);
}

// ---- Assertion helpers ----

#[test]
fn assert_value_names_the_closest_series() {
    let registry = registry();
    assert_value(&registry, "t_requests_total", &[("model", "gpt-4o")], 41.0);
    assert_eq!(value(&registry, "t_inflight", &[]), Some(-3.0));

    let message = panic_message(|| assert_value(&registry, "t_requests_total", &[("model", "gpt-4o")], 40.0));
    assert!(message.contains("`t_requests_total{model=\"gpt-4o\"}` is 41, expected 40"), "{message}");

    let message = panic_message(|| assert_value(&registry, "t_requests_total", &[("model", "gpt-5")], 1.0));
    assert!(message.contains("no sample `t_requests_total{model=\"gpt-5\"}`"), "{message}");
    assert!(message.contains("t_requests_total{model=\"gpt-4o\"} 41"), "{message}");

    let message = panic_message(|| assert_value(&registry, "t_request_total", &[], 1.0));
    assert!(message.contains("closest names are `t_requests_total`"), "{message}");
}

#[test]
fn assert_scrape_eq_compares_named_families_in_any_order() {
    let registry = registry();
    assert_scrape_eq(
        &registry,
        TEXT,
        r#"
        # HELP t_inflight Help with "quotes", back\\slash, new\nline and ünïcödé.
        # TYPE t_inflight gauge
        t_inflight -3
        # TYPE t_temperature_celsius gauge
        t_temperature_celsius{room="freezer \"B\""} -Inf
        t_temperature_celsius{room="server room"} 21.75
        "#,
    );
    assert_scrape_eq(
        &registry,
        OM,
        r#"
        # TYPE t_offset_seconds histogram
        # UNIT t_offset_seconds seconds
        t_offset_seconds_bucket{le="-1.0"} 1
        t_offset_seconds_bucket{le="0.0"} 2
        t_offset_seconds_bucket{le="1.0"} 3
        t_offset_seconds_bucket{le="+Inf"} 4
        "#,
    );

    let message = panic_message(|| {
        assert_scrape_eq(
            &registry,
            TEXT,
            "# TYPE t_temperature_celsius gauge\n\
             t_temperature_celsius{room=\"server room\"} 21.5\n\
             t_temperature_celsius{room=\"attic\"} 3\n",
        )
    });
    assert!(message.contains("`t_temperature_celsius{room=\"server room\"}` is 21.75, expected 21.5"), "{message}");
    assert!(message.contains("missing `t_temperature_celsius{room=\"attic\"}` (expected 3)"), "{message}");
    assert!(message.contains("unexpected `t_temperature_celsius{room=\"freezer \\\"B\\\"\"}` = -Inf"), "{message}");

    let message = panic_message(|| assert_scrape_eq(&registry, TEXT, "# TYPE t_nothing gauge\n"));
    assert!(message.contains("family `t_nothing` is not in the scrape"), "{message}");
    let message = panic_message(|| assert_scrape_eq(&registry, TEXT, "t_inflight{ 1\n"));
    assert!(message.contains("the expected text is not a valid text format 0.0.4 exposition"), "{message}");
}

/// A collector that writes one series twice, as a buggy custom collector might.
struct Twice;

impl Collect for Twice {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&Descriptor::new("twice", MetricType::Gauge, "h").unwrap());
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        let desc = Descriptor::new("twice", MetricType::Gauge, "h").unwrap();
        let mut family = enc.family(&desc);
        family.gauge(&[("a", "1")], Number::I64(1));
        family.gauge(&[("a", "1")], Number::I64(2));
    }
}

#[test]
fn scrape_refuses_an_invalid_exposition() {
    let registry = Registry::new();
    registry.register(Twice).unwrap();
    let message = panic_message(|| {
        scrape(&registry, OM);
    });
    assert!(message.contains("the OpenMetrics exposition breaks 1 rule(s)"), "{message}");
    // `# TYPE`, `# HELP`, the first sample: the duplicate is on line 4.
    assert!(message.contains("4:1: error [duplicate-series]: series `twice{a=\"1\"}` appears twice"), "{message}");
    assert!(message.contains("     4 | twice{a=\\\"1\\\"} 2"), "{message}");
}
