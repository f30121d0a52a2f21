//! The request handler: routes, authentication, the rate limit, negotiation and the cached scrape.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http::header::{
    ACCEPT, ACCEPT_ENCODING, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue,
    RETRY_AFTER, VARY, WWW_AUTHENTICATE,
};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::Full;
use tracing::Instrument;

use super::auth::{Tokens, Verdict};
use super::cache::ScrapeCache;
use super::negotiate::{Negotiated, accepts_gzip, negotiate_format};
use super::rate_limit::{RateLimiter, retry_after_secs};
use super::stats::{HttpStats, Rejection};
use crate::config::{Config, SCOPE_METRICS_READ};
use crate::encoding::Exposition;
use crate::{Format, Registry};

/// The response type of the handler: a complete body, which hyper, axum and tower all send as is.
pub type HttpResponse = Response<Full<Bytes>>;

/// The future of [`Handler::handle`]: `Send` and `'static`, whatever the request's body type.
pub type ResponseFuture = Pin<Box<dyn Future<Output = HttpResponse> + Send>>;

const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// Whether the application is ready for traffic, as `/ready` reports it (200 or 503).
///
/// Cloning shares the flag. The handler starts ready; the server marks it not ready when it begins to
/// shut down, so load balancers stop sending traffic while in-flight scrapes finish.
#[derive(Debug, Clone)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// A flag starting at `ready`.
    pub fn new(ready: bool) -> Self {
        Readiness(Arc::new(AtomicBool::new(ready)))
    }

    /// Sets the flag.
    pub fn set_ready(&self, ready: bool) {
        self.0.store(ready, Ordering::Release);
    }

    /// Reads the flag.
    pub fn is_ready(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The endpoint's handler: `GET`/`HEAD` on the scrape path, `/health` and `/ready`; 404 and 405 elsewhere.
///
/// It is cheap to clone (all clones share the cache, the rate limit and the readiness flag) and mounts in
/// any server: it is a hyper [`Service`](hyper::service::Service), and [`Handler::handle`] is an async
/// function of a request of any body type, which is all axum or tower need.
///
/// ```no_run
/// use promstruct::config::Config;
/// use promstruct::http::Handler;
/// use promstruct::Registry;
///
/// # async fn demo(request: http::Request<()>) {
/// let handler = Handler::new(Registry::new(), &Config::default());
/// let response = handler.handle(request).await;
/// # }
/// ```
#[derive(Clone)]
pub struct Handler {
    inner: Arc<Inner>,
}

struct Inner {
    path: String,
    cache: Arc<ScrapeCache>,
    auth: Option<Tokens>,
    rate: Option<RateLimiter>,
    readiness: Readiness,
    stats: Arc<HttpStats>,
}

impl fmt::Debug for Handler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handler")
            .field("path", &self.inner.path)
            .field("auth", &self.inner.auth.is_some())
            .field("rate_limit", &self.inner.rate.is_some())
            .field("ready", &self.inner.readiness.is_ready())
            .finish_non_exhaustive()
    }
}

/// Where a request goes.
enum Route {
    Metrics,
    Health,
    Ready,
}

impl Handler {
    /// A handler serving `registry` with `config`'s path, cache, compression, tokens and rate limit.
    ///
    /// It registers its own counters (`promstruct_http_*`: scrapes by format and encoding, encodings,
    /// refusals) in `registry`, unless another handler already did.
    pub fn new(registry: Registry, config: &Config) -> Self {
        let stats = Arc::new(HttpStats::new());
        if let Err(e) = registry.register(Arc::clone(&stats)) {
            tracing::debug!("the handler's own metrics are not exposed: {e}");
        }
        let gzip_min = config.compression.enabled.then_some(config.compression.min_size_bytes);
        let cache = ScrapeCache::new(registry, config.cache_ttl(), gzip_min, Arc::clone(&stats));
        Handler {
            inner: Arc::new(Inner {
                path: config.endpoint.path.clone(),
                cache: Arc::new(cache),
                auth: Tokens::from_config(&config.auth),
                rate: RateLimiter::from_config(&config.rate_limit),
                readiness: Readiness::new(true),
                stats,
            }),
        }
    }

    /// The registry served.
    pub fn registry(&self) -> &Registry {
        self.inner.cache.registry()
    }

    /// The readiness flag `/ready` reports.
    pub fn readiness(&self) -> &Readiness {
        &self.inner.readiness
    }

    /// Drops every cached scrape: the next scrape encodes the registry again.
    pub fn invalidate(&self) {
        self.inner.cache.invalidate();
    }

    /// How many times this handler has encoded the registry in `format` (scrapes served from the cache do
    /// not count).
    pub fn encodes(&self, format: Format) -> u64 {
        self.inner.stats.encodes_of(format)
    }

    /// Answers a request. The request's body is never read.
    pub fn handle<B>(&self, request: Request<B>) -> ResponseFuture {
        let this = self.clone();
        let method = request.method().clone();
        let route = match request.uri().path() {
            p if p == self.inner.path => Some(Route::Metrics),
            "/health" => Some(Route::Health),
            "/ready" => Some(Route::Ready),
            _ => None,
        };
        let (parts, _body) = request.into_parts();
        let headers = parts.headers;
        Box::pin(async move {
            let Some(route) = route else { return plain(StatusCode::NOT_FOUND, "not found\n") };
            if method != Method::GET && method != Method::HEAD {
                let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
                response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
                return response;
            }
            match route {
                Route::Health => plain(StatusCode::OK, "ok\n"),
                Route::Ready if this.inner.readiness.is_ready() => plain(StatusCode::OK, "ready\n"),
                Route::Ready => plain(StatusCode::SERVICE_UNAVAILABLE, "not ready\n"),
                Route::Metrics => this.scrape(&headers).await,
            }
        })
    }

    async fn scrape(&self, headers: &HeaderMap) -> HttpResponse {
        let inner = &*self.inner;
        if let Some(tokens) = &inner.auth {
            let verdict = tokens.check(headers.get(AUTHORIZATION).map(HeaderValue::as_bytes));
            let (status, challenge, rejection) = match verdict {
                Verdict::Allowed => (None, "", Rejection::Unauthorized),
                Verdict::Missing => (Some(StatusCode::UNAUTHORIZED), "", Rejection::Unauthorized),
                Verdict::Unknown => {
                    (Some(StatusCode::UNAUTHORIZED), r#", error="invalid_token""#, Rejection::Unauthorized)
                }
                Verdict::MissingScope => (
                    Some(StatusCode::FORBIDDEN),
                    r#", error="insufficient_scope", scope="metrics:read""#,
                    Rejection::Forbidden,
                ),
            };
            if let Some(status) = status {
                inner.stats.rejected(rejection);
                tracing::debug!(status = status.as_u16(), "scrape refused: {verdict:?}");
                let body = if status == StatusCode::FORBIDDEN {
                    format!("the token lacks the scope {SCOPE_METRICS_READ}\n")
                } else {
                    "a bearer token is required\n".to_owned()
                };
                let mut response = plain(status, body);
                let challenge = format!(r#"Bearer realm="metrics"{challenge}"#);
                response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::try_from(challenge).expect("ASCII"));
                return response;
            }
        }
        if let Some(limiter) = &inner.rate
            && let Err(wait) = limiter.try_acquire()
        {
            inner.stats.rejected(Rejection::RateLimited);
            let mut response = plain(StatusCode::TOO_MANY_REQUESTS, "too many scrapes\n");
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after_secs(wait)));
            return response;
        }
        let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        let exposition = match negotiate_format(text(ACCEPT)) {
            Negotiated::Serve(exposition) => exposition,
            Negotiated::NotAcceptable => {
                return plain(
                    StatusCode::NOT_ACCEPTABLE,
                    format!(
                        "serves {}, {} or {}\n",
                        Format::Text.content_type(),
                        Exposition::new(Format::OpenMetrics).content_type(),
                        Format::Protobuf.content_type()
                    ),
                );
            }
        };
        let format = exposition.format();
        let gzip = accepts_gzip(text(ACCEPT_ENCODING));
        let span = tracing::info_span!(
            "scrape",
            format = format_name(format),
            escaping = exposition.escaping().as_str(),
            gzip = tracing::field::Empty,
            series = tracing::field::Empty,
            bytes = tracing::field::Empty,
            cached = tracing::field::Empty,
        );
        let cache = Arc::clone(&inner.cache);
        let result = async move { cache.get(exposition, gzip).await }.instrument(span.clone()).await;
        match result {
            Ok((body, cached)) => {
                span.record("gzip", body.gzip);
                span.record("series", body.series);
                span.record("bytes", body.bytes.len());
                span.record("cached", cached);
                tracing::debug!(parent: &span, "scrape served");
                inner.stats.scraped(format, body.gzip);
                let mut response = Response::new(Full::new(body.bytes));
                let h = response.headers_mut();
                h.insert(CONTENT_TYPE, HeaderValue::from_static(exposition.content_type()));
                h.insert(VARY, HeaderValue::from_static("Accept, Accept-Encoding"));
                h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
                if body.gzip {
                    h.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                }
                response
            }
            Err(e) => {
                tracing::error!(parent: &span, "scrape failed: {e}");
                plain(StatusCode::INTERNAL_SERVER_ERROR, format!("scrape failed: {e}\n"))
            }
        }
    }
}

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::OpenMetrics => "openmetrics",
        Format::Protobuf => "protobuf",
    }
}

/// A short plain-text response.
pub(crate) fn plain(status: StatusCode, body: impl Into<Bytes>) -> HttpResponse {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
    response
}

impl<B> hyper::service::Service<Request<B>> for Handler {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Infallible>> + Send>>;

    fn call(&self, request: Request<B>) -> Self::Future {
        let response = self.handle(request);
        Box::pin(async move { Ok(response.await) })
    }
}
