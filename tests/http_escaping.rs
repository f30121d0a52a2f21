//! Prometheus 3's content negotiation over real TCP: each `escaping=` scheme, and the default Accept
//! headers of Prometheus 3.x and 2.42 (EXPOSITION.md), get their exact `Content-Type` and a body whose
//! UTF-8 names are quoted (`allow-utf-8`, read by the strict parser with quoted names) or escaped (a
//! legacy exposition that the strict parser, promtool and Python's parser read); the cache keeps a body
//! per scheme only once a name needs one.
//!
//! A real Prometheus 2.42 cannot read UTF-8 names: it names no scheme and gets `underscores`.

use promstruct::config::Config;
use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use promstruct::{Format, Policy, Registry};
use promstruct_testing::{parse, parse_utf8};
use suite::http::{OPENMETRICS, OPENMETRICS_UTF8, PROMETHEUS_2_ACCEPT, PROMETHEUS_3_ACCEPT, TEXT, TestServer, get};
use suite::validators::{find_sample, promtool_check, python_parse};

/// A UTF-8 counter `http.server.requests{service.name, code}` beside a legacy one.
fn registry(utf8: bool) -> Registry {
    let registry = Registry::new();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    if utf8 {
        let spec = MetricSpec::new("http.server.requests", "Requests.", SpecKind::Counter)
            .labels(["service.name", "code"])
            .policy(Policy::STRICT.utf8_names());
        dynamic.counter(&spec).unwrap().get(&["api", "200"]).inc_by(3.0);
    }
    let spec = MetricSpec::new("jobs_done", "Jobs.", SpecKind::Counter).labels(["worker"]);
    dynamic.counter(&spec).unwrap().get(&["w-1"]).inc_by(2.0);
    registry
}

#[tokio::test]
async fn every_scheme_gets_its_content_type_and_its_names() {
    let server = TestServer::start(registry(true), Config::builder()).await;
    let om = |scheme: &str| format!("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping={scheme}");
    let text1 = |scheme: &str| format!("text/plain; version=1.0.0; charset=utf-8; escaping={scheme}");
    // (Accept, Content-Type, the counter's sample name, its UTF-8 label's name)
    let cases: Vec<(Option<String>, String, &str, &str)> = vec![
        (Some(PROMETHEUS_3_ACCEPT.into()), OPENMETRICS_UTF8.into(), "http.server.requests_total", "service.name"),
        (Some(PROMETHEUS_2_ACCEPT.into()), OPENMETRICS.into(), "http_server_requests_total", "service_name"),
        (None, TEXT.into(), "http_server_requests_total", "service_name"),
        (
            Some("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8".into()),
            om("allow-utf-8"),
            "http.server.requests_total",
            "service.name",
        ),
        (
            Some("application/openmetrics-text;version=1.0.0;escaping=underscores".into()),
            om("underscores"),
            "http_server_requests_total",
            "service_name",
        ),
        (
            Some("application/openmetrics-text;version=1.0.0;escaping=dots".into()),
            om("dots"),
            "http_dot_server_dot_requests_total",
            "service_dot_name",
        ),
        (
            Some("application/openmetrics-text;version=1.0.0;escaping=values".into()),
            om("values"),
            "U__http_2e_server_2e_requests_total",
            "U__service_2e_name",
        ),
        (
            Some("text/plain;version=1.0.0;escaping=allow-utf-8".into()),
            text1("allow-utf-8"),
            "http.server.requests_total",
            "service.name",
        ),
        (
            Some("text/plain;version=1.0.0;escaping=underscores".into()),
            text1("underscores"),
            "http_server_requests_total",
            "service_name",
        ),
        (
            Some("text/plain;version=1.0.0;escaping=dots".into()),
            text1("dots"),
            "http_dot_server_dot_requests_total",
            "service_dot_name",
        ),
        (
            Some("text/plain;version=1.0.0;escaping=values".into()),
            text1("values"),
            "U__http_2e_server_2e_requests_total",
            "U__service_2e_name",
        ),
        // Text 0.0.4 cannot quote: `allow-utf-8` is `underscores` there, and the others are named.
        (
            Some("text/plain;version=0.0.4;escaping=allow-utf-8".into()),
            TEXT.into(),
            "http_server_requests_total",
            "service_name",
        ),
        (
            Some("text/plain;version=0.0.4;escaping=dots".into()),
            "text/plain; version=0.0.4; charset=utf-8; escaping=dots".into(),
            "http_dot_server_dot_requests_total",
            "service_dot_name",
        ),
    ];
    for (accept, content_type, counter, label) in &cases {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", a.as_str())).collect();
        let reply = get(server.addr, "/metrics", &headers).await;
        assert_eq!(reply.status, 200, "{accept:?}");
        assert_eq!(reply.header("content-type"), content_type, "Accept: {accept:?}");
        let format = if content_type.starts_with("text/plain") { Format::Text } else { Format::OpenMetrics };
        let body = reply.text();
        let quoted = content_type.ends_with("allow-utf-8");
        let exposition = if quoted { parse_utf8(&body, format) } else { parse(&body, format) }
            .unwrap_or_else(|v| panic!("{accept:?}: {v}\n{body}"));
        assert_eq!(exposition.value(counter, &[(label, "api"), ("code", "200")]), Some(3.0), "{accept:?}\n{body}");
        assert_eq!(exposition.value("jobs_done_total", &[("worker", "w-1")]), Some(2.0), "legacy names as they are");
        if quoted {
            assert!(body.contains("{\"http.server.requests_total\",\"service.name\"=\"api\",code=\"200\"}"), "{body}");
            continue;
        }
        // An escaped exposition is a legacy one: the external validators read it too.
        match format {
            Format::Text => promtool_check(body.as_bytes()).unwrap_or_else(|e| panic!("{accept:?}: {e}\n{body}")),
            _ => {
                let families = python_parse(body.as_bytes(), true).unwrap_or_else(|e| panic!("{accept:?}: {e}"));
                let sample = find_sample(&families, counter, &[(label, "api"), ("code", "200")]);
                assert_eq!(sample.map(|s| s.value), Some(3.0), "{accept:?}");
            }
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn the_cache_keeps_a_body_per_scheme_only_when_names_need_it() {
    let schemes = ["allow-utf-8", "underscores", "dots", "values"];
    let accept = |scheme: &str| format!("application/openmetrics-text;version=1.0.0;escaping={scheme}");
    // Legacy names only: every scheme is the same bytes, encoded once for all of them.
    let server =
        TestServer::start(registry(false), Config::builder().cache_ttl(std::time::Duration::from_secs(60))).await;
    let mut bodies = Vec::new();
    for scheme in schemes {
        let reply = get(server.addr, "/metrics", &[("accept", &accept(scheme))]).await;
        assert!(reply.header("content-type").ends_with(&format!("escaping={scheme}")));
        bodies.push(reply.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(server.handler.encodes(Format::OpenMetrics), 1);
    server.stop().await;

    // A UTF-8 name: a body per scheme, each cached.
    let server =
        TestServer::start(registry(true), Config::builder().cache_ttl(std::time::Duration::from_secs(60))).await;
    let mut bodies = Vec::new();
    for round in 0..2 {
        for scheme in schemes {
            let reply = get(server.addr, "/metrics", &[("accept", &accept(scheme))]).await;
            if round == 0 {
                bodies.push(reply.body);
            } else {
                assert_eq!(bodies[schemes.iter().position(|s| *s == scheme).unwrap()], reply.body, "{scheme}");
            }
        }
    }
    for (i, a) in bodies.iter().enumerate() {
        assert!(bodies[i + 1..].iter().all(|b| b != a), "scheme {} shares its body", schemes[i]);
    }
    assert_eq!(server.handler.encodes(Format::OpenMetrics), 4, "one encoding a scheme, then the cache");
    server.stop().await;
}
