//! Workload 8, a full scrape over HTTP: a server on loopback for every library, each serving the registry
//! of [`Library::exposition`], and a keep-alive HTTP/1.1 client that scrapes one (`benches/http.rs`).
//!
//! Each library is served the way its users would serve it:
//!
//! - this project by its own server, [`promstruct::http::Server`], with its cache off (every scrape
//!   encodes) or at its default of 1 s ([`serve_ours`]);
//! - `metrics` by the HTTP listener of `metrics-exporter-prometheus` ([`serve_metrics_listener`]), which
//!   never compresses: its gzip scrapes go to the service of the peers instead;
//! - `measured`, `prometheus`, `prometheus-client` and the bare atomics ship no server: [`serve_library`]
//!   serves each with a minimal hyper 1 service that encodes on every request (through
//!   [`Library::encode`], their documented encoders) and gzips with `flate2` when the request accepts it,
//!   at the level and above the size this project's server uses.
//!
//! Every server runs on the tokio runtime it was started in, until that runtime is dropped.

use std::convert::Infallible;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use promstruct::Registry;
use promstruct::config::Config;
use promstruct::http::{Server, accepts_gzip};
use tokio::net::TcpListener;

use crate::{Format, Library};

/// The compression level of every gzip body: the one promstruct's server uses.
pub const GZIP_LEVEL: Compression = Compression::fast();

/// The name the tables give this project's server with its default cache (1 s).
pub const OURS_CACHED: &str = "promstruct, 1 s cache";

/// The path every server answers scrapes on.
pub const PATH: &str = "/metrics";

/// What a scrape asks for in `Accept-Encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `identity`: the body as encoded.
    Identity,
    /// `gzip`: the body compressed.
    Gzip,
}

impl Encoding {
    /// Both, in table order.
    pub const ALL: [Encoding; 2] = [Encoding::Identity, Encoding::Gzip];

    /// The header value, as the tables and benchmark names print it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Gzip => "gzip",
        }
    }
}

/// A multi-threaded tokio runtime for the servers: two workers (the bench machine's cores), the I/O and
/// time drivers on.
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("http-bench").enable_all().build()
}

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// Serves this project's registry of `series` series (the `#[metrics]` struct [`crate::ours::Scraped`],
/// one counter family with one open label, as [`Library::exposition`] builds it for [`crate::ours::Ours`])
/// with [`promstruct::http::Server`] and the default configuration, the cache on (1 s) or off; returns the
/// address bound.
pub async fn serve_ours(series: usize, cache: bool) -> io::Result<SocketAddr> {
    let registry = Registry::builder().total_series_limit(series + 1).self_metrics(false).build();
    let scraped = crate::ours::Scraped::default();
    let mut id = itoa::Buffer::new();
    for i in 0..series {
        scraped.requests(id.format(i)).inc();
    }
    registry.register(scraped).map_err(io::Error::other)?;
    let mut config = Config::builder().listen(loopback());
    if !cache {
        config = config.no_cache();
    }
    let server = Server::bind(registry, &config.build().map_err(io::Error::other)?).await?;
    let addr = server.local_addr();
    tokio::spawn(server.run_until(std::future::pending()));
    Ok(addr)
}

/// Serves `metrics`' registry of `series` series with the HTTP listener of `metrics-exporter-prometheus`
/// (which answers every path, renders on every request and never compresses); returns the address bound.
pub async fn serve_metrics_listener(series: usize) -> io::Result<SocketAddr> {
    // The listener binds the address it is given and does not tell which port it got for port 0: take a
    // free port and give it back.
    let addr = std::net::TcpListener::bind(loopback())?.local_addr()?;
    let (recorder, exporter) = metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .build()
        .map_err(io::Error::other)?;
    ::metrics::with_local_recorder(&recorder, || {
        ::metrics::describe_counter!("requests_total", "Requests.");
        for i in 0..series {
            ::metrics::counter!("requests_total", "id" => i.to_string()).increment(1);
        }
    });
    tokio::spawn(async move {
        let _recorder = recorder;
        let _ = exporter.await;
    });
    Ok(addr)
}

/// Serves `L`'s registry of `series` series ([`Library::exposition`]) with a minimal hyper 1 HTTP/1.1
/// service: `GET` [`PATH`] encodes the registry (in the text format 0.0.4 where the library writes it,
/// else OpenMetrics) and gzips it when the request accepts gzip; returns the address bound.
pub async fn serve_library<L: Library>(series: usize) -> io::Result<SocketAddr>
where
    L::Exposition: Send,
{
    let listener = TcpListener::bind(loopback()).await?;
    let addr = listener.local_addr()?;
    let exposition = Arc::new(Mutex::new(L::exposition(series)));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let exposition = Arc::clone(&exposition);
            let service = service_fn(move |request: Request<Incoming>| {
                let response = scrape::<L>(&exposition, &request);
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service));
        }
    });
    Ok(addr)
}

/// One scrape of `exposition`, as [`serve_library`] answers it.
fn scrape<L: Library>(exposition: &Mutex<L::Exposition>, request: &Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != PATH {
        let mut response = Response::new(Full::new(Bytes::from_static(b"not found\n")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    }
    let gzip = accepts_gzip(request.headers().get(ACCEPT_ENCODING).and_then(|v| v.to_str().ok()));
    let mut exposition = exposition.lock().unwrap_or_else(PoisonError::into_inner);
    let format = [Format::Text, Format::OpenMetrics]
        .into_iter()
        .find(|&format| L::encode(&mut exposition, format).is_some())
        .expect("every library writes some format");
    let text = L::output(&exposition);
    let gzip = gzip && text.len() >= Config::default().compression.min_size_bytes;
    let body = if gzip { compress(text) } else { Bytes::copy_from_slice(text) };
    drop(exposition);
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if gzip {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response
}

/// `text` gzipped at [`GZIP_LEVEL`].
fn compress(text: &[u8]) -> Bytes {
    let mut out = GzEncoder::new(Vec::with_capacity(text.len() / 4 + 64), GZIP_LEVEL);
    out.write_all(text).expect("writing to a Vec cannot fail");
    Bytes::from(out.finish().expect("writing to a Vec cannot fail"))
}

/// An HTTP/1.1 client on one keep-alive connection, which scrapes [`PATH`] and reads each body whole into
/// a buffer it reuses: what a scraper does, with as little work of its own as possible.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<TcpStream>,
    line: String,
    body: Vec<u8>,
    gzip: bool,
}

/// A scrape asking for the text format, the first format of every library but `prometheus-client`, which
/// writes OpenMetrics whatever it is asked.
fn request(encoding: Encoding) -> String {
    format!(
        "GET {PATH} HTTP/1.1\r\nHost: localhost\r\nAccept: text/plain;version=0.0.4\r\nAccept-Encoding: {}\r\n\r\n",
        encoding.as_str()
    )
}

impl Client {
    /// Connects to `addr`.
    pub fn connect(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Client {
            reader: BufReader::with_capacity(64 * 1024, stream),
            line: String::new(),
            body: Vec::new(),
            gzip: false,
        })
    }

    /// Scrapes once, asking for `encoding`; returns the body's length. Fails on an answer other than 200,
    /// or one without `Content-Length`.
    pub fn scrape(&mut self, encoding: Encoding) -> io::Result<usize> {
        self.reader.get_mut().write_all(request(encoding).as_bytes())?;
        self.read_line()?;
        if !self.line.starts_with("HTTP/1.1 200 ") {
            return Err(io::Error::other(format!("the server answered {}", self.line.trim_end())));
        }
        let (mut length, mut gzip) = (None, false);
        loop {
            self.read_line()?;
            let line = self.line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').ok_or_else(|| io::Error::other(format!("header {line:?}")))?;
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(value.parse::<usize>().map_err(io::Error::other)?);
            } else if name.eq_ignore_ascii_case("content-encoding") {
                gzip = value.eq_ignore_ascii_case("gzip");
            }
        }
        let length = length.ok_or_else(|| io::Error::other("an answer without Content-Length"))?;
        self.body.resize(length, 0);
        self.reader.read_exact(&mut self.body)?;
        self.gzip = gzip;
        Ok(length)
    }

    fn read_line(&mut self) -> io::Result<()> {
        self.line.clear();
        if self.reader.read_line(&mut self.line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }

    /// The body of the last scrape, as sent.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Whether the last scrape's body was gzip (`Content-Encoding: gzip`).
    pub fn gzipped(&self) -> bool {
        self.gzip
    }
}

/// Scrapes `addr` once asking for `encoding` and checks the answer: gzip if and only if asked for, and
/// (decompressed) an exposition of the family `requests` with `series` series, each counted once. Returns
/// its sample lines, sorted, to compare a server's identity and gzip answers.
pub fn check(addr: SocketAddr, encoding: Encoding, series: usize) -> Result<Vec<String>, String> {
    let mut client = Client::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    client.scrape(encoding).map_err(|e| format!("{addr}: {e}"))?;
    if client.gzipped() != (encoding == Encoding::Gzip) {
        return Err(format!("asked for {}, got gzip: {}", encoding.as_str(), client.gzipped()));
    }
    let mut text = String::new();
    if client.gzipped() {
        GzDecoder::new(client.body()).read_to_string(&mut text).map_err(|e| format!("not gzip: {e}"))?;
    } else {
        text = String::from_utf8(client.body().to_vec()).map_err(|e| format!("not UTF-8: {e}"))?;
    }
    if !text.contains("# TYPE requests") {
        return Err(format!("no TYPE line for the family in\n{}", text.get(..500).unwrap_or(&text)));
    }
    let mut samples: Vec<String> =
        text.lines().filter(|l| l.starts_with("requests_total{")).map(str::to_owned).collect();
    if samples.len() != series {
        return Err(format!("{} samples, not {series}", samples.len()));
    }
    if let Some(bad) = samples.iter().find(|l| !l.starts_with("requests_total{id=\"") || !l.ends_with("\"} 1")) {
        return Err(format!("sample {bad:?}"));
    }
    samples.sort_unstable();
    samples.dedup();
    if samples.len() != series {
        return Err(format!("{} distinct samples, not {series}", samples.len()));
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{baseline, measured, metrics, prometheus, prometheus_client};

    fn both(addr: SocketAddr, gzip: SocketAddr, series: usize) {
        let plain = check(addr, Encoding::Identity, series).unwrap();
        assert_eq!(check(gzip, Encoding::Gzip, series).unwrap(), plain);
    }

    #[test]
    fn every_server_serves_every_series_with_and_without_gzip() {
        let series = 2_000;
        let runtime = runtime().unwrap();
        let addrs = runtime.block_on(async {
            vec![
                (serve_ours(series, false).await.unwrap(), None),
                (serve_ours(series, true).await.unwrap(), None),
                (serve_library::<measured::Measured>(series).await.unwrap(), None),
                (serve_library::<prometheus::Prometheus>(series).await.unwrap(), None),
                (serve_library::<prometheus_client::PrometheusClient>(series).await.unwrap(), None),
                (serve_library::<baseline::Baseline>(series).await.unwrap(), None),
                (
                    serve_metrics_listener(series).await.unwrap(),
                    Some(serve_library::<metrics::Metrics>(series).await.unwrap()),
                ),
            ]
        });
        for (addr, gzip) in addrs {
            both(addr, gzip.unwrap_or(addr), series);
        }
        // The listener of `metrics-exporter-prometheus` does not compress.
        let listener = runtime.block_on(serve_metrics_listener(10)).unwrap();
        assert!(check(listener, Encoding::Gzip, 10).unwrap_err().contains("got gzip: false"));
    }

    #[test]
    fn a_keep_alive_client_scrapes_again() {
        let runtime = runtime().unwrap();
        let addr = runtime.block_on(serve_library::<prometheus::Prometheus>(100)).unwrap();
        let mut client = Client::connect(addr).unwrap();
        let plain = client.scrape(Encoding::Identity).unwrap();
        let gzip = client.scrape(Encoding::Gzip).unwrap();
        assert!(client.gzipped() && gzip < plain);
        assert_eq!(client.scrape(Encoding::Identity).unwrap(), plain);
        assert!(!client.gzipped());
    }
}
