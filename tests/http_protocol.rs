//! The endpoint as an HTTP server, over real TCP: routes (404, 405 with `Allow`, a configured path), the
//! probes and `Readiness`, refusals of bad requests (431, 400), the request timeout, graceful shutdown
//! with a scrape in flight. The `scrape` tracing span is `tests/http_tracing.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use promstruct::config::Config;
use promstruct::encoding::Number;
use promstruct::http::Server;
use promstruct::{Collect, Descriptor, Encoder, Format, MetricType, Registry};
use promstruct_testing::assert_valid;
use suite::http::{OPENMETRICS, PROMETHEUS_2_ACCEPT, TestServer, get, raw, request};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A gauge of value 1 whose collection waits at a gate that the test opens, counting the collections
/// that began.
struct Gated {
    desc: Descriptor,
    collections: AtomicUsize,
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gated {
    fn closed() -> Arc<Gated> {
        Arc::new(Gated {
            desc: Descriptor::new("gated_value", MetricType::Gauge, "Collected once the test opens the gate.").unwrap(),
            collections: AtomicUsize::new(0),
            open: Mutex::new(false),
            opened: Condvar::new(),
        })
    }

    fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.opened.notify_all();
    }

    /// Waits (at most 10 s) until a collection has begun.
    async fn entered(&self) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while self.collections.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("a collection begins within 10 s");
    }
}

impl Collect for Gated {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&self.desc);
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        self.collections.fetch_add(1, Ordering::SeqCst);
        drop(self.opened.wait_while(self.open.lock().unwrap(), |open| !*open).unwrap());
        enc.family(&self.desc).gauge(&(), Number::I64(1));
    }
}

/// The status line of a raw response.
fn status_line(response: &str) -> &str {
    response.split("\r\n").next().unwrap_or("")
}

#[tokio::test]
async fn unknown_paths_are_404_and_other_methods_405_with_allow() {
    let server = TestServer::start(Registry::new(), Config::builder()).await;
    for path in ["/", "/metric", "/metrics/", "/metrics/extra", "/healthz", "/METRICS"] {
        for method in ["GET", "POST"] {
            let reply = request(server.addr, method, path, &[]).await;
            assert_eq!(reply.status, 404, "{method} {path}");
            assert_eq!(reply.header("allow"), "", "{method} {path}");
        }
    }
    // A query string does not change the route.
    assert_eq!(get(server.addr, "/metrics?debug=1", &[]).await.status, 200);
    for path in ["/metrics", "/health", "/ready"] {
        for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
            let reply = request(server.addr, method, path, &[]).await;
            assert_eq!(reply.status, 405, "{method} {path}");
            assert_eq!(reply.header("allow"), "GET, HEAD", "{method} {path}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn the_scrape_path_follows_the_configuration() {
    let server = TestServer::start(Registry::new(), Config::builder().path("/internal/prom")).await;
    let reply = get(server.addr, "/internal/prom", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), OPENMETRICS);
    assert_eq!(get(server.addr, "/metrics", &[]).await.status, 404);
    assert_eq!(get(server.addr, "/health", &[]).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn health_and_ready_follow_readiness() {
    let server = TestServer::start(Registry::new(), Config::builder()).await;
    let health = get(server.addr, "/health", &[]).await;
    assert_eq!((health.status, health.text().as_str()), (200, "ok\n"));
    let ready = get(server.addr, "/ready", &[]).await;
    assert_eq!((ready.status, ready.text().as_str()), (200, "ready\n"));

    let readiness = server.handler.readiness().clone();
    readiness.set_ready(false);
    let ready = get(server.addr, "/ready", &[]).await;
    assert_eq!((ready.status, ready.text().as_str()), (503, "not ready\n"));
    // Only readiness changes: the process is alive and still serves its metrics.
    assert_eq!(get(server.addr, "/health", &[]).await.status, 200);
    assert_eq!(get(server.addr, "/metrics", &[]).await.status, 200);

    readiness.set_ready(true);
    assert_eq!(get(server.addr, "/ready", &[]).await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn oversized_heads_are_431() {
    // The smallest limit the configuration allows; a header of twice that is refused, one of half passes.
    let server = TestServer::start(Registry::new(), Config::builder().max_header_bytes(8192)).await;
    let big = format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(16 * 1024));
    assert!(status_line(&raw(server.addr, big.as_bytes()).await).starts_with("HTTP/1.1 431 "));
    let padding = "b".repeat(4096);
    let reply = get(server.addr, "/metrics", &[("x-padding", &padding)]).await;
    assert_eq!(reply.status, 200);

    // Many small headers add up the same way.
    let many: String = (0..1000).map(|i| format!("X-H{i}: {i:020}\r\n")).collect();
    let request = format!("GET /metrics HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    assert!(status_line(&raw(server.addr, request.as_bytes()).await).starts_with("HTTP/1.1 431 "));
    server.stop().await;
}

#[tokio::test]
async fn malformed_requests_are_400() {
    let server = TestServer::start(Registry::new(), Config::builder()).await;
    for bad in [
        &b"GARBAGE\r\n\r\n"[..],
        b"GET\r\n\r\n",
        b"GET /metrics\r\n\r\n",
        b"GET /metrics HTTP/1.1 extra\r\n\r\n",
        b"G\x00T /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nBad Header: x\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\n: no name\r\n\r\n",
        b"GET /metrics HTTP/1.1\r\nHost x\r\n\r\n",
        b"GET /me\x7ftrics HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello\r\n\r\n",
    ] {
        let response = raw(server.addr, bad).await;
        assert!(
            status_line(&response).starts_with("HTTP/1.1 400 "),
            "{:?} got {:?}",
            String::from_utf8_lossy(bad),
            status_line(&response)
        );
    }
    // The server is unharmed.
    assert_eq!(get(server.addr, "/metrics", &[]).await.status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_slower_than_the_request_timeout_is_503() {
    let gated = Gated::closed();
    let registry = Registry::new();
    registry.register(Arc::clone(&gated)).unwrap();
    let config = Config::builder().request_timeout(Duration::from_millis(200));
    let server = TestServer::start(registry, config).await;
    let reply = get(server.addr, "/metrics", &[]).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.text(), "request timed out\n");
    gated.open();
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_scrape_in_flight_then_refuses_connections() {
    let gated = Gated::closed();
    let registry = Registry::new();
    registry.register(Arc::clone(&gated)).unwrap();
    let config = Config::builder().listen("127.0.0.1:0".parse().unwrap()).build().unwrap();
    let server = Server::bind(registry, &config).await.unwrap();
    let addr = server.local_addr();
    let readiness = server.handler().readiness().clone();
    let connections = server.connections();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        stopped.await.ok();
    }));

    // A scrape in flight: its collection holds at the gate. An idle keep-alive connection beside it.
    let scrape = tokio::spawn(get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]));
    gated.entered().await;
    let idle = TcpStream::connect(addr).await.unwrap();
    assert!(readiness.is_ready());

    stop.send(()).unwrap();
    // The listener closes at once: new connections are refused while the scrape is still held.
    tokio::time::timeout(Duration::from_secs(10), async {
        while TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("new connections are refused within 10 s of shutdown");
    assert!(!readiness.is_ready(), "shutting down marks the handler not ready");
    assert!(!running.is_finished(), "the server waits for the scrape in flight");

    gated.open();
    let reply = scrape.await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), OPENMETRICS);
    assert_valid(&reply.text(), Format::OpenMetrics).assert_value("gated_value", &[], 1.0);

    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the server returns once the scrape is done")
        .unwrap()
        .unwrap();
    drop(idle);
    assert!(TcpStream::connect(addr).await.is_err());
    tokio::time::timeout(Duration::from_secs(10), async {
        while connections.open() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("every connection closed");
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let config =
        Config::builder().listen("127.0.0.1:0".parse().unwrap()).header_read_timeout(Duration::from_millis(200));
    let server = Server::bind(Registry::new(), &config.build().unwrap()).await.unwrap();
    let addr = server.local_addr();
    let connections = server.connections();
    let task = tokio::spawn(server.run_until(std::future::pending()));
    // Nothing at all, and half a request line: both are closed by the server.
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /metr").await.unwrap();
    for stream in [TcpStream::connect(addr).await.unwrap(), half] {
        let mut stream = stream;
        let mut out = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut out));
        read.await.expect("the server closes the connection").unwrap();
    }
    tokio::time::timeout(Duration::from_secs(10), async {
        while connections.open() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("every connection closed");
    task.abort();
}
