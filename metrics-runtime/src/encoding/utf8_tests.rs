//! Families with names outside the legacy set, exposed under each escaping scheme, byte for byte.

use crate::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use crate::{Escaping, Format, Policy, Registry};

/// A registry with a counter and a histogram named in UTF-8, each with a UTF-8 label and a legacy one,
/// and a legacy gauge beside them.
fn registry() -> Registry {
    let registry = Registry::builder().self_metrics(false).build();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let utf8 = Policy::STRICT.utf8_names();
    let requests = MetricSpec::new("http.server.requests", "Requests.", SpecKind::Counter)
        .labels(["service.name", "code"])
        .policy(utf8);
    dynamic.counter(&requests).unwrap().get(&["api", "200"]).inc_by(2.0);
    let duration = MetricSpec::new("rpc.duration", "Latency.", SpecKind::histogram([0.1]))
        .unit("seconds")
        .labels(["peer.service"])
        .policy(utf8);
    dynamic.histogram(&duration).unwrap().get(&["db"]).observe(0.05);
    let plain = MetricSpec::new("queue_depth", "Depth.", SpecKind::Gauge).labels(["queue"]);
    dynamic.gauge(&plain).unwrap().get(&["q\"1"]).set(3.0);
    registry
}

fn encode(registry: &Registry, format: Format, escaping: Escaping) -> String {
    let mut buf = Vec::new();
    registry.encode_with(format, escaping, &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

#[test]
fn allow_utf8_quotes_names_inside_the_braces() {
    let registry = registry();
    assert!(registry.has_utf8_names());
    assert_eq!(
        encode(&registry, Format::OpenMetrics, Escaping::AllowUtf8),
        r#"# TYPE "http.server.requests" counter
# HELP "http.server.requests" Requests.
{"http.server.requests_total","service.name"="api",code="200"} 2.0
# TYPE "rpc.duration_seconds" histogram
# UNIT "rpc.duration_seconds" seconds
# HELP "rpc.duration_seconds" Latency.
{"rpc.duration_seconds_bucket","peer.service"="db",le="0.1"} 1
{"rpc.duration_seconds_bucket","peer.service"="db",le="+Inf"} 1
{"rpc.duration_seconds_sum","peer.service"="db"} 0.05
{"rpc.duration_seconds_count","peer.service"="db"} 1
# TYPE queue_depth gauge
# HELP queue_depth Depth.
queue_depth{queue="q\"1"} 3.0
# EOF
"#
    );
    assert_eq!(
        encode(&registry, Format::Text, Escaping::AllowUtf8),
        r#"# HELP "http.server.requests_total" Requests.
# TYPE "http.server.requests_total" counter
{"http.server.requests_total","service.name"="api",code="200"} 2.0
# HELP "rpc.duration_seconds" Latency.
# TYPE "rpc.duration_seconds" histogram
{"rpc.duration_seconds_bucket","peer.service"="db",le="0.1"} 1
{"rpc.duration_seconds_bucket","peer.service"="db",le="+Inf"} 1
{"rpc.duration_seconds_sum","peer.service"="db"} 0.05
{"rpc.duration_seconds_count","peer.service"="db"} 1
# HELP queue_depth Depth.
# TYPE queue_depth gauge
queue_depth{queue="q\"1"} 3.0
"#
    );
}

#[test]
fn other_schemes_escape_names_and_only_names() {
    let registry = registry();
    let cases = [
        (Escaping::Underscores, "http_server_requests", "service_name", "rpc_duration_seconds", "peer_service"),
        (
            Escaping::Dots,
            "http_dot_server_dot_requests",
            "service_dot_name",
            "rpc_dot_duration__seconds",
            "peer_dot_service",
        ),
        (
            Escaping::Values,
            "U__http_2e_server_2e_requests",
            "U__service_2e_name",
            "U__rpc_2e_duration__seconds",
            "U__peer_2e_service",
        ),
    ];
    for (escaping, requests, service, duration, peer) in cases {
        let om = encode(&registry, Format::OpenMetrics, escaping);
        let expected = format!(
            "# TYPE {requests} counter\n# HELP {requests} Requests.\n{requests}_total{{{service}=\"api\",code=\"200\"}} 2.0\n\
             # TYPE {duration} histogram\n# UNIT {duration} seconds\n# HELP {duration} Latency.\n\
             {duration}_bucket{{{peer}=\"db\",le=\"0.1\"}} 1\n{duration}_bucket{{{peer}=\"db\",le=\"+Inf\"}} 1\n\
             {duration}_sum{{{peer}=\"db\"}} 0.05\n{duration}_count{{{peer}=\"db\"}} 1\n\
             # TYPE queue_depth gauge\n# HELP queue_depth Depth.\nqueue_depth{{queue=\"q\\\"1\"}} 3.0\n# EOF\n"
        );
        assert_eq!(om, expected, "{escaping}");
        let text = encode(&registry, Format::Text, escaping);
        assert!(
            text.contains(&format!("# TYPE {requests}_total counter\n{requests}_total{{{service}=\"api\"")),
            "{text}"
        );
        // The names read back: `dots` and `values` are reversible, `underscores` is not.
        if escaping != Escaping::Underscores {
            assert_eq!(promstruct_naming::unescape_name(requests, escaping), "http.server.requests");
            assert_eq!(promstruct_naming::unescape_name(service, escaping), "service.name");
            assert_eq!(promstruct_naming::unescape_name(duration, escaping), "rpc.duration_seconds");
        }
    }
}

#[test]
fn legacy_names_are_the_same_bytes_under_every_scheme() {
    let registry = Registry::builder().self_metrics(false).build();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let spec = MetricSpec::new("jobs_done", "Jobs.", SpecKind::Counter).labels(["queue_name"]);
    dynamic.counter(&spec).unwrap().get(&["a.b"]).inc();
    assert!(!registry.has_utf8_names());
    let bytes = |format, escaping| {
        let mut buf = Vec::new();
        registry.encode_with(format, escaping, &mut buf).unwrap();
        buf
    };
    for format in [Format::Text, Format::OpenMetrics, Format::Protobuf] {
        let default = bytes(format, Escaping::Underscores);
        for escaping in Escaping::ALL {
            assert_eq!(bytes(format, escaping), default, "{format:?} {escaping}");
        }
    }
    // `dots` would double the underscores of a legacy name; like client_golang, legacy names are kept.
    assert!(encode(&registry, Format::Text, Escaping::Dots).contains("jobs_done_total{queue_name=\"a.b\"} 1.0\n"));
}

#[test]
fn utf8_names_need_the_opt_in_and_must_not_collide_once_escaped() {
    let registry = Registry::builder().self_metrics(false).build();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    assert!(dynamic.counter(&MetricSpec::new("http.requests", "h", SpecKind::Counter)).is_err());
    let permissive = MetricSpec::new("http.requests", "h", SpecKind::Counter).policy(Policy::PERMISSIVE);
    assert!(dynamic.counter(&permissive).is_err(), "the permissive policy is the legacy data model");
    let utf8 = Policy::STRICT.utf8_names();
    dynamic.counter(&MetricSpec::new("http.requests", "h", SpecKind::Counter).policy(utf8)).unwrap();
    // `http_requests` is what `underscores` writes for `http.requests`: refused.
    let clash = dynamic.counter(&MetricSpec::new("http_requests", "h", SpecKind::Counter));
    assert!(clash.is_err(), "{clash:?}");
    let labels = MetricSpec::new("calls", "h", SpecKind::Counter).labels(["a.b", "a_b"]).policy(utf8);
    assert!(dynamic.counter(&labels).is_err());
}

#[test]
fn protobuf_carries_names_as_they_are_under_allow_utf8_and_escapes_them_otherwise() {
    let registry = registry();
    let body = |escaping| {
        let mut buf = Vec::new();
        registry.encode_with(Format::Protobuf, escaping, &mut buf).unwrap();
        buf
    };
    let has = |buf: &[u8], needle: &str| buf.windows(needle.len()).any(|w| w == needle.as_bytes());
    let raw = body(Escaping::AllowUtf8);
    assert!(has(&raw, "http.server.requests_total") && has(&raw, "service.name") && has(&raw, "rpc.duration_seconds"));
    assert!(!has(&raw, "http_server_requests"));
    // Prometheus 2.x asks for protobuf without a scheme, and reads legacy names only: `underscores`, as
    // client_golang writes it.
    let underscores = body(Escaping::Underscores);
    for name in ["http_server_requests_total", "service_name", "rpc_duration_seconds", "peer_service", "queue_depth"] {
        assert!(has(&underscores, name), "{name}");
    }
    assert!(!has(&underscores, "http.server") && !has(&underscores, "service.name"));
    let values = body(Escaping::Values);
    assert!(has(&values, "U__http_2e_server_2e_requests_total") && has(&values, "U__service_2e_name"));
}
