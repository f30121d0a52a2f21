//! The sidecar (`promstruct-sidecar`) in process: two applications serving promstruct registries on Unix
//! sockets, the sidecar on TCP. Its scrape is the union of theirs, each series labelled with its source,
//! valid in both formats, with the endpoint's negotiation, gzip, tokens and TLS; a family that clashes is
//! refused and counted while the rest is served; an application that stops takes only its own series out
//! and sets its `promstruct_sidecar_source_up` series to 0, and its series come back with it.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use promstruct::config::{Config, ConfigBuilder, TlsConfig};
use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use promstruct::http::Server;
use promstruct::{Format, Registry};
use promstruct_sidecar::{SidecarConfig, SourceConfig};
use promstruct_testing::Exposition;
use suite::http::{OPENMETRICS, PROMETHEUS_2_ACCEPT, TEXT, get, gunzip};
use suite::programs::Scratch;
use suite::tls::{Ca, HttpsClient};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// An application serving a registry on a Unix socket.
struct App {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl App {
    async fn start(socket: &Path, registry: Registry) -> App {
        let config = Config::builder().unix_socket(socket).no_cache().build().unwrap();
        let server = Server::bind(registry, &config).await.expect("bind the application's socket");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            stopped.await.ok();
        }));
        App { stop: Some(stop), task: Some(task) }
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).ok();
        self.task.take().unwrap().await.unwrap().unwrap();
    }
}

/// A registry with `jobs_done_total{queue}` at `base + i` for three queues, and a `depth` gauge.
fn app_registry(base: f64, depth_kind: SpecKind) -> Registry {
    let registry = Registry::new();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let spec = MetricSpec::new("jobs_done", "Jobs done, by queue.", SpecKind::Counter).labels(["queue"]);
    let jobs = dynamic.counter(&spec).unwrap();
    for (i, queue) in ["mail", "sms", "push"].iter().enumerate() {
        jobs.get(&[queue]).inc_by(base + i as f64);
    }
    match depth_kind {
        SpecKind::Gauge => {
            dynamic.gauge(&MetricSpec::new("depth", "Queue depth.", SpecKind::Gauge)).unwrap().get(&[]).set(base);
        }
        _ => {
            dynamic
                .counter(&MetricSpec::new("depth", "Depth, as a counter.", SpecKind::Counter))
                .unwrap()
                .get(&[])
                .inc_by(base);
        }
    }
    registry
}

struct Sidecar {
    addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}

async fn sidecar(sockets: &[(&str, &PathBuf)], config: ConfigBuilder) -> Sidecar {
    let mut sidecar = SidecarConfig::default();
    sidecar.timeout_ms = 2000;
    sidecar.sources = sockets.iter().map(|(name, socket)| SourceConfig::new(*name, *socket)).collect();
    let config = config.listen("127.0.0.1:0".parse().unwrap()).no_cache().build().unwrap();
    let server = promstruct_sidecar::bind(sidecar, &config).await.expect("bind the sidecar");
    let addr = server.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run_until(async {
        stopped.await.ok();
    }));
    Sidecar { addr, stop: Some(stop) }
}

async fn scrape(addr: std::net::SocketAddr) -> Exposition {
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), OPENMETRICS);
    reply.exposition()
}

fn up(e: &Exposition, app: &str) -> Option<f64> {
    e.value("promstruct_sidecar_source_up", &[("app", app)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_union_of_two_applications_is_served_and_a_stopped_one_is_only_its_own_loss() {
    let dir = Scratch::new("sidecar-union");
    let (a_socket, b_socket) = (dir.join("a.sock"), dir.join("b.sock"));
    let a = App::start(&a_socket, app_registry(10.0, SpecKind::Gauge)).await;
    let b = App::start(&b_socket, app_registry(20.0, SpecKind::Gauge)).await;
    let side = sidecar(&[("a", &a_socket), ("b", &b_socket)], Config::builder()).await;

    let e = scrape(side.addr).await;
    for (app, base) in [("a", 10.0), ("b", 20.0)] {
        for (i, queue) in ["mail", "sms", "push"].iter().enumerate() {
            e.assert_value("jobs_done_total", &[("app", app), ("queue", queue)], base + i as f64);
        }
        e.assert_value("depth", &[("app", app)], base);
        assert_eq!(up(&e, app), Some(1.0), "{app}");
        assert_eq!(e.value("promstruct_sidecar_source_refused_families", &[("app", app)]), Some(0.0));
        let series = e.value("promstruct_sidecar_source_series", &[("app", app)]).unwrap();
        assert!(series >= 4.0, "{app}: {series} series");
        // Each application's own registry health passes through under its label.
        assert!(e.value("promstruct_series", &[("app", app)]).is_some(), "{app}");
    }
    // One family each, not one per source; the sidecar's own endpoint counters carry no source label.
    assert_eq!(e.families().iter().filter(|f| f.name == "jobs_done").count(), 1);
    assert!(e.samples_named("promstruct_http_scrapes_total").all(|s| s.label("app").is_none()));
    // The text format is as valid.
    let text = get(side.addr, "/metrics", &[]).await;
    assert_eq!(text.header("content-type"), TEXT);
    text.exposition().assert_value("jobs_done_total", &[("app", "b"), ("queue", "mail")], 20.0);

    // b stops: a is still served, b's up is 0, and the scrape is 200.
    b.stop().await;
    let e = scrape(side.addr).await;
    assert_eq!(up(&e, "b"), Some(0.0));
    assert_eq!(up(&e, "a"), Some(1.0));
    e.assert_value("jobs_done_total", &[("app", "a"), ("queue", "sms")], 11.0);
    assert!(
        e.samples().all(|s| s.label("app") != Some("b") || s.name.starts_with("promstruct_sidecar_")),
        "b's series linger"
    );
    assert_eq!(e.value("promstruct_sidecar_source_series", &[("app", "b")]), Some(0.0));

    // b comes back on the same socket: its series are served again.
    let b = App::start(&b_socket, app_registry(30.0, SpecKind::Gauge)).await;
    let e = scrape(side.addr).await;
    assert_eq!(up(&e, "b"), Some(1.0));
    e.assert_value("depth", &[("app", "b")], 30.0);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clashing_family_is_refused_and_counted_and_the_rest_served() {
    let dir = Scratch::new("sidecar-clash");
    let (a_socket, b_socket) = (dir.join("a.sock"), dir.join("b.sock"));
    let a = App::start(&a_socket, app_registry(1.0, SpecKind::Gauge)).await;
    // b's `depth` is a counter where a's is a gauge.
    let b = App::start(&b_socket, app_registry(2.0, SpecKind::Counter)).await;
    let side = sidecar(&[("a", &a_socket), ("b", &b_socket)], Config::builder()).await;
    let e = scrape(side.addr).await;
    assert_eq!(e.family("depth").map(|f| f.samples.len()), Some(1), "only a's depth");
    e.assert_value("depth", &[("app", "a")], 1.0);
    assert_eq!(e.value("promstruct_sidecar_source_refused_families", &[("app", "b")]), Some(1.0));
    assert_eq!(e.value("promstruct_sidecar_source_refused_families", &[("app", "a")]), Some(0.0));
    e.assert_value("jobs_done_total", &[("app", "b"), ("queue", "push")], 4.0);
    assert_eq!(up(&e, "b"), Some(1.0), "a refused family does not make the source down");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sidecar_serves_with_the_endpoint_s_gzip_tokens_and_tls() {
    let dir = Scratch::new("sidecar-endpoint");
    let socket = dir.join("a.sock");
    let a = App::start(&socket, app_registry(5.0, SpecKind::Gauge)).await;
    let ca = Ca::new("sidecar CA");
    let (cert, key) = ca.server(&[]).write(&dir.0, "server");
    let config = Config::builder()
        .tls(TlsConfig::from_files(cert, key))
        .token("sidecar-reader", ["metrics:read"])
        .compression(0);
    let side = sidecar(&[("a", &socket)], config).await;
    let client = HttpsClient::trusting(&ca, None);
    let refused = client.get(side.addr, "/metrics", &[]).await.unwrap();
    assert_eq!(refused.status, 401, "the token is required");
    let headers =
        [("authorization", "Bearer sidecar-reader"), ("accept-encoding", "gzip"), ("accept", PROMETHEUS_2_ACCEPT)];
    let reply = client.get(side.addr, "/metrics", &headers).await.unwrap();
    assert_eq!((reply.status, reply.header("content-encoding")), (200, "gzip"));
    let text = String::from_utf8(gunzip(&reply.body)).unwrap();
    let e = promstruct_testing::assert_valid(&text, Format::OpenMetrics);
    e.assert_value("jobs_done_total", &[("app", "a"), ("queue", "mail")], 5.0);
    assert_eq!(up(&e, "a"), Some(1.0));
    a.stop().await;
    drop(side);
    tokio::time::sleep(Duration::from_millis(10)).await;
}
