//! The endpoint over real TCP: the format each `Accept` header of EXPOSITION.md gets, with its exact
//! `Content-Type` (protobuf for the scrapers that ask for it first); gzip (round trip, `Vary`, the size
//! threshold, the switch), protobuf bodies included; `HEAD`.

use promstruct::config::Config;
use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use promstruct::{Format, Registry};
use promstruct_testing::{assert_valid, assert_valid_body};
use suite::http::{
    OPENMETRICS, OPENMETRICS_UTF8, PROMETHEUS_2_ACCEPT, PROMETHEUS_3_ACCEPT, PROMETHEUS_3_NATIVE_ACCEPT,
    PROMETHEUS_NATIVE_ACCEPT, PROTOBUF, TEXT, TEXT_1_0_0_UTF8, TestServer, get, gunzip, raw, request,
};

/// A registry with `workers` series in one counter family (about 60 bytes each in the text format).
fn registry(workers: usize) -> Registry {
    let registry = Registry::new();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let spec = MetricSpec::new("jobs_done", "Jobs done, by worker.", SpecKind::Counter).labels(["worker"]);
    let jobs = dynamic.counter(&spec).unwrap();
    for i in 0..workers {
        jobs.get(&[&format!("worker-{i:04}")]).inc_by(i as f64);
    }
    registry
}

/// The format a content type names.
fn format_of(content_type: &str) -> Format {
    match content_type {
        OPENMETRICS | OPENMETRICS_UTF8 => Format::OpenMetrics,
        TEXT | TEXT_1_0_0_UTF8 => Format::Text,
        PROTOBUF => Format::Protobuf,
        other => panic!("unexpected Content-Type {other:?}"),
    }
}

#[tokio::test]
async fn each_accept_header_gets_its_format_with_the_exact_content_type() {
    let server = TestServer::start(registry(3), Config::builder()).await;
    let cases: &[(Option<&str>, &str)] = &[
        // What scrapers send.
        (Some(PROMETHEUS_2_ACCEPT), OPENMETRICS),
        (Some(PROMETHEUS_3_ACCEPT), OPENMETRICS_UTF8),
        // Prometheus 2 with native histograms, 3 with `scrape_native_histograms`: protobuf first.
        (Some(PROMETHEUS_NATIVE_ACCEPT), PROTOBUF),
        (Some(PROMETHEUS_3_NATIVE_ACCEPT), PROTOBUF),
        (Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"), PROTOBUF),
        (
            Some(
                "application/vnd.google.protobuf; encoding=delimited; proto=io.prometheus.client.MetricFamily; q=0.9, text/plain; q=0.8",
            ),
            PROTOBUF,
        ),
        (
            Some(
                "text/plain;q=0.9,application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.8",
            ),
            TEXT,
        ),
        // OpenMetrics by name, each version we write a valid body for.
        (Some("application/openmetrics-text"), OPENMETRICS),
        (Some("application/openmetrics-text;version=1.0.0"), OPENMETRICS),
        (Some("application/openmetrics-text; version=0.0.1"), OPENMETRICS),
        (Some("application/openmetrics-text; version=1.0.0; charset=utf-8"), OPENMETRICS),
        (Some("application/*"), OPENMETRICS),
        // The text format by name.
        (Some("text/plain"), TEXT),
        (Some("text/plain;version=0.0.4"), TEXT),
        (Some("text/plain; version=0.0.4; charset=utf-8"), TEXT),
        (Some("text/plain;version=1.0.0;escaping=allow-utf-8"), TEXT_1_0_0_UTF8),
        (Some("text/*"), TEXT),
        // q-values decide, whatever the order.
        (Some("text/plain;q=0.5,application/openmetrics-text;q=0.6"), OPENMETRICS),
        (Some("application/openmetrics-text;q=0.4,text/plain;q=0.5"), TEXT),
        (Some("text/plain;version=0.0.4;q=0.3,*/*;q=0.9"), OPENMETRICS),
        (Some("text/plain;q=0,*/*"), OPENMETRICS),
        (Some("application/openmetrics-text;q=0,*/*"), TEXT),
        (Some("application/openmetrics-text;q=0"), TEXT),
        // Equal q: the more specific range, then the first listed.
        (Some("application/openmetrics-text,text/plain"), OPENMETRICS),
        (Some("text/plain,application/openmetrics-text"), TEXT),
        // No Accept, anything, only unknown types or versions, garbage: the text format 0.0.4.
        (None, TEXT),
        (Some(""), TEXT),
        (Some("*/*"), TEXT),
        (Some("application/json"), TEXT),
        (Some("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text"), TEXT),
        (Some("application/vnd.google.protobuf"), TEXT),
        (Some("application/openmetrics-text;version=2.0.0"), TEXT),
        (Some("text/plain;version=9.9.9"), TEXT),
        (Some("garbage;;;q=x,,"), TEXT),
        (Some("text/plain;q=abc"), TEXT),
        (Some(",,,;;;==="), TEXT),
    ];
    for (accept, want) in cases {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
        let reply = get(server.addr, "/metrics", &headers).await;
        assert_eq!(reply.status, 200, "Accept: {accept:?}");
        assert_eq!(reply.header("content-type"), *want, "Accept: {accept:?}");
        // The body is in the format the header names, and valid in it.
        let format = format_of(reply.header("content-type"));
        let exposition = assert_valid_body(&reply.body, format);
        assert_eq!(exposition.value("jobs_done_total", &[("worker", "worker-0002")]), Some(2.0), "{accept:?}");
        assert_eq!(reply.body.ends_with(b"# EOF\n"), format == Format::OpenMetrics, "Accept: {accept:?}");
    }
    server.stop().await;
}

#[tokio::test]
async fn refusing_both_formats_is_406_naming_them() {
    let server = TestServer::start(registry(1), Config::builder()).await;
    for accept in ["text/plain;q=0,application/openmetrics-text;q=0", "text/*;q=0, application/*;q=0, */*;q=0"] {
        let reply = get(server.addr, "/metrics", &[("accept", accept)]).await;
        assert_eq!(reply.status, 406, "Accept: {accept}");
        assert_eq!(reply.header("content-type"), "text/plain; charset=utf-8");
        let text = reply.text();
        assert!(text.contains(TEXT) && text.contains(OPENMETRICS) && text.contains(PROTOBUF), "{text}");
    }
    server.stop().await;
}

#[tokio::test]
async fn gzip_round_trips_to_the_plain_body() {
    // The cache is on (the default), so both scrapes serve one encoding: the gzip body is the plain body
    // compressed, and must decode to it byte for byte.
    let server = TestServer::start(registry(200), Config::builder().compression(1024)).await;
    for (accept, content_type) in
        [(PROMETHEUS_2_ACCEPT, OPENMETRICS), ("text/plain", TEXT), (PROMETHEUS_NATIVE_ACCEPT, PROTOBUF)]
    {
        let plain = get(server.addr, "/metrics", &[("accept", accept)]).await;
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("content-encoding"), "");
        assert!(plain.body.len() > 1024, "{} bytes: too small to test compression", plain.body.len());

        let gzipped = get(server.addr, "/metrics", &[("accept", accept), ("accept-encoding", "gzip, deflate")]).await;
        assert_eq!(gzipped.status, 200);
        assert_eq!(gzipped.header("content-type"), content_type);
        assert_eq!(gzipped.header("content-encoding"), "gzip");
        assert_eq!(gzipped.header("content-length"), gzipped.body.len().to_string());
        assert!(gzipped.body.len() < plain.body.len() / 2, "{} of {} bytes", gzipped.body.len(), plain.body.len());
        assert_eq!(gunzip(&gzipped.body), plain.body, "{content_type}");
        assert_valid_body(&gunzip(&gzipped.body), format_of(content_type));

        // Both vary on the encoding (and on Accept), so a cache between us and the scraper keeps them apart.
        for reply in [&plain, &gzipped] {
            let vary: Vec<&str> = reply.header("vary").split(',').map(str::trim).collect();
            assert!(vary.contains(&"Accept-Encoding") && vary.contains(&"Accept"), "Vary: {vary:?}");
        }
    }
    // Accept-Encoding that refuses gzip, or names only other codings: identity.
    for refused in ["gzip;q=0", "identity", "br, deflate", "*;q=0"] {
        let reply = get(server.addr, "/metrics", &[("accept-encoding", refused)]).await;
        assert_eq!(reply.header("content-encoding"), "", "Accept-Encoding: {refused}");
        assert_valid(&reply.text(), Format::Text);
    }
    for allowed in ["GZIP", "x-gzip", "*", "br;q=1.0, gzip;q=0.5"] {
        let reply = get(server.addr, "/metrics", &[("accept-encoding", allowed)]).await;
        assert_eq!(reply.header("content-encoding"), "gzip", "Accept-Encoding: {allowed}");
        assert_valid(std::str::from_utf8(&gunzip(&reply.body)).unwrap(), Format::Text);
    }
    server.stop().await;
}

#[tokio::test]
async fn gzip_without_cache_decodes_to_a_valid_body() {
    let server = TestServer::start(registry(200), Config::builder().no_cache().compression(0)).await;
    let reply = get(server.addr, "/metrics", &[("accept", PROMETHEUS_3_ACCEPT), ("accept-encoding", "gzip")]).await;
    assert_eq!(reply.header("content-encoding"), "gzip");
    let body = String::from_utf8(gunzip(&reply.body)).unwrap();
    let exposition = assert_valid(&body, Format::OpenMetrics);
    assert_eq!(exposition.value("jobs_done_total", &[("worker", "worker-0199")]), Some(199.0));
    let reply =
        get(server.addr, "/metrics", &[("accept", PROMETHEUS_NATIVE_ACCEPT), ("accept-encoding", "gzip")]).await;
    assert_eq!((reply.header("content-type"), reply.header("content-encoding")), (PROTOBUF, "gzip"));
    let exposition = assert_valid_body(&gunzip(&reply.body), Format::Protobuf);
    assert_eq!(exposition.value("jobs_done_total", &[("worker", "worker-0199")]), Some(199.0));
    server.stop().await;
}

#[tokio::test]
async fn bodies_below_the_threshold_and_disabled_compression_are_not_gzipped() {
    // A threshold above the body's size.
    let small = TestServer::start(registry(3), Config::builder().compression(1 << 20)).await;
    // Compression off, however large the body.
    let off = TestServer::start(registry(200), Config::builder().no_compression()).await;
    for server in [&small, &off] {
        let reply = get(server.addr, "/metrics", &[("accept-encoding", "gzip")]).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-encoding"), "");
        assert_valid(&reply.text(), Format::Text);
        assert!(reply.header("vary").contains("Accept-Encoding"), "Vary: {}", reply.header("vary"));
    }
    small.stop().await;
    off.stop().await;
}

#[tokio::test]
async fn head_sends_the_headers_of_get_without_a_body() {
    let server = TestServer::start(registry(50), Config::builder().compression(1024)).await;
    for (accept, encoding) in [
        (PROMETHEUS_2_ACCEPT, "identity"),
        (PROMETHEUS_2_ACCEPT, "gzip"),
        (PROMETHEUS_NATIVE_ACCEPT, "identity"),
        (PROMETHEUS_NATIVE_ACCEPT, "gzip"),
    ] {
        let headers = [("accept", accept), ("accept-encoding", encoding)];
        let got = get(server.addr, "/metrics", &headers).await;
        let head = request(server.addr, "HEAD", "/metrics", &headers).await;
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
        for name in ["content-type", "content-encoding", "vary", "content-length"] {
            assert_eq!(head.header(name), got.header(name), "{name} ({accept}, {encoding})");
        }
        assert_eq!(head.header("content-length"), got.body.len().to_string());
    }
    // On the wire: the head, then nothing, however long we wait for the server to close.
    let wire = raw(server.addr, b"HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    let (head, body) = wire.split_once("\r\n\r\n").expect("a complete response head");
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    assert!(head.to_ascii_lowercase().contains(&format!("content-type: {TEXT}")), "{head}");
    assert_eq!(body, "", "HEAD sent a body");
    for probe in ["/health", "/ready"] {
        let reply = request(server.addr, "HEAD", probe, &[]).await;
        assert_eq!(reply.status, 200, "{probe}");
        assert!(reply.body.is_empty(), "{probe}");
    }
    server.stop().await;
}
