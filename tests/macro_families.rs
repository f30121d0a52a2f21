//! What `#[metrics]` and `#[derive(LabelEnum)]` generate, observed through the runtime: names, options,
//! open families, shared label sets, the `crate` override.

use std::sync::Arc;
use std::time::Duration;

use promstruct::MetricType;
use promstruct::prelude::*;

fn quiet() -> Registry {
    Registry::builder().self_metrics(false).build()
}

fn encode(registry: &Registry, format: Format) -> String {
    let mut buf = Vec::new();
    registry.encode(format, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn has_line(text: &str, line: &str) -> bool {
    text.lines().any(|l| l == line)
}

/// A label set shared by two structs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, LabelEnum)]
#[label(rename_all = "kebab-case")]
pub enum Region {
    /// Europe.
    EuWest,
    /// The United States.
    #[label(rename = "us")]
    UsEast,
    /// Asia.
    ApSouthEast,
}

/// Default rule: snake_case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, LabelEnum)]
pub enum Phase {
    /// Queued.
    Queued,
    /// Running.
    InProgress,
    /// An acronym.
    HTTPWait,
}

/// Other rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, LabelEnum)]
#[label(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Loud {
    /// One.
    FirstOne,
}

/// Lowercase rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, LabelEnum)]
#[label(rename_all = "lowercase")]
pub enum Flat {
    /// One.
    FirstOne,
}

/// The front end's metrics, sharing `Region` with the back end's.
#[metrics(namespace = "shop", subsystem = "front")]
pub struct FrontMetrics {
    /// Pages served, by region.
    #[counter(labels(region: Region))]
    pages: Counter,
}

/// The back end's metrics.
#[metrics(namespace = "shop", subsystem = "back")]
#[labels(Outcome { Ok = "ok", Failed })]
pub struct BackMetrics {
    /// Orders, by region and outcome.
    #[counter(labels(region: Region, outcome: Outcome))]
    orders: Counter,

    /// Jobs, by phase.
    #[gauge(labels(phase: Phase))]
    jobs: Gauge,

    /// The help of the doc comment,
    /// on two lines.
    ///
    /// A second paragraph that stays out of HELP.
    #[gauge(name = "queue_depth")]
    queue: Gauge,

    /// Overridden.
    #[gauge(help = "Help given in the attribute.")]
    workers: FloatGauge,

    /// Payload sizes.
    #[histogram(unit = "bytes", buckets = linear(100, 100, 3))]
    payload: Histogram,

    /// Wait times.
    #[histogram(unit = "seconds", buckets = exponential(0.5, 2, 4))]
    wait_seconds: Histogram,

    /// Default buckets.
    #[histogram(unit = "seconds")]
    default_latency: Histogram,

    /// Build information.
    #[info]
    build: Info,

    /// Tokens, by kind: a label named with a Rust keyword.
    #[counter(labels(r#type: Outcome))]
    tokens: Counter,
}

#[test]
fn derived_label_enums_follow_their_rename_rules() {
    assert_eq!(Region::VALUES, &["eu-west", "us", "ap-south-east"]);
    assert_eq!(Phase::VALUES, &["queued", "in_progress", "http_wait"]);
    assert_eq!(Loud::VALUES, &["FIRST_ONE"]);
    assert_eq!(Flat::VALUES, &["firstone"]);
    assert_eq!(Region::ALL, &[Region::EuWest, Region::UsEast, Region::ApSouthEast]);
    assert_eq!(Region::UsEast.ordinal(), 1);
    assert_eq!(Outcome::Failed.as_str(), "failed", "a declared variant without a value is its snake_case name");
}

#[test]
fn one_label_set_serves_two_structs_in_one_registry() {
    let registry = quiet();
    let front = Arc::new(FrontMetrics::new());
    let back = Arc::new(BackMetrics::new());
    front.pages(Region::UsEast).inc_by(3);
    back.orders(Region::UsEast, Outcome::Failed).inc();
    registry.register(front.clone()).map_err(|e| e.to_string()).unwrap();
    registry.register(back.clone()).map_err(|e| e.to_string()).unwrap();
    let text = encode(&registry, Format::Text);
    assert!(has_line(&text, r#"shop_front_pages_total{region="us"} 3"#), "{text}");
    assert!(has_line(&text, r#"shop_back_orders_total{region="us",outcome="failed"} 1"#), "{text}");
    assert!(has_line(&text, r#"shop_back_jobs{phase="in_progress"} 0"#), "{text}");
}

#[test]
fn names_help_and_options() {
    let registry = quiet();
    let m = Arc::new(BackMetrics::default());
    registry.register(m.clone()).unwrap();
    m.queue().set(7);
    m.workers().set(2.5);
    m.payload().observe(150.0);
    m.wait_seconds().observe(0.7);
    m.build().set([("version", "1.2.3")]).unwrap();
    m.tokens(Outcome::Ok).inc();
    let text = encode(&registry, Format::Text);
    for line in [
        "# HELP shop_back_queue_depth The help of the doc comment, on two lines.",
        "shop_back_queue_depth 7",
        "# HELP shop_back_workers Help given in the attribute.",
        "shop_back_workers 2.5",
        r#"shop_back_payload_bytes_bucket{le="100.0"} 0"#,
        r#"shop_back_payload_bytes_bucket{le="200.0"} 1"#,
        r#"shop_back_payload_bytes_bucket{le="300.0"} 1"#,
        "shop_back_payload_bytes_sum 150.0",
        r#"shop_back_wait_seconds_bucket{le="0.5"} 0"#,
        r#"shop_back_wait_seconds_bucket{le="1.0"} 1"#,
        r#"shop_back_wait_seconds_bucket{le="4.0"} 1"#,
        r#"shop_back_default_latency_seconds_bucket{le="0.005"} 0"#,
        r#"shop_back_default_latency_seconds_bucket{le="10.0"} 0"#,
        r#"shop_back_build_info{version="1.2.3"} 1"#,
        r#"shop_back_tokens_total{type="ok"} 1"#,
    ] {
        assert!(has_line(&text, line), "missing {line:?} in\n{text}");
    }
    let om = encode(&registry, Format::OpenMetrics);
    assert!(has_line(&om, "# TYPE shop_back_build info"), "{om}");
    assert!(has_line(&om, "# UNIT shop_back_payload_bytes bytes"), "{om}");

    let f = BackMetrics::FAMILIES;
    let by_name = |n: &str| f.iter().find(|s| s.name() == n).unwrap_or_else(|| panic!("no family {n}"));
    assert_eq!(by_name("shop_back_payload_bytes").buckets(), Some(&[100.0, 200.0, 300.0][..]));
    assert_eq!(by_name("shop_back_wait_seconds").buckets(), Some(&[0.5, 1.0, 2.0, 4.0][..]));
    assert_eq!(
        by_name("shop_back_default_latency_seconds").buckets(),
        Some(&[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0][..])
    );
    assert_eq!(by_name("shop_back_build").kind(), MetricType::Info);
    assert_eq!(by_name("shop_back_tokens").labels()[0].name(), "type");
    assert_eq!(by_name("shop_back_jobs").labels()[0].values(), Some(&["queued", "in_progress", "http_wait"][..]));
    assert_eq!(by_name("shop_back_queue_depth").help(), "The help of the doc comment, on two lines.");
}

/// Open families.
#[metrics(namespace = "agents")]
#[labels(Status { Ok = "ok", Error = "error" })]
pub struct AgentMetrics {
    /// Runs, by agent and status.
    #[counter(labels(agent: String, status: Status), max_series = 2)]
    runs: Counter,

    /// Sessions, by user; idle ones expire.
    #[gauge(labels(user: &str), ttl = "100ms")]
    sessions: Gauge,

    /// Step latency, by tool.
    #[histogram(labels(tool: &'static str), unit = "seconds", buckets = [0.1, 1])]
    steps: Histogram,

    /// Calls in flight, by tool.
    #[gauge(labels(tool: String))]
    inflight: Gauge,
}

#[test]
fn open_families_are_bounded_and_keep_enum_labels_in_overflow() {
    let registry = quiet();
    let m = Arc::new(AgentMetrics::new());
    registry.register(m.clone()).unwrap();
    for agent in ["planner", "coder", "critic", "tester", "critic"] {
        m.runs(agent, Status::Error).inc();
    }
    m.runs("planner", Status::Ok).inc();
    let text = encode(&registry, Format::Text);
    assert!(has_line(&text, r#"agents_runs_total{agent="planner",status="error"} 1"#), "{text}");
    assert!(has_line(&text, r#"agents_runs_total{agent="coder",status="error"} 1"#), "{text}");
    assert!(has_line(&text, r#"agents_runs_total{agent="__overflow__",status="error"} 3"#), "{text}");
    assert!(has_line(&text, r#"agents_runs_total{agent="__overflow__",status="ok"} 1"#), "{text}");
    assert!(m.runs("anyone", Status::Ok).is_overflow());

    let schema = &AgentMetrics::FAMILIES[0];
    assert_eq!(schema.max_series(), Some(2));
    assert_eq!(AgentMetrics::FAMILIES[1].max_series(), Some(1000), "the default bound");
    assert_eq!(AgentMetrics::FAMILIES[1].ttl(), Some(Duration::from_millis(100)));
}

#[test]
fn open_series_handles_time_and_track() {
    let registry = quiet();
    let m = Arc::new(AgentMetrics::new());
    registry.register(m.clone()).unwrap();
    {
        let _timer = m.steps("search").start_timer();
        let _guard = m.inflight("search").track_inflight();
        assert_eq!(m.inflight("search").get(), 1);
    }
    assert_eq!(m.inflight("search").get(), 0);
    let text = encode(&registry, Format::Text);
    assert!(has_line(&text, r#"agents_steps_seconds_count{tool="search"} 1"#), "{text}");
}

#[test]
fn idle_series_expire_after_the_ttl() {
    let registry = quiet();
    let m = Arc::new(AgentMetrics::new());
    registry.register(m.clone()).unwrap();
    m.sessions("alice").inc();
    let text = encode(&registry, Format::Text);
    assert!(has_line(&text, r#"agents_sessions{user="alice"} 1"#), "{text}");
    std::thread::sleep(Duration::from_millis(250));
    encode(&registry, Format::Text);
    std::thread::sleep(Duration::from_millis(250));
    let text = encode(&registry, Format::Text);
    assert!(!text.contains("alice"), "the idle series should have expired:\n{text}");
}

#[allow(unused_imports)]
use ::promstruct as rt;

/// The `crate` override: the expansion reaches the runtime through another path.
#[metrics(namespace = "renamed", crate = crate::rt)]
#[labels(Side { Left, Right })]
pub struct RenamedMetrics {
    /// Clicks.
    #[counter(labels(side: Side))]
    clicks: Counter,
}

/// A derive through a renamed runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, LabelEnum)]
#[label(crate = "crate::rt")]
pub enum Hand {
    /// Left.
    Left,
}

#[test]
fn the_crate_override_reaches_the_runtime_through_another_path() {
    let m = RenamedMetrics::new();
    m.clicks(Side::Right).inc();
    assert_eq!(m.clicks(Side::Right).get(), 1);
    assert_eq!(Side::VALUES, &["left", "right"]);
    assert_eq!(Hand::VALUES, &["left"]);
    assert_eq!(RenamedMetrics::FAMILIES[0].name(), "renamed_clicks");
}

#[test]
fn open_accessors_pass_enum_labels_as_their_values() {
    let m = AgentMetrics::new();
    let series = m.runs("a", Status::Ok);
    assert_eq!(series.label_values().collect::<Vec<_>>(), ["a", "ok"]);
    assert!(!series.is_overflow());
    series.inc();
    assert_eq!(m.runs("a", Status::Ok).get(), 1, "the same labels reach the same series");
}

#[test]
fn an_info_refuses_its_familys_labels() {
    use promstruct::RuleError;

    #[metrics(namespace = "fleet")]
    #[labels(Zone { North = "north", South = "south" })]
    struct Fleet {
        /// Build facts, per zone.
        #[info(labels(zone: Zone))]
        build: Info,
    }

    let fleet = Fleet::new();
    let clash = fleet.build(Zone::North).set([("zone", "east"), ("version", "1.2")]);
    assert_eq!(clash, Err(RuleError::InfoLabelClash { name: "zone".into() }));
    assert!(fleet.build(Zone::North).get().is_empty(), "a refused set changes nothing");
    fleet.build(Zone::South).set([("version", "1.2")]).unwrap();
    assert_eq!(fleet.build(Zone::South).get()[0].0, "version");
}
