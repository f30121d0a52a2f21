//! An axum application with routes of its own that mounts the runtime's metrics handler beside them, on
//! one port: `cargo run --example axum_mount -- --listen 127.0.0.1:8080 [--config FILE]`.
//!
//! ```text
//! curl http://127.0.0.1:8080/                 # the application: "hello"
//! curl http://127.0.0.1:8080/orders/42        # the application: an order
//! curl http://127.0.0.1:8080/metrics          # its metrics (the path is `endpoint.path` of the config)
//! curl http://127.0.0.1:8080/ready            # the handler's probes, mounted too
//! ```
//!
//! The handler does the same as on its own server: negotiation, gzip, the cache, tokens and the rate
//! limit of `--config FILE` (the `prometheus_metrics` schema). It is mounted with `any`, so that it
//! answers other methods itself (405 with `Allow`). The first line on stdout is
//! `axum_mount: listening on http://ADDR`; SIGTERM or Ctrl-C stops it after in-flight requests.

mod common;

use std::error::Error;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::routing::{any, get};
use promstruct::http::{Handler, shutdown_signal};
use promstruct::prelude::*;

/// What the application measures about its own routes.
#[metrics(namespace = "shop")]
#[labels(Route { Index = "index", Order = "order" }, Outcome { Found = "found", Missing = "missing" })]
pub(crate) struct ShopMetrics {
    /// Requests to the application's routes, by route and outcome.
    #[counter(labels(route: Route, outcome: Outcome))]
    requests: Counter,
}

/// The application's state: its metrics.
type Shop = Arc<ShopMetrics>;

async fn index(State(shop): State<Shop>) -> &'static str {
    shop.requests(Route::Index, Outcome::Found).inc();
    "hello\n"
}

/// Orders 1 to 100 exist.
async fn order(State(shop): State<Shop>, Path(id): Path<u32>) -> (StatusCode, String) {
    if (1..=100).contains(&id) {
        shop.requests(Route::Order, Outcome::Found).inc();
        (StatusCode::OK, format!("order {id}\n"))
    } else {
        shop.requests(Route::Order, Outcome::Missing).inc();
        (StatusCode::NOT_FOUND, format!("no order {id}\n"))
    }
}

/// The application's routes, with `metrics` mounted at `metrics_path`, `/health` and `/ready`.
fn router(shop: Shop, metrics: Handler, metrics_path: &str) -> Router {
    let mount = move |request: Request| {
        let metrics = metrics.clone();
        async move { metrics.handle(request).await }
    };
    Router::new()
        .route("/", get(index))
        .route("/orders/{id}", get(order))
        .route(metrics_path, any(mount.clone()))
        .route("/health", any(mount.clone()))
        .route("/ready", any(mount))
        .with_state(shop)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let config = common::parse_args("axum_mount", &[]).config;
    let registry = config.registry();
    let shop = Arc::new(ShopMetrics::default());
    registry.register(Arc::clone(&shop))?;
    let metrics = Handler::new(registry, &config);

    let listener = tokio::net::TcpListener::bind(config.listen_addr()).await?;
    println!("axum_mount: listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router(shop, metrics, &config.endpoint.path))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
