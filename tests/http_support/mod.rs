//! Helpers of the HTTP tests: a server on a free loopback port, a plain HTTP/1.1 client, raw TCP, and a
//! small reader of exposition samples.
#![allow(dead_code)]

use std::collections::BTreeMap;
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
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The Accept header of Prometheus 2.42.
pub(crate) const PROMETHEUS_2_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// The Accept header of Prometheus 3.x.
pub(crate) const PROMETHEUS_3_ACCEPT: &str = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// The Accept header of Prometheus 2.42 with `--enable-feature=native-histograms`.
pub(crate) const PROMETHEUS_NATIVE_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

pub(crate) const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub(crate) const TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A server on a free loopback port, stopped by [`TestServer::stop`] (or aborted when dropped).
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    pub(crate) handler: Handler,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl TestServer {
    /// Serves `registry` with `config` (its address replaced by 127.0.0.1:0).
    pub(crate) async fn start(registry: Registry, config: ConfigBuilder) -> TestServer {
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
    pub(crate) fn begin_stop(&mut self) -> JoinHandle<io::Result<()>> {
        self.stop.take().expect("stopped once").send(()).ok();
        self.task.take().expect("stopped once")
    }

    /// Shuts down and waits (at most 10 s) for the server to return.
    pub(crate) async fn stop(mut self) {
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
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// A header's value as text ("" when absent).
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

/// Sends one request on a new HTTP/1.1 connection (bounded to 10 s) with `headers`, nothing else.
pub(crate) async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
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

/// `GET path` with `headers`.
pub(crate) async fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(addr, "GET", path, headers).await
}

/// Writes `raw` on a new connection and reads until the server closes it or 5 s pass.
pub(crate) async fn raw(addr: SocketAddr, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(raw).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// gunzips a body.
pub(crate) fn gunzip(body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body).read_to_end(&mut out).expect("a valid gzip body");
    out
}

/// A series: the sample name and its labels, sorted.
pub(crate) type SeriesKey = (String, BTreeMap<String, String>);

/// The samples of an exposition (either format), by series.
pub(crate) fn samples(text: &str) -> BTreeMap<SeriesKey, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (name, rest) = match line.find(['{', ' ']) {
            Some(i) => line.split_at(i),
            None => panic!("bad sample line {line:?}"),
        };
        let mut labels = BTreeMap::new();
        let mut rest = rest;
        if let Some(body) = rest.strip_prefix('{') {
            let mut chars = body.char_indices();
            let mut key = String::new();
            loop {
                let (i, c) = chars.next().expect("unterminated labels");
                match c {
                    '}' => {
                        rest = &body[i + 1..];
                        break;
                    }
                    ',' => {}
                    '=' => {
                        assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
                        let mut value = String::new();
                        loop {
                            match chars.next().expect("unterminated value").1 {
                                '\\' => match chars.next().expect("escape").1 {
                                    'n' => value.push('\n'),
                                    c => value.push(c),
                                },
                                '"' => break,
                                c => value.push(c),
                            }
                        }
                        labels.insert(std::mem::take(&mut key), value);
                    }
                    c => key.push(c),
                }
            }
        }
        let value = rest.split_whitespace().next().expect("a value");
        let value = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|e| panic!("bad value in {line:?}: {e}")),
        };
        out.insert((name.to_owned(), labels), value);
    }
    out
}

/// The value of one sample, given as `name{a="b",...}` exactly as exposed.
pub(crate) fn value_of(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
}

/// Building the examples and running them, and other programs, as child processes of a test.
pub(crate) mod programs {
    use std::io::{BufRead, BufReader};
    use std::net::{SocketAddr, TcpListener};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    /// A child process, killed when dropped.
    pub(crate) struct Running {
        pub(crate) child: Child,
    }

    impl Running {
        /// Whether the process has exited already.
        pub(crate) fn exited(&mut self) -> bool {
            matches!(self.child.try_wait(), Ok(Some(_)))
        }
    }

    impl Drop for Running {
        fn drop(&mut self) {
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }

    /// A fresh temporary directory, removed when dropped.
    pub(crate) struct Scratch(pub(crate) PathBuf);

    impl Scratch {
        /// A new directory named after `tag` and this process.
        pub(crate) fn new(tag: &str) -> Scratch {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
            let dir = std::env::temp_dir().join(format!("metrics-{tag}-{}-{nanos}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        /// A path inside the directory.
        pub(crate) fn join(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Builds example `name` with the cargo running this test, into this test's target directory and
    /// profile, and returns the binary.
    pub(crate) fn build_example(name: &str) -> PathBuf {
        let exe = std::env::current_exe().unwrap();
        let profile_dir = exe.parent().and_then(Path::parent).expect("the test runs from <target>/<profile>/deps");
        let target_dir = profile_dir.parent().unwrap();
        let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
            "debug" => "dev",
            other => other,
        };
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", name, "--profile", profile, "--target-dir"])
            .arg(target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build --example {name} failed");
        let binary = profile_dir.join("examples").join(name);
        assert!(binary.exists(), "{} was not built", binary.display());
        binary
    }

    /// Starts `binary` with `args` (at `RUST_LOG=warn`, its stderr to `stderr`) and returns the process and
    /// the lines of its stdout as they come (read for as long as it runs).
    pub(crate) fn spawn_reading_lines(
        binary: &Path,
        args: &[&str],
        stderr: Stdio,
    ) -> (Running, mpsc::Receiver<String>) {
        let mut child = Command::new(binary)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Read on once nobody listens, so that the program never blocks on a full pipe.
                let _ = tx.send(line);
            }
        });
        (Running { child }, rx)
    }

    /// The address of the first line in `lines` that holds `http://ADDR`, waiting at most 30 s; `None` if
    /// none came by then.
    pub(crate) fn first_address(lines: &mpsc::Receiver<String>) -> Option<SocketAddr> {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let line = lines.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())).ok()?;
            if let Some((_, rest)) = line.split_once("http://") {
                let addr: String = rest.chars().take_while(|c| *c != '/' && !c.is_whitespace()).collect();
                return Some(addr.parse().unwrap_or_else(|e| panic!("bad address {addr:?}: {e}")));
            }
        }
    }

    /// Starts `binary` with `args` and waits (at most 30 s) for the first line on its stdout that holds
    /// `http://ADDR`, returning the process and that address.
    pub(crate) fn start_serving(binary: &Path, args: &[&str]) -> (Running, SocketAddr) {
        let (running, lines) = spawn_reading_lines(binary, args, Stdio::inherit());
        let addr = first_address(&lines)
            .unwrap_or_else(|| panic!("{} printed no http:// address within 30 s", binary.display()));
        (running, addr)
    }

    /// A loopback port free a moment ago.
    pub(crate) fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    }

    /// Fails the test, saying how to install it, unless `program --version` runs.
    pub(crate) fn require_program(program: &str, package: &str) {
        let found = Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
        assert!(
            found.is_ok_and(|s| s.success()),
            "`{program}` is not installed: run bash scripts/install-tools (it installs Debian's {package} package)"
        );
    }

    /// Polls `check` every 200 ms until it returns `Some` or `timeout` passes.
    pub(crate) async fn poll<T, F: Future<Output = Option<T>>>(
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> F,
    ) -> T {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(std::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Percent-encodes a query parameter.
    pub(crate) fn encode_query(query: &str) -> String {
        let mut out = String::new();
        for b in query.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
}

/// Sends one request with a body on a new HTTP/1.1 connection (bounded to 10 s).
pub(crate) async fn request_with_body(
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
