//! The `axum_mount` example, built and run: its own routes and the runtime's handler answer on one port,
//! with the handler's configuration (path, tokens) read from `--config`.

use promstruct::Format;
use promstruct_testing::assert_valid;
use suite::http::{OPENMETRICS, PROMETHEUS_2_ACCEPT, TEXT, get, request};
use suite::programs::{Scratch, build_example, start_serving};

#[tokio::test]
async fn the_example_serves_its_routes_and_its_metrics() {
    let binary = build_example("axum_mount");
    let scratch = Scratch::new("axum-mount");
    let config = scratch.join("config.yaml");
    std::fs::write(&config, "prometheus_metrics:\n  cache: { enabled: false }\n").unwrap();
    let (_running, addr) = start_serving(&binary, &["--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()]);

    // The application's own routes.
    let hello = get(addr, "/", &[]).await;
    assert_eq!((hello.status, hello.text().as_str()), (200, "hello\n"));
    assert_eq!(get(addr, "/orders/42", &[]).await.status, 200);
    assert_eq!(get(addr, "/orders/42", &[]).await.status, 200);
    assert_eq!(get(addr, "/orders/404", &[]).await.status, 404);
    assert_eq!(get(addr, "/nowhere", &[]).await.status, 404);

    // The handler at /metrics, negotiating as on its own server, with what the routes counted.
    let scrape = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(scrape.status, 200);
    assert_eq!(scrape.header("content-type"), OPENMETRICS);
    let exposition = assert_valid(&scrape.text(), Format::OpenMetrics);
    exposition.assert_value("shop_requests_total", &[("route", "index"), ("outcome", "found")], 1.0);
    exposition.assert_value("shop_requests_total", &[("route", "order"), ("outcome", "found")], 2.0);
    exposition.assert_value("shop_requests_total", &[("route", "order"), ("outcome", "missing")], 1.0);
    let text = get(addr, "/metrics", &[]).await;
    assert_eq!(text.header("content-type"), TEXT);
    assert_valid(&text.text(), Format::Text);

    // Its methods and probes too.
    let post = request(addr, "POST", "/metrics", &[]).await;
    assert_eq!((post.status, post.header("allow")), (405, "GET, HEAD"));
    assert_eq!(get(addr, "/health", &[]).await.status, 200);
    assert_eq!(get(addr, "/ready", &[]).await.status, 200);
}

#[tokio::test]
async fn the_example_takes_the_path_and_tokens_of_its_config() {
    let binary = build_example("axum_mount");
    let scratch = Scratch::new("axum-mount-auth");
    let config = scratch.join("config.yaml");
    std::fs::write(
        &config,
        "prometheus_metrics:\n  endpoint: { path: /internal/metrics }\n  \
         auth: { enabled: true, tokens: [{ token: s3cr3t, scopes: [\"metrics:read\"] }] }\n",
    )
    .unwrap();
    let (_running, addr) = start_serving(&binary, &["--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()]);
    assert_eq!(get(addr, "/metrics", &[]).await.status, 404);
    let refused = get(addr, "/internal/metrics", &[]).await;
    assert_eq!(refused.status, 401);
    assert!(refused.header("www-authenticate").starts_with("Bearer"), "{:?}", refused.headers);
    let allowed = get(addr, "/internal/metrics", &[("authorization", "Bearer s3cr3t")]).await;
    assert_eq!(allowed.status, 200);
    assert_valid(&allowed.text(), Format::Text);
    // The application's routes are its own business: not gated.
    assert_eq!(get(addr, "/", &[]).await.status, 200);
}
