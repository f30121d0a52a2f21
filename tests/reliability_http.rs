//! Reliability of the endpoint under abuse: 10,000 abusive connections over real TCP (malformed request
//! lines, oversized heads, garbage bytes, half-closed sockets, slow-loris clients that stop mid-headers,
//! resets, wrong methods and paths), a bounded number at a time, with real scrapes among them.
//!
//! Afterwards the server is still running, every answer that came back had the right status, every
//! connection has been closed (`Server::connections` is back to 0, so slow clients were timed out rather
//! than left holding a slot), and a normal scrape is answered with a valid body.
//!
//! The TLS cases (handshake garbage, plain HTTP on the TLS port, refused client certificates, 1,000
//! aborted handshakes) are in `reliability_tls/`, against the same registry and timeouts.

mod reliability_tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use promstruct::config::Config;
use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use promstruct::http::Server;
use promstruct::{Format, Registry};
use promstruct_testing::assert_valid;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

const CONNECTIONS: usize = 10_000;
/// Abusive connections at once, slow-loris clients apart.
const CONCURRENCY: usize = 48;
/// Slow-loris clients at once: each holds a connection until the server's header timeout closes it.
const SLOW_CONCURRENCY: usize = 96;
/// The server's header timeout, short so that the slow clients do not make the test slow.
const HEADER_TIMEOUT: Duration = Duration::from_millis(300);
/// The longest any client waits for the server; reaching it fails the test.
const PATIENCE: Duration = Duration::from_secs(10);

/// What one abusive client does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Abuse {
    /// A request line that is not one.
    MalformedLine,
    /// A head over `limits.max_header_bytes`.
    OversizedHead,
    /// Random bytes, then the write side closed.
    Garbage,
    /// A whole request, then the write side closed at once: it is answered all the same.
    HalfClosedRequest,
    /// Half a head, then the write side closed.
    HalfClosedHead,
    /// Half a head, then nothing: the socket stays open until the server gives up on it.
    SlowLoris,
    /// Half a head, then a reset.
    Reset,
    /// A well-formed request the endpoint refuses: a wrong method or path.
    WrongRoute,
    /// A real scrape among the abuse.
    Scrape,
}

impl Abuse {
    fn of(i: usize) -> Abuse {
        if i % 50 == 49 {
            return Abuse::Scrape;
        }
        [
            Abuse::MalformedLine,
            Abuse::OversizedHead,
            Abuse::Garbage,
            Abuse::HalfClosedRequest,
            Abuse::HalfClosedHead,
            Abuse::SlowLoris,
            Abuse::Reset,
            Abuse::WrongRoute,
        ][i % 8]
    }

    /// The statuses an answer may carry; an empty list means no answer is allowed at all.
    fn allowed(self) -> &'static [u16] {
        match self {
            Abuse::MalformedLine => &[400],
            Abuse::OversizedHead => &[431],
            Abuse::Garbage => &[400],
            Abuse::HalfClosedRequest | Abuse::Scrape => &[200],
            Abuse::HalfClosedHead => &[400],
            Abuse::SlowLoris => &[408],
            Abuse::Reset => &[],
            Abuse::WrongRoute => &[404, 405],
        }
    }

    /// Whether an answer must come back (not only may): the client waits for it and reads it whole.
    fn must_answer(self) -> bool {
        matches!(self, Abuse::WrongRoute | Abuse::Scrape | Abuse::HalfClosedRequest)
    }
}

/// What came back on one connection.
#[derive(Debug)]
struct Outcome {
    abuse: Abuse,
    /// The status of the answer, if one came back.
    status: Option<u16>,
    /// The whole response, for a scrape.
    response: Vec<u8>,
}

/// xorshift64: random garbage, the same on every run.
fn garbage(seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let len = 1 + (next() % 600) as usize;
    (0..len).map(|_| next() as u8).collect()
}

/// Reads until the server closes the connection, a reset, or `PATIENCE` (which fails the test): a
/// server that leaves an abusive connection open is the bug this test looks for.
async fn read_until_closed(stream: &mut TcpStream, abuse: Abuse) -> Vec<u8> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "{abuse:?}: the server kept the connection open for {PATIENCE:?}");
    out
}

/// The status of a raw response, if it has a status line.
fn status_of(response: &[u8]) -> Option<u16> {
    let line = response.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let code = line.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    code.parse().ok()
}

async fn abuse(addr: SocketAddr, i: usize) -> Outcome {
    let kind = Abuse::of(i);
    let mut stream = tokio::time::timeout(PATIENCE, TcpStream::connect(addr))
        .await
        .unwrap_or_else(|_| panic!("{kind:?}: connect took over {PATIENCE:?}"))
        .unwrap_or_else(|e| panic!("{kind:?}: connect: {e}"));
    // Writes may fail once the server has refused and closed: that is an answer too.
    let response = match kind {
        Abuse::MalformedLine => {
            let lines: [&[u8]; 4] =
                [b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.1 x\r\n\r\n", b"\r\n\r\n\r\n\r\n"];
            let _ = stream.write_all(lines[i / 8 % lines.len()]).await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::OversizedHead => {
            let head = format!("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(20 * 1024));
            let _ = stream.write_all(head.as_bytes()).await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::Garbage => {
            let _ = stream.write_all(&garbage(i as u64)).await;
            let _ = stream.shutdown().await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::HalfClosedRequest => {
            let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
            let _ = stream.shutdown().await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::HalfClosedHead => {
            let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: text/pl").await;
            let _ = stream.shutdown().await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::SlowLoris => {
            let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: slow").await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::Reset => {
            let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHo").await;
            stream.set_zero_linger().unwrap();
            drop(stream);
            return Outcome { abuse: kind, status: None, response: Vec::new() };
        }
        Abuse::WrongRoute => {
            let requests: [&[u8]; 4] = [
                b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
                b"GET /%00%ff/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                b"DELETE /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                b"GET /metrics/../admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            ];
            stream.write_all(requests[i / 8 % requests.len()]).await.unwrap();
            read_until_closed(&mut stream, kind).await
        }
        Abuse::Scrape => {
            let request = b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0\r\nConnection: close\r\n\r\n";
            stream.write_all(request).await.unwrap();
            read_until_closed(&mut stream, kind).await
        }
    };
    Outcome { abuse: kind, status: status_of(&response), response }
}

/// The body of a complete HTTP/1.1 response with a `Content-Length`.
fn body_of(response: &[u8]) -> &str {
    let text = std::str::from_utf8(response).expect("a UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete head");
    let length: usize = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap()))
        .expect("a Content-Length");
    assert_eq!(body.len(), length, "a truncated body");
    body
}

fn registry() -> Registry {
    let registry = Registry::new();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let spec = MetricSpec::new("jobs_done", "Jobs done, by worker.", SpecKind::Counter).labels(["worker"]);
    let jobs = dynamic.counter(&spec).unwrap();
    for i in 0..100 {
        jobs.get(&[&format!("worker-{i}")]).inc_by(i as f64);
    }
    registry
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_abusive_connections_leave_the_server_serving() {
    let config = Config::builder()
        .listen("127.0.0.1:0".parse().unwrap())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_connections(256)
        .build()
        .unwrap();
    let server = Server::bind(registry(), &config).await.unwrap();
    let addr = server.local_addr();
    let connections = server.connections();
    let handler = server.handler().clone();
    let running = tokio::spawn(server.run_until(std::future::pending()));

    let started = Instant::now();
    let fast = Arc::new(Semaphore::new(CONCURRENCY));
    let slow = Arc::new(Semaphore::new(SLOW_CONCURRENCY));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|i| {
            let permits = if Abuse::of(i) == Abuse::SlowLoris { Arc::clone(&slow) } else { Arc::clone(&fast) };
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                abuse(addr, i).await
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(CONNECTIONS);
    for client in clients {
        outcomes.push(client.await.expect("a client panicked"));
    }
    let storm = started.elapsed();

    assert!(!running.is_finished(), "the server stopped: {:?}", running.await);

    // Every answer has the right status; the well-formed requests were all answered.
    let mut tally: BTreeMap<Abuse, BTreeMap<Option<u16>, usize>> = BTreeMap::new();
    for outcome in &outcomes {
        *tally.entry(outcome.abuse).or_default().entry(outcome.status).or_default() += 1;
        if let Some(status) = outcome.status {
            assert!(
                outcome.abuse.allowed().contains(&status),
                "{:?} got {status}: {:?}",
                outcome.abuse,
                String::from_utf8_lossy(&outcome.response[..outcome.response.len().min(200)])
            );
        } else {
            assert!(!outcome.abuse.must_answer(), "{:?} got no answer", outcome.abuse);
        }
        if outcome.abuse == Abuse::Scrape {
            let body = body_of(&outcome.response);
            assert!(body.ends_with("# EOF\n"), "a scrape among the abuse was cut short");
        }
    }
    eprintln!("{CONNECTIONS} connections in {storm:?}; outcomes by kind (status -> count): {tally:#?}");
    // The refusals were seen, so the checks above were not vacuous.
    for (kind, status) in [(Abuse::MalformedLine, 400), (Abuse::OversizedHead, 431), (Abuse::Garbage, 400)] {
        assert!(tally[&kind].get(&Some(status)).is_some_and(|n| *n > 0), "{kind:?} never got {status}: {tally:?}");
    }

    // Every connection is closed by now or soon: nothing leaked a slot.
    let deadline = Instant::now() + PATIENCE;
    while connections.open() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} connections still open {PATIENCE:?} after the storm",
            connections.open()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // And a normal scrape works and is valid (freshly encoded, to read the endpoint's counts).
    handler.invalidate();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text;version=1.0.0\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let response = read_until_closed(&mut stream, Abuse::Scrape).await;
    assert_eq!(status_of(&response), Some(200));
    let exposition = assert_valid(body_of(&response), Format::OpenMetrics);
    exposition.assert_value("jobs_done_total", &[("worker", "worker-99")], 99.0);
    let scrapes = outcomes.iter().filter(|o| o.abuse == Abuse::Scrape).count() as f64;
    let served = exposition
        .value("promstruct_http_scrapes_total", &[("format", "openmetrics"), ("encoding", "identity")])
        .unwrap();
    assert!(served >= scrapes, "{served} scrapes counted, {scrapes} made");
    assert!(!running.is_finished());
    running.abort();
}
