//! UTF-8 names on real registries: quoted under `allow-utf-8` and read back by the strict parser with
//! quoted names; escaped by each other scheme into legacy expositions the strict parser reads, and
//! unescaped back where the scheme is reversible (`dots`, `values`; `underscores` is lossy).

use std::sync::Arc;

use promstruct::encoding::{exposed_name, unescape_name};
use promstruct::{
    Buckets, Descriptor, Escaping, FloatCounter, Format, Histogram, MetricType, OpenFamily, OpenOptions, Policy,
    Registry,
};
use promstruct_testing::{Exposition, parse, parse_utf8};

/// Names from OpenTelemetry's semantic conventions, and a few that are harder to escape.
const COUNTER: &str = "http.server.requests";
const HISTOGRAM: &str = "db.client.operation.duration";
const LABELS: [&str; 3] = ["service.name", "k8s.pod-name", "app.名前"];

fn registry() -> Registry {
    let registry = Registry::builder().self_metrics(false).build();
    let utf8 = Policy::STRICT.utf8_names();
    let labels = || LABELS.iter().copied().chain(["code"]);
    let requests = Arc::new(OpenFamily::<FloatCounter>::new(
        Descriptor::builder(COUNTER, MetricType::Counter, "Requests.").labels(labels()).policy(utf8).build().unwrap(),
        (),
        OpenOptions::new(),
    ));
    let duration = Arc::new(OpenFamily::<Histogram>::new(
        Descriptor::builder(HISTOGRAM, MetricType::Histogram, "Latency.")
            .unit("seconds")
            .labels(labels())
            .policy(utf8)
            .build()
            .unwrap(),
        Buckets::new([0.1, 1.0]).unwrap(),
        OpenOptions::new(),
    ));
    registry.register(requests.clone()).unwrap();
    registry.register(duration.clone()).unwrap();
    requests.get(&["api", "web-0", "値 \"x\"", "200"]).inc_by(3.0);
    duration.get(&["api", "web-0", "値 \"x\"", "200"]).observe(0.5);
    registry
}

fn encode(registry: &Registry, format: Format, escaping: Escaping) -> String {
    let mut buf = Vec::new();
    registry.encode_with(format, escaping, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

/// The values of the series, under the names `names` maps the originals to.
fn check(e: &Exposition, names: impl Fn(&str) -> String) {
    let labels: Vec<(String, &str)> = LABELS.iter().map(|l| names(l)).zip(["api", "web-0", "値 \"x\""]).collect();
    let mut labels: Vec<(&str, &str)> = labels.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    labels.push(("code", "200"));
    let counter = format!("{}_total", names(COUNTER));
    assert_eq!(e.value(&counter, &labels), Some(3.0), "{counter} {labels:?}");
    let histogram = names(&format!("{HISTOGRAM}_seconds"));
    assert_eq!(e.value(&format!("{histogram}_count"), &labels), Some(1.0), "{histogram}");
    let mut bucket = labels.clone();
    bucket.push(("le", "1.0"));
    assert_eq!(e.value(&format!("{histogram}_bucket"), &bucket), Some(1.0));
    assert_eq!(
        e.families()[1].unit.as_deref().filter(|_| e.format() == Format::OpenMetrics),
        match e.format() {
            Format::OpenMetrics => Some("seconds"),
            _ => None,
        }
    );
}

#[test]
fn quoted_names_survive_the_round_trip() {
    let registry = registry();
    for format in [Format::OpenMetrics, Format::Text] {
        let body = encode(&registry, format, Escaping::AllowUtf8);
        assert!(body.contains(&format!("{{\"{COUNTER}_total\",\"service.name\"=\"api\"")), "{body}");
        let e = parse_utf8(&body, format).unwrap_or_else(|v| panic!("{format:?}: {v}\n{body}"));
        assert!(e.warnings().is_empty(), "{:?}", e.warnings());
        check(&e, str::to_owned);
        assert_eq!(
            e.families()[0].name,
            if format == Format::Text { format!("{COUNTER}_total") } else { COUNTER.into() }
        );
        // Not legacy: the strict parser without quoted names refuses it.
        assert!(parse(&body, format).is_err());
    }
}

#[test]
fn each_escaping_is_a_legacy_exposition_that_unescapes_where_it_can() {
    let registry = registry();
    for escaping in [Escaping::Underscores, Escaping::Dots, Escaping::Values] {
        for format in [Format::OpenMetrics, Format::Text] {
            let body = encode(&registry, format, escaping);
            let e = parse(&body, format).unwrap_or_else(|v| panic!("{escaping} {format:?}: {v}\n{body}"));
            check(&e, |name| exposed_name(name, escaping).into_owned());
            let names: Vec<&str> = e.families().iter().map(|f| f.name.as_str()).collect();
            match escaping {
                // Lossy: every character outside the legacy set is `_`.
                Escaping::Underscores => {
                    let family = if format == Format::Text { format!("{COUNTER}_total") } else { COUNTER.to_owned() };
                    assert_eq!(names[0], family.replace('.', "_"));
                    let labels = &e.families()[0].samples[0].labels;
                    let names: Vec<&str> = labels.iter().map(|(n, _)| n.as_str()).collect();
                    assert_eq!(names, ["service_name", "k8s_pod_name", "app___", "code"]);
                }
                // Reversible: every family and label name reads back.
                // The family name without the suffixes the format appends (a counter's `_total` in text
                // 0.0.4's metadata): a sample name is the escaped family name and its suffix.
                Escaping::Dots | Escaping::Values => {
                    let base = if format == Format::Text { names[0].strip_suffix("_total").unwrap() } else { names[0] };
                    assert_eq!(unescape_name(base, escaping), COUNTER, "{escaping}");
                    let histogram = unescape_name(names[1], escaping);
                    assert_eq!(histogram, format!("{HISTOGRAM}_seconds"));
                    let labels = &e.families()[0].samples[0].labels;
                    let back: Vec<String> = labels.iter().map(|(n, _)| unescape_name(n, escaping)).collect();
                    if escaping == Escaping::Values {
                        assert_eq!(back, LABELS.iter().copied().chain(["code"]).collect::<Vec<_>>());
                    } else {
                        // `dots` keeps what it can: the dots, not `-` nor `名前`.
                        assert_eq!(back[0], "service.name");
                    }
                }
                Escaping::AllowUtf8 => unreachable!(),
            }
        }
    }
}

#[test]
fn protobuf_carries_the_names_raw_under_allow_utf8_and_escaped_otherwise() {
    let body = |escaping| {
        let mut body = Vec::new();
        registry().encode_with(Format::Protobuf, escaping, &mut body).unwrap();
        body
    };
    let raw = body(Escaping::AllowUtf8);
    let e = promstruct_testing::parse_protobuf_utf8(&raw).unwrap_or_else(|v| panic!("{v}"));
    check(&e, str::to_owned);
    assert_eq!(e.families()[0].name, format!("{COUNTER}_total"));
    // The legacy reading refuses the names.
    assert!(promstruct_testing::parse_protobuf(&raw).is_err());
    // Every other scheme gives a legacy exposition, with the names the text formats give.
    for escaping in [Escaping::Underscores, Escaping::Dots, Escaping::Values] {
        let e = promstruct_testing::parse_protobuf(&body(escaping)).unwrap_or_else(|v| panic!("{escaping}: {v}"));
        check(&e, |name| exposed_name(name, escaping).into_owned());
    }
}
