//! The HTTP side of the tests: a server on a free loopback port, a plain HTTP/1.1 client (over TCP or a
//! Unix socket), raw TCP, the Accept headers real scrapers send, and the exposition a response carries, read by the strict parser.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use promstruct::Registry;
use promstruct::config::ConfigBuilder;
use promstruct::http::{Handler, Server};
use promstruct_testing::Exposition;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::exposition::{format_of, parse_body_strictly};

/// The Accept header of Prometheus 2.42.
pub const PROMETHEUS_2_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// The Accept header of Prometheus 3.x.
pub const PROMETHEUS_3_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// The Accept header of Prometheus 2.42 with `--enable-feature=native-histograms`.
pub const PROMETHEUS_NATIVE_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// The `Content-Type` of an OpenMetrics 1.0 response to a scraper that names no escaping scheme
/// (Prometheus 2): `underscores`, which OpenMetrics 1.0.0 must name.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores";
/// The `Content-Type` of an OpenMetrics 1.0 response with UTF-8 names allowed (Prometheus 3).
pub const OPENMETRICS_UTF8: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8";
/// The `Content-Type` of a text format 1.0.0 response with UTF-8 names allowed.
pub const TEXT_1_0_0_UTF8: &str = "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8";
/// The `Content-Type` of a text format 0.0.4 response.
pub const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";
/// The `Content-Type` of a protobuf response.
pub const PROTOBUF: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
/// The Accept header of Prometheus 3.x with `scrape_native_histograms: true` (protobuf first).
pub const PROMETHEUS_3_NATIVE_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";

/// A server on a free loopback port, stopped by [`TestServer::stop`] (or aborted when dropped).
#[derive(Debug)]
pub struct TestServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The server's handler: its cache, its readiness, its encode counts.
    pub handler: Handler,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl TestServer {
    /// Serves `registry` with `config` (its address replaced by 127.0.0.1:0).
    pub async fn start(registry: Registry, config: ConfigBuilder) -> TestServer {
        let config = config.listen("127.0.0.1:0".parse().unwrap()).build().expect("valid test config");
        let server = Server::bind(registry, &config).await.expect("bind a loopback port");
        let addr = server.local_addr();
        let handler = server.handler().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            stopped.await.ok();
        }));
        TestServer { addr, handler, stop: Some(stop), task: Some(task) }
    }

    /// Signals shutdown and returns the join handle of the serving task.
    pub fn begin_stop(&mut self) -> JoinHandle<io::Result<()>> {
        self.stop.take().expect("stopped once").send(()).ok();
        self.task.take().expect("stopped once")
    }

    /// Shuts down and waits (at most 10 s) for the server to return.
    pub async fn stop(mut self) {
        let task = self.begin_stop();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the server stops within 10 s")
            .expect("the server task does not panic")
            .expect("the server returns Ok");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A response, its body read whole.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as sent (gzipped when `Content-Encoding: gzip`).
    pub body: Vec<u8>,
}

impl Reply {
    /// A header's value as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    /// The exposition in the body, gunzipped when `Content-Encoding: gzip`, read by the strict parser in
    /// the format its `Content-Type` names; panics, listing the violations, unless it breaks no rule of that
    /// format (warnings allowed: the body may come from another program than ours).
    pub fn exposition(&self) -> Exposition {
        let body = match self.header("content-encoding") {
            "gzip" => gunzip(&self.body),
            "" | "identity" => self.body.clone(),
            other => panic!("an exposition in Content-Encoding {other:?}"),
        };
        parse_body_strictly(&body, format_of(self.header("content-type")))
    }
}

/// Sends one request on a new HTTP/1.1 connection (bounded to 10 s) with `headers`, nothing else.
pub async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    tokio::time::timeout(Duration::from_secs(10), async {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
        tokio::spawn(conn);
        let mut req = http::Request::builder().method(method).uri(path).header("host", addr.to_string());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let response = sender.send_request(req.body(Empty::<Bytes>::new()).unwrap()).await.expect("a response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body").to_bytes().to_vec();
        Reply { status: parts.status.as_u16(), headers: parts.headers, body }
    })
    .await
    .expect("a response within 10 s")
}

/// `GET path` with `headers` on a new HTTP/1.1 connection to the Unix socket `socket` (bounded to 10 s);
/// an error if nothing accepts on the socket.
#[cfg(unix)]
pub async fn get_unix(socket: &std::path::Path, path: &str, headers: &[(&str, &str)]) -> io::Result<Reply> {
    let exchange = async {
        let stream = tokio::net::UnixStream::connect(socket).await?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(io::Error::other)?;
        tokio::spawn(conn);
        let mut req = http::Request::builder().uri(path).header("host", "localhost");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let response = sender.send_request(req.body(Empty::<Bytes>::new()).unwrap()).await.map_err(io::Error::other)?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(io::Error::other)?.to_bytes().to_vec();
        Ok(Reply { status: parts.status.as_u16(), headers: parts.headers, body })
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "no answer within 10 s")))
}

/// `GET path` with `headers`.
pub async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(addr, "GET", path, headers).await
}

/// Writes `raw` on a new connection and reads until the server closes it or 5 s pass.
pub async fn raw(addr: SocketAddr, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(raw).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Decompresses a gzipped body.
pub fn gunzip(body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body).read_to_end(&mut out).expect("a valid gzip body");
    out
}

/// Sends one request with a body on a new HTTP/1.1 connection (bounded to 10 s).
pub async fn request_with_body(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Reply {
    tokio::time::timeout(Duration::from_secs(10), async {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
        tokio::spawn(conn);
        let mut req = http::Request::builder().method(method).uri(path).header("host", addr.to_string());
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let body = http_body_util::Full::new(Bytes::from(body.to_owned()));
        let response = sender.send_request(req.body(body).unwrap()).await.expect("a response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body").to_bytes().to_vec();
        Reply { status: parts.status.as_u16(), headers: parts.headers, body }
    })
    .await
    .expect("a response within 10 s")
}
