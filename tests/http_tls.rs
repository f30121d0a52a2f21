//! HTTPS (`endpoint.tls`, feature `tls`) over real TCP, with certificates made at test time (rcgen): the
//! scrape is served over TLS 1.2 and 1.3 and nothing older; `self_signed: true` serves HTTPS; with
//! `client_ca_file`, a client without a certificate, with an expired one or one another CA signed is
//! refused and one the CA signed is served; a certificate rotated on disk is served from the next
//! connection while open connections go on, and a broken rotation keeps the previous certificate; a bad file
//! at start fails the bind naming the file and the reason.

use std::time::Duration;

use promstruct::Registry;
use promstruct::config::{Config, ConfigBuilder, TlsConfig};
use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use promstruct::http::{Server, TlsError};
use suite::http::{PROMETHEUS_2_ACCEPT, TestServer, raw};
use suite::programs::Scratch;
use suite::tls::{Ca, HttpsClient, Leaf, Validity};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A registry with one counter at 7.
fn registry() -> Registry {
    let registry = Registry::new();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let jobs = dynamic.counter(&MetricSpec::new("jobs_done", "Jobs done.", SpecKind::Counter)).unwrap();
    jobs.get(&[]).inc_by(7.0);
    registry
}

/// A CA, a server certificate it signed written as `server.crt`/`server.key`, and the CA as `ca.crt`.
struct Pki {
    dir: Scratch,
    ca: Ca,
    server: Leaf,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = Scratch::new(tag);
        let ca = Ca::new("test CA");
        let server = ca.server(&[]);
        server.write(&dir.0, "server");
        ca.write(&dir.0, "ca.crt");
        Pki { dir, ca, server }
    }

    fn tls(&self) -> TlsConfig {
        TlsConfig::from_files(self.dir.join("server.crt"), self.dir.join("server.key"))
    }
}

async fn scrape_value(client: &HttpsClient, server: &TestServer) -> f64 {
    let reply = client.get(server.addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await.expect("an HTTPS answer");
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.exposition().value("jobs_done_total", &[]).expect("the counter")
}

#[tokio::test]
async fn the_scrape_is_served_over_tls_1_2_and_1_3_only() {
    let pki = Pki::new("tls-versions");
    let server = TestServer::start(registry(), Config::builder().tls(pki.tls())).await;
    let client = HttpsClient::trusting(&pki.ca, None);
    assert_eq!(scrape_value(&client, &server).await, 7.0);
    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let only = client.only_version(version);
        let stream = only.connect(server.addr).await.unwrap_or_else(|e| panic!("{version:?}: {e}"));
        assert_eq!(stream.get_ref().1.protocol_version(), Some(version.version), "{version:?}");
        assert_eq!(scrape_value(&only, &server).await, 7.0, "{version:?}");
    }
    // A TLS 1.1 ClientHello (no supported_versions extension) gets an alert and nothing else.
    let answer = raw_bytes(server.addr, &tls_1_1_client_hello()).await;
    assert_eq!(answer.first(), Some(&0x15), "expected a TLS alert record, got {answer:02x?}");
    assert_eq!(answer.get(5), Some(&2), "a fatal alert: {answer:02x?}");
    // And the server is not plain HTTP any more: a scrape in clear text gets the 400 that says so.
    let plain = raw(server.addr, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(plain.starts_with("HTTP/1.1 400 "), "{plain}");
    assert!(plain.contains("https://"), "{plain}");
    assert!(!plain.contains("jobs_done"), "{plain}");
    server.stop().await;
}

/// Writes `bytes` on a new connection and reads until the server closes it (5 s at most).
async fn raw_bytes(addr: std::net::SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
    out
}

/// A minimal ClientHello of TLS 1.1: version 3.2, one cipher suite (TLS_RSA_WITH_AES_128_CBC_SHA), no
/// extensions.
fn tls_1_1_client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x02];
    body.extend([0x5a; 32]); // random
    body.push(0); // no session id
    body.extend([0x00, 0x02, 0x00, 0x2f]); // one cipher suite
    body.extend([0x01, 0x00]); // null compression
    let mut handshake = vec![0x01, 0, 0, body.len() as u8];
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01, 0, handshake.len() as u8];
    record.extend(handshake);
    record
}

#[tokio::test]
async fn self_signed_serves_https() {
    let server = TestServer::start(registry(), Config::builder().tls(TlsConfig::self_signed())).await;
    let insecure = HttpsClient::insecure();
    assert_eq!(scrape_value(&insecure, &server).await, 7.0);
    // Nobody signed it: a client that verifies refuses it.
    let verifying = HttpsClient::trusting(&Ca::new("some CA"), None);
    let err = verifying.get(server.addr, "/metrics", &[]).await.unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
    // It names localhost and 127.0.0.1, and is its own issuer.
    let der = insecure.server_certificate(server.addr).await.unwrap();
    let der = der.as_ref();
    assert!(contains(der, b"localhost"), "no localhost in the certificate");
    assert!(contains(der, &[127, 0, 0, 1]), "no 127.0.0.1 in the certificate");
    let cn = b"promstruct self-signed metrics endpoint";
    assert_eq!(count(der, cn), 2, "the subject is the issuer");
    server.stop().await;
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    count(haystack, needle) > 0
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

#[tokio::test]
async fn client_ca_file_requires_a_certificate_that_ca_signed() {
    let pki = Pki::new("tls-mtls");
    let server =
        TestServer::start(registry(), Config::builder().tls(pki.tls().client_ca_file(pki.dir.join("ca.crt")))).await;
    // Signed by the CA: served.
    let good = pki.ca.client("prometheus", Validity::Current);
    assert_eq!(scrape_value(&HttpsClient::trusting(&pki.ca, Some(&good)), &server).await, 7.0);
    // No certificate, an expired one, one of another CA: refused, whatever the client does next.
    let other = Ca::new("another CA");
    let refused = [
        ("no certificate", HttpsClient::trusting(&pki.ca, None)),
        ("an expired certificate", HttpsClient::trusting(&pki.ca, Some(&pki.ca.client("late", Validity::Expired)))),
        (
            "another CA's certificate",
            HttpsClient::trusting(&pki.ca, Some(&other.client("intruder", Validity::Current))),
        ),
    ];
    for (what, client) in &refused {
        let result = client.get(server.addr, "/metrics", &[]).await;
        assert!(result.is_err(), "{what}: served {:?}", result.map(|r| r.status));
    }
    // The probes are behind TLS too: no certificate, no answer.
    assert!(HttpsClient::trusting(&pki.ca, None).get(server.addr, "/health", &[]).await.is_err());
    assert_eq!(scrape_value(&HttpsClient::trusting(&pki.ca, Some(&good)), &server).await, 7.0);
    server.stop().await;
}

/// One `GET /metrics` on an open HTTP/1.1 connection.
async fn get_on(
    sender: &mut hyper::client::conn::http1::SendRequest<http_body_util::Empty<bytes::Bytes>>,
) -> http::StatusCode {
    let request =
        http::Request::builder().uri("/metrics").header("host", "localhost").body(Default::default()).unwrap();
    let response = sender.send_request(request).await.expect("an answer on the open connection");
    let status = response.status();
    http_body_util::BodyExt::collect(response.into_body()).await.unwrap();
    status
}

#[tokio::test]
async fn a_certificate_rotated_on_disk_is_served_from_the_next_connection() {
    let pki = Pki::new("tls-rotation");
    let tls = pki.tls().reload_interval(Duration::from_millis(50));
    let server = TestServer::start(registry(), Config::builder().tls(tls)).await;
    let client = HttpsClient::trusting(&pki.ca, None);
    assert_eq!(&client.server_certificate(server.addr).await.unwrap(), pki.server.der());

    // A connection opened before the rotation.
    let stream = client.connect(server.addr).await.unwrap();
    let (mut open, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    assert_eq!(get_on(&mut open).await, 200);

    // Rotated as Kubernetes does it: new files renamed into place.
    let rotated = pki.ca.server(&[]);
    rotated.write(&pki.dir.0, "server");
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(&client.server_certificate(server.addr).await.unwrap(), rotated.der(), "the next connection");
    assert_eq!(scrape_value(&client, &server).await, 7.0);
    assert_eq!(get_on(&mut open).await, 200, "the open connection goes on");

    // A broken rotation (a key that is not one) keeps the certificate served so far.
    let key = pki.dir.join("server.key");
    std::fs::write(&key, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n").unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(&client.server_certificate(server.addr).await.unwrap(), rotated.der(), "kept after a bad key");
    assert_eq!(scrape_value(&client, &server).await, 7.0);
    // A key of another certificate is refused too; the matching pair then loads.
    let third = pki.ca.server(&[]);
    std::fs::write(&key, &pki.server.key_pem).unwrap();
    std::fs::write(pki.dir.join("server.crt"), &third.cert_pem).unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(&client.server_certificate(server.addr).await.unwrap(), rotated.der(), "kept after a mismatch");
    third.write(&pki.dir.0, "server");
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(&client.server_certificate(server.addr).await.unwrap(), third.der(), "the pair once it matches");
    server.stop().await;
}

/// The error of binding with `tls`, as a message, and the `TlsError` inside it.
async fn bind_error(tls: TlsConfig) -> String {
    let config =
        ConfigBuilder::from(Config::default()).listen("127.0.0.1:0".parse().unwrap()).tls(tls).build().unwrap();
    let err = Server::bind(registry(), &config).await.expect_err("a bad TLS file fails the bind");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    assert!(err.get_ref().and_then(|e| e.downcast_ref::<TlsError>()).is_some(), "no TlsError in {err:?}");
    err.to_string()
}

#[tokio::test]
async fn a_bad_file_at_start_is_an_error_naming_the_file_and_the_reason() {
    let pki = Pki::new("tls-bad-files");
    let path = |name: &str| pki.dir.join(name);
    std::fs::write(path("garbage.pem"), "not PEM at all\n").unwrap();
    std::fs::write(path("other.key"), pki.ca.server(&[]).key_pem).unwrap();
    let cases = [
        (
            TlsConfig::from_files(path("missing.crt"), path("server.key")),
            "endpoint.tls.cert_file",
            "missing.crt",
            "cannot read",
        ),
        (
            TlsConfig::from_files(path("garbage.pem"), path("server.key")),
            "endpoint.tls.cert_file",
            "garbage.pem",
            "CERTIFICATE",
        ),
        (
            TlsConfig::from_files(path("server.crt"), path("server.crt")),
            "endpoint.tls.key_file",
            "server.crt",
            "no private key",
        ),
        (
            TlsConfig::from_files(path("server.crt"), path("garbage.pem")),
            "endpoint.tls.key_file",
            "garbage.pem",
            "private key",
        ),
        (TlsConfig::from_files(path("server.crt"), path("other.key")), "endpoint.tls", "", "does not match"),
        (pki.tls().client_ca_file(path("garbage.pem")), "endpoint.tls.client_ca_file", "garbage.pem", "CERTIFICATE"),
        (pki.tls().client_ca_file(path("none.crt")), "endpoint.tls.client_ca_file", "none.crt", "cannot read"),
    ];
    for (tls, key, file, reason) in cases {
        let message = bind_error(tls).await;
        for part in [key, file, reason] {
            assert!(message.contains(part), "expected {part:?} in {message:?}");
        }
    }
}
