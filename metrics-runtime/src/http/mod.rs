//! The HTTP exposition endpoint: `/metrics` (path configurable), `/health` and `/ready`, on hyper 1 and
//! tokio.
//!
//! - **Negotiation**: the format follows the request's `Accept` header with its q-values (OpenMetrics
//!   1.0.0 for Prometheus 2.x and 3.x, the text format 0.0.4 by default, 1.0.0 when asked), and the
//!   escaping of UTF-8 names its `escaping=` parameter (`underscores` by default), which the
//!   `Content-Type` of text 1.0.0 and OpenMetrics names; see [`negotiate_format`].
//! - **Compression**: gzip when `Accept-Encoding` allows it and the body is at least
//!   `compression.min_size_bytes`, with `Vary: Accept, Accept-Encoding`.
//! - **Cache**: the serialized body of each format and encoding (and escaping scheme, once a name needs
//!   one) is reused for `cache.ttl_ms`; concurrent scrapes of a stale cache encode once;
//!   [`Handler::invalidate`] drops it.
//! - **Authentication**: bearer tokens with scopes; the scrape path needs `metrics:read`. 401 with
//!   `WWW-Authenticate` for a missing or unknown token, 403 for a token without the scope.
//! - **Rate limit**: 429 with `Retry-After` past `rate_limit.requests_per_second`.
//! - **TLS** (feature `tls`): with `endpoint.tls`, HTTPS only, TLS 1.2 and 1.3 (rustls), client
//!   certificates when `client_ca_file` is set, certificates re-read when their files change, or a
//!   self-signed one generated at start. Plain HTTP sent to the HTTPS port is answered 400; a handshake is
//!   bounded by the header timeout and the connection limit like any other slow client.
//! - **Unix sockets**: with `endpoint.unix_socket`, the same handler on a socket file instead of a TCP
//!   port, with the file's permissions configured; a stale file is replaced.
//! - **Limits**: header size (431), header and request timeouts, a connection limit; a slow or malformed
//!   client holds only its own connection, and not for long; [`Server::connections`] counts the open ones.
//!   A client that closes its side after sending a request is still answered.
//! - **Tracing**: a `scrape` span per scrape, with the format, escaping scheme, gzip, series, body bytes
//!   and cache use.
//! - **Shutdown**: [`serve`] stops on SIGTERM or Ctrl-C and finishes in-flight scrapes.
//!
//! [`serve`] is the whole server; [`Server`] splits it in bind and run; [`Handler`] mounts in an existing
//! hyper, axum or tower service.

mod auth;
mod cache;
mod handler;
mod negotiate;
mod rate_limit;
mod server;
mod stats;
#[cfg(feature = "tls")]
mod tls;
#[cfg(unix)]
mod unix;

pub use handler::{Handler, HttpResponse, Readiness, ResponseFuture};
pub use negotiate::{Negotiated, accepts_gzip, negotiate_format};
pub use server::{Connections, ListenAddr, Server, serve, shutdown_signal};
#[cfg(feature = "tls")]
pub use tls::TlsError;
