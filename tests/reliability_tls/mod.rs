//! The TLS cases of `reliability_http`: a mutual-TLS server (certificates made at test time) under abuse
//! over real TCP: handshake garbage, plain HTTP on the TLS port, clients without a certificate, with an
//! expired one or one another CA signed, and 1,000 aborted handshakes (a ClientHello cut short then a
//! reset or a close, a complete one abandoned mid-handshake, a stalled one), a bounded number at a time,
//! with real scrapes among them. Afterwards the server still serves, every connection is closed
//! (`Server::connections` is back to 0) and a scrape with a good certificate is valid.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use promstruct::Format;
use promstruct::config::{Config, TlsConfig};
use promstruct::http::Server;
use promstruct_testing::assert_valid;
use suite::programs::Scratch;
use suite::tls::{Ca, HttpsClient, Validity, client_hello};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use super::{HEADER_TIMEOUT, PATIENCE, garbage, registry, status_of};

/// Aborted handshakes.
const ABORTED: usize = 1_000;
/// Garbage and plain HTTP connections, after the aborted handshakes.
const OTHERS: usize = 200;
/// Connections at once.
const CONCURRENCY: usize = 48;

/// What one client does to the TLS port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Abuse {
    /// Random bytes that start like a TLS record, then the write side closed.
    Garbage,
    /// A plain HTTP request: answered 400.
    PlainHttp,
    /// A ClientHello cut short, then a reset.
    CutAndReset,
    /// A ClientHello cut short, then the write side closed.
    CutAndClosed,
    /// A whole ClientHello, the server's first flight read, then a reset.
    AbandonedMidway,
    /// A ClientHello cut short, then nothing: the server gives up at its header timeout.
    Stalled,
    /// A real scrape among the abuse, with a good client certificate.
    Scrape,
}

impl Abuse {
    /// Every 25th connection is a scrape; of the others, the first `ABORTED` abort their handshakes in
    /// turn, the next `OTHERS` send garbage or plain HTTP.
    fn of(i: usize) -> Abuse {
        if i % 25 == 24 {
            return Abuse::Scrape;
        }
        let j = i - i / 25;
        if j < ABORTED {
            [Abuse::CutAndReset, Abuse::CutAndClosed, Abuse::AbandonedMidway, Abuse::Stalled][j % 4]
        } else {
            [Abuse::Garbage, Abuse::PlainHttp][j % 2]
        }
    }

    /// The number of connections that holds `ABORTED + OTHERS` abusive ones.
    fn total() -> usize {
        (0..).find(|n| n - n / 25 >= ABORTED + OTHERS).expect("a finite count")
    }
}

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

/// What came back: an HTTP status, or that the server closed without one.
async fn abuse(addr: SocketAddr, i: usize, hello: &[u8], good: &HttpsClient) -> (Abuse, Option<u16>) {
    let kind = Abuse::of(i);
    if kind == Abuse::Scrape {
        let reply = good.get(addr, "/metrics", &[]).await.unwrap_or_else(|e| panic!("a scrape among the abuse: {e}"));
        return (kind, Some(reply.status));
    }
    let mut stream = tokio::time::timeout(PATIENCE, TcpStream::connect(addr))
        .await
        .unwrap_or_else(|_| panic!("{kind:?}: connect took over {PATIENCE:?}"))
        .unwrap_or_else(|e| panic!("{kind:?}: connect: {e}"));
    let cut = &hello[..1 + i % (hello.len() - 1)];
    let response = match kind {
        Abuse::Garbage => {
            let mut bytes = garbage(i as u64);
            bytes[0] = 0x16;
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::PlainHttp => {
            let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::CutAndReset => {
            let _ = stream.write_all(cut).await;
            stream.set_zero_linger().unwrap();
            return (kind, None);
        }
        Abuse::CutAndClosed => {
            let _ = stream.write_all(cut).await;
            let _ = stream.shutdown().await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::AbandonedMidway => {
            let _ = stream.write_all(hello).await;
            let mut first = [0u8; 512];
            let _ = tokio::time::timeout(PATIENCE, stream.read(&mut first)).await;
            stream.set_zero_linger().unwrap();
            return (kind, None);
        }
        Abuse::Stalled => {
            let _ = stream.write_all(cut).await;
            read_until_closed(&mut stream, kind).await
        }
        Abuse::Scrape => unreachable!("answered above"),
    };
    (kind, status_of(&response))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_abuse_and_a_thousand_aborted_handshakes_leave_the_server_serving() {
    let dir = Scratch::new("reliability-tls");
    let ca = Ca::new("reliability CA");
    let (cert, key) = ca.server(&[]).write(&dir.0, "server");
    let ca_file = ca.write(&dir.0, "ca.crt");
    let config = Config::builder()
        .listen("127.0.0.1:0".parse().unwrap())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_connections(256)
        .tls(TlsConfig::from_files(cert, key).client_ca_file(ca_file))
        .build()
        .unwrap();
    let server = Server::bind(registry(), &config).await.unwrap();
    let addr = server.local_addr();
    let connections = server.connections();
    let handler = server.handler().clone();
    let running = tokio::spawn(server.run_until(std::future::pending()));
    let good = HttpsClient::trusting(&ca, Some(&ca.client("prometheus", Validity::Current)));

    // Clients the server must refuse at the handshake, and still answer the next one.
    let other = Ca::new("another CA");
    for (what, client) in [
        ("no certificate", HttpsClient::trusting(&ca, None)),
        ("an expired certificate", HttpsClient::trusting(&ca, Some(&ca.client("late", Validity::Expired)))),
        ("another CA's certificate", HttpsClient::trusting(&ca, Some(&other.client("intruder", Validity::Current)))),
    ] {
        for _ in 0..20 {
            let result = client.get(addr, "/metrics", &[]).await;
            assert!(result.is_err(), "{what}: served {:?}", result.map(|r| r.status));
        }
        assert_eq!(good.get(addr, "/metrics", &[]).await.expect("a good client after a refused one").status, 200);
    }

    let hello = Arc::new(client_hello());
    let total = Abuse::total();
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let clients: Vec<_> = (0..total)
        .map(|i| {
            let (permits, hello, good) = (Arc::clone(&permits), Arc::clone(&hello), good.clone());
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.unwrap();
                abuse(addr, i, &hello, &good).await
            })
        })
        .collect();
    let mut tally: BTreeMap<Abuse, BTreeMap<Option<u16>, usize>> = BTreeMap::new();
    for client in clients {
        let (kind, status) = client.await.expect("a client panicked");
        *tally.entry(kind).or_default().entry(status).or_default() += 1;
        let allowed: &[Option<u16>] = match kind {
            Abuse::PlainHttp => &[Some(400)],
            Abuse::Scrape => &[Some(200)],
            _ => &[None],
        };
        assert!(allowed.contains(&status), "{kind:?} got {status:?}");
    }
    eprintln!("{total} TLS connections in {:?}; outcomes (status -> count): {tally:#?}", started.elapsed());
    let aborted: usize = [Abuse::CutAndReset, Abuse::CutAndClosed, Abuse::AbandonedMidway, Abuse::Stalled]
        .iter()
        .map(|k| tally[k].values().sum::<usize>())
        .sum();
    assert!(aborted >= ABORTED, "only {aborted} aborted handshakes");
    assert!(!running.is_finished(), "the server stopped: {:?}", running.await);

    // Every connection is closed by now or soon, the stalled ones by the header timeout.
    let deadline = Instant::now() + PATIENCE;
    while connections.open() > 0 {
        assert!(
            Instant::now() < deadline,
            "{} connections still open {PATIENCE:?} after the storm",
            connections.open()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // And a scrape with a good certificate is answered with a valid body.
    handler.invalidate();
    let reply = good.get(addr, "/metrics", &[("accept", "application/openmetrics-text;version=1.0.0")]).await.unwrap();
    assert_eq!(reply.status, 200);
    let exposition = assert_valid(&reply.text(), Format::OpenMetrics);
    exposition.assert_value("jobs_done_total", &[("worker", "worker-99")], 99.0);
    let scrapes = tally[&Abuse::Scrape].values().sum::<usize>() as f64;
    let served =
        exposition.value("promstruct_http_scrapes_total", &[("format", "text"), ("encoding", "identity")]).unwrap();
    assert!(served >= scrapes, "{served} scrapes counted, {scrapes} made");
    running.abort();
}
