//! The support library of the workspace's integration tests (`suite`), one module a concern:
//!
//! - [`validators`]: the external validators, `promtool check metrics` and Python's `prometheus_client`;
//! - [`exposition`]: expositions read by the strict parser of `promstruct-testing` (a response's format
//!   from its `Content-Type`, samples by series), never by splitting lines;
//! - [`http`]: a server on a free loopback port, a plain HTTP/1.1 client, raw TCP, real scrapers' Accept
//!   headers;
//! - [`programs`]: the examples and other programs (Prometheus, the Pushgateway) as child processes;
//! - [`prometheus`]: a real Prometheus server, started on a scrape configuration and queried;
//! - [`tls`]: certificates made at test time (rcgen) and an HTTPS client.
//! - [`protoc`]: `protoc --decode`, the independent decoder of the protobuf format, and its output read.

pub mod exposition;
pub mod http;
pub mod programs;
pub mod prometheus;
pub mod protoc;
pub mod tls;
pub mod validators;
