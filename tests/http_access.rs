//! Who may scrape, over real TCP: bearer tokens and their scope (401 with `WWW-Authenticate`, 403, 200;
//! the probes are not gated) and the rate limit (429 with `Retry-After`), each refusal counted.

use promstruct::config::Config;
use promstruct::{Format, Registry};
use promstruct_testing::assert_valid;
use suite::http::{PROMETHEUS_2_ACCEPT, Reply, TestServer, get, request};

const READER: &str = "reader-0123456789";
const ADMIN: &str = "admin-9876543210";
/// The challenge sent with every 401 and 403.
const REALM: &str = r#"Bearer realm="metrics""#;

fn authenticated() -> promstruct::config::ConfigBuilder {
    Config::builder().token(READER, ["metrics:read"]).token(ADMIN, ["admin:write", "logs:read"])
}

/// The count of refused scrapes for `reason`, read through an authorized scrape of a fresh encoding.
async fn rejected(server: &TestServer, reason: &str) -> f64 {
    server.handler.invalidate();
    let bearer = format!("Bearer {READER}");
    let reply = get(server.addr, "/metrics", &[("authorization", &bearer), ("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let exposition = assert_valid(&reply.text(), Format::OpenMetrics);
    exposition.value("promstruct_http_rejected_requests_total", &[("reason", reason)]).unwrap()
}

fn assert_unauthorized(reply: &Reply, what: &str, challenge: &str) {
    assert_eq!(reply.status, 401, "{what}");
    assert_eq!(reply.header("www-authenticate"), challenge, "{what}");
    assert_eq!(reply.header("content-type"), "text/plain; charset=utf-8", "{what}");
    assert!(!reply.text().contains("promstruct"), "{what}: a refusal leaked metrics: {}", reply.text());
}

#[tokio::test]
async fn a_missing_or_unreadable_credential_is_401_with_a_challenge() {
    let server = TestServer::start(Registry::new(), authenticated()).await;
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("no Authorization", &[]),
        ("Basic credentials", &[("authorization", "Basic cmVhZGVyOnJlYWRlcg==")]),
        ("Bearer without a token", &[("authorization", "Bearer")]),
        ("Bearer and blanks", &[("authorization", "Bearer    ")]),
        ("no space after Bearer", &[("authorization", "Bearerreader-0123456789")]),
        ("the token alone", &[("authorization", READER)]),
    ];
    for (what, headers) in cases {
        assert_unauthorized(&get(server.addr, "/metrics", headers).await, what, REALM);
        assert_unauthorized(&request(server.addr, "HEAD", "/metrics", headers).await, what, REALM);
    }
    assert_eq!(rejected(&server, "unauthorized").await, 2.0 * cases.len() as f64);
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_token_is_401_invalid_token() {
    let server = TestServer::start(Registry::new(), authenticated()).await;
    let challenge = format!(r#"{REALM}, error="invalid_token""#);
    for token in ["nope", "reader-012345678", "reader-01234567890", "READER-0123456789", "reader-0123456788"] {
        let bearer = format!("Bearer {token}");
        assert_unauthorized(&get(server.addr, "/metrics", &[("authorization", &bearer)]).await, token, &challenge);
    }
    assert_eq!(rejected(&server, "unauthorized").await, 5.0);
    server.stop().await;
}

#[tokio::test]
async fn a_token_without_the_scope_is_403_and_one_with_it_is_200() {
    let server = TestServer::start(Registry::new(), authenticated()).await;
    let admin = format!("Bearer {ADMIN}");
    let reply = get(server.addr, "/metrics", &[("authorization", &admin)]).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.header("www-authenticate"),
        format!(r#"{REALM}, error="insufficient_scope", scope="metrics:read""#)
    );
    assert!(reply.text().contains("metrics:read"), "{}", reply.text());

    // The scheme is case-insensitive and blanks around the token do not matter.
    for bearer in [format!("Bearer {READER}"), format!("bearer {READER}"), format!("BEARER   {READER}  ")] {
        let reply = get(server.addr, "/metrics", &[("authorization", &bearer)]).await;
        assert_eq!(reply.status, 200, "{bearer:?}");
        assert_eq!(reply.header("www-authenticate"), "");
        assert_valid(&reply.text(), Format::Text);
    }
    assert_eq!(rejected(&server, "forbidden").await, 1.0);
    assert_eq!(rejected(&server, "unauthorized").await, 0.0);
    server.stop().await;
}

#[tokio::test]
async fn the_probes_and_other_routes_are_not_gated() {
    let server = TestServer::start(Registry::new(), authenticated()).await;
    for (path, status) in [("/health", 200), ("/ready", 200), ("/nowhere", 404)] {
        let reply = get(server.addr, path, &[]).await;
        assert_eq!(reply.status, status, "{path}");
        assert_eq!(reply.header("www-authenticate"), "", "{path}");
    }
    server.handler.readiness().set_ready(false);
    assert_eq!(get(server.addr, "/ready", &[]).await.status, 503);
    server.stop().await;
}

#[tokio::test]
async fn past_the_rate_limit_scrapes_get_429_with_retry_after() {
    // Two scrapes at once, then one every two seconds.
    let server = TestServer::start(Registry::new(), Config::builder().rate_limit(0.5, 2)).await;
    for _ in 0..2 {
        assert_eq!(get(server.addr, "/metrics", &[]).await.status, 200);
    }
    for _ in 0..3 {
        let reply = get(server.addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
        assert_eq!(reply.status, 429);
        let retry: u64 = reply.header("retry-after").parse().expect("Retry-After in whole seconds");
        assert!((1..=2).contains(&retry), "Retry-After: {retry}");
        assert_eq!(reply.header("content-type"), "text/plain; charset=utf-8");
    }
    // The probes are not limited.
    for _ in 0..5 {
        assert_eq!(get(server.addr, "/health", &[]).await.status, 200);
        assert_eq!(get(server.addr, "/ready", &[]).await.status, 200);
    }
    server.stop().await;
}

#[tokio::test]
async fn refused_credentials_do_not_spend_the_rate_limit() {
    let server = TestServer::start(Registry::new(), authenticated().rate_limit(0.01, 1)).await;
    // Anyone can send these; they must not starve the scraper that holds a token.
    for _ in 0..10 {
        assert_eq!(get(server.addr, "/metrics", &[]).await.status, 401);
        assert_eq!(get(server.addr, "/metrics", &[("authorization", "Bearer wrong")]).await.status, 401);
    }
    let reader = format!("Bearer {READER}");
    let reply = get(server.addr, "/metrics", &[("authorization", &reader), ("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200);
    let exposition = assert_valid(&reply.text(), Format::OpenMetrics);
    exposition.assert_value("promstruct_http_rejected_requests_total", &[("reason", "unauthorized")], 20.0);
    exposition.assert_value("promstruct_http_rejected_requests_total", &[("reason", "rate_limited")], 0.0);
    let reply = get(server.addr, "/metrics", &[("authorization", &reader)]).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), "100");
    server.stop().await;
}
