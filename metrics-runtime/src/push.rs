//! Pushing to a Prometheus Pushgateway, for batch jobs that end before Prometheus could scrape them.
//!
//! A job's metrics live in the Pushgateway under a group: the job name and optional grouping labels
//! (`/metrics/job/<job>/<label>/<value>...`). [`Pushgateway::push`] replaces the whole group (`PUT`),
//! [`Pushgateway::push_add`] replaces only the families it sends (`POST`), [`Pushgateway::delete`] drops
//! the group (`DELETE`). The body is the registry's exposition in the Prometheus protobuf format, which
//! carries everything the registry holds (native histograms included) and which the Pushgateway reads
//! since its first releases; [`Pushgateway::format`] switches to the text format 0.0.4.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use promstruct::push::Pushgateway;
//! use promstruct::Registry;
//!
//! let registry = Registry::builder().self_metrics(false).build();
//! // ... register and update the job's metrics ...
//! Pushgateway::new("http://127.0.0.1:9091", "nightly_backup")?
//!     .grouping("instance", "db-1")?
//!     .push(&registry)
//!     .await?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::{Format, Registry};

/// Why a push failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PushError {
    /// The gateway URL is not `http://host[:port][/prefix]`.
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A job name or grouping label is invalid.
    InvalidGrouping {
        /// What is wrong.
        reason: String,
    },
    /// The registry could not be encoded.
    Encode(crate::EncodeError),
    /// The connection or the exchange failed.
    Io(std::io::Error),
    /// HTTP failed below the status line.
    Http(hyper::Error),
    /// No answer within the timeout.
    Timeout(Duration),
    /// A format the Pushgateway does not read (OpenMetrics): it takes protobuf or the text format 0.0.4.
    UnsupportedFormat(Format),
    /// The gateway answered with an error status.
    Status {
        /// The status.
        status: StatusCode,
        /// The start of the body, which says why.
        body: String,
    },
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::InvalidUrl { url, reason } => write!(f, "invalid Pushgateway URL `{url}`: {reason}"),
            PushError::InvalidGrouping { reason } => write!(f, "invalid grouping: {reason}"),
            PushError::Encode(e) => write!(f, "cannot encode the registry: {e}"),
            PushError::Io(e) => write!(f, "cannot reach the Pushgateway: {e}"),
            PushError::Http(e) => write!(f, "HTTP exchange with the Pushgateway failed: {e}"),
            PushError::Timeout(d) => write!(f, "the Pushgateway did not answer within {d:?}"),
            PushError::UnsupportedFormat(format) => write!(
                f,
                "the Pushgateway does not read {format:?}: push in Format::Protobuf (the default) or Format::Text"
            ),
            PushError::Status { status, body } => write!(f, "the Pushgateway answered {status}: {body}"),
        }
    }
}

impl std::error::Error for PushError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PushError::Encode(e) => Some(e),
            PushError::Io(e) => Some(e),
            PushError::Http(e) => Some(e),
            _ => None,
        }
    }
}

/// A Pushgateway group: where a job's metrics go.
#[derive(Debug, Clone)]
pub struct Pushgateway {
    authority: String,
    prefix: String,
    job: String,
    grouping: Vec<(String, String)>,
    timeout: Duration,
    bearer: Option<String>,
    format: Format,
}

impl Pushgateway {
    /// The group of `job` on the gateway at `url` (`http://host:port`, optionally with a path prefix).
    pub fn new(url: &str, job: &str) -> Result<Self, PushError> {
        let invalid = |reason| PushError::InvalidUrl { url: url.to_owned(), reason };
        let uri: Uri = url.parse().map_err(|_| invalid("not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(_) => return Err(invalid("only http:// is supported; put TLS in a sidecar or proxy")),
            None => return Err(invalid("the scheme is missing: write http://host:port")),
        }
        let authority = uri.authority().ok_or_else(|| invalid("the host is missing"))?.to_string();
        if uri.query().is_some() {
            return Err(invalid("a query string has no meaning here"));
        }
        if job.is_empty() {
            return Err(PushError::InvalidGrouping { reason: "the job name is empty".to_owned() });
        }
        Ok(Pushgateway {
            authority,
            prefix: uri.path().trim_end_matches('/').to_owned(),
            job: job.to_owned(),
            grouping: Vec::new(),
            timeout: Duration::from_secs(10),
            bearer: None,
            format: Format::Protobuf,
        })
    }

    /// Adds a grouping label: the group is `job` plus every grouping label.
    pub fn grouping(mut self, name: &str, value: &str) -> Result<Self, PushError> {
        promstruct_naming::check_label_name(name, promstruct_naming::MetricType::Gauge)
            .map_err(|e| PushError::InvalidGrouping { reason: e.to_string() })?;
        if name == "job" || self.grouping.iter().any(|(n, _)| n == name) {
            return Err(PushError::InvalidGrouping { reason: format!("the label `{name}` is given twice") });
        }
        self.grouping.push((name.to_owned(), value.to_owned()));
        Ok(self)
    }

    /// How long to wait for the gateway (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The format of the pushed body: [`Format::Protobuf`] (the default) or [`Format::Text`] (0.0.4, for a
    /// gateway behind something that reads text only). OpenMetrics is refused: the Pushgateway would read
    /// it as 0.0.4 and reject what differs.
    pub fn format(mut self, format: Format) -> Result<Self, PushError> {
        if format == Format::OpenMetrics {
            return Err(PushError::UnsupportedFormat(format));
        }
        self.format = format;
        Ok(self)
    }

    /// Sends `Authorization: Bearer <token>` with every request.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(token.into());
        self
    }

    /// The path of the group: `/metrics/job/<job>/<label>/<value>...`, values that hold `/` or are empty
    /// in the gateway's base64 form.
    pub fn path(&self) -> String {
        let mut path = format!("{}/metrics", self.prefix);
        for (name, value) in std::iter::once(("job", self.job.as_str()))
            .chain(self.grouping.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        {
            if value.is_empty() || value.contains('/') || needs_escape(value) {
                path.push_str(&format!("/{name}@base64/{}", base64url(value.as_bytes())));
            } else {
                path.push_str(&format!("/{name}/{value}"));
            }
        }
        path
    }

    /// Replaces every metric of the group with the registry's (`PUT`).
    pub async fn push(&self, registry: &Registry) -> Result<(), PushError> {
        self.send(Method::PUT, Some(registry)).await
    }

    /// Replaces the group's metrics of the families the registry holds, keeping the others (`POST`).
    pub async fn push_add(&self, registry: &Registry) -> Result<(), PushError> {
        self.send(Method::POST, Some(registry)).await
    }

    /// Deletes the group (`DELETE`).
    pub async fn delete(&self) -> Result<(), PushError> {
        self.send(Method::DELETE, None).await
    }

    async fn send(&self, method: Method, registry: Option<&Registry>) -> Result<(), PushError> {
        let mut body = Vec::new();
        if let Some(registry) = registry {
            registry.encode(self.format, &mut body).map_err(PushError::Encode)?;
        }
        let mut request = Request::builder()
            .method(method)
            .uri(self.path())
            .header(http::header::HOST, &self.authority)
            .header(http::header::CONTENT_TYPE, self.format.content_type())
            .header(http::header::USER_AGENT, concat!("promstruct/", env!("CARGO_PKG_VERSION")));
        if let Some(token) = &self.bearer {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = request.body(Full::new(Bytes::from(body))).map_err(|_| PushError::InvalidGrouping {
            reason: "the job or a grouping value does not fit in a URL".to_owned(),
        })?;
        let exchange = async {
            let stream = TcpStream::connect(&self.authority).await.map_err(PushError::Io)?;
            let (mut sender, connection) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(PushError::Http)?;
            let connection = tokio::spawn(connection);
            let response = sender.send_request(request).await.map_err(PushError::Http)?;
            let status = response.status();
            let body = response.into_body().collect().await.map_err(PushError::Http)?.to_bytes();
            connection.abort();
            if status.is_success() {
                Ok(())
            } else {
                let body = String::from_utf8_lossy(&body[..body.len().min(512)]).trim().to_owned();
                Err(PushError::Status { status, body })
            }
        };
        tokio::time::timeout(self.timeout, exchange).await.map_err(|_| PushError::Timeout(self.timeout))?
    }
}

/// Whether a path segment value needs more than plain bytes: anything outside the unreserved set.
fn needs_escape(value: &str) -> bool {
    !value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// RFC 4648 base64 with the URL-safe alphabet and padding, as the Pushgateway reads it.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    if bytes.is_empty() {
        out.push('=');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc4648() {
        assert_eq!(base64url(b""), "=");
        assert_eq!(base64url(b"f"), "Zg==");
        assert_eq!(base64url(b"fo"), "Zm8=");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg==");
        assert_eq!(base64url(b"/var/tmp"), "L3Zhci90bXA=");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8=");
    }

    #[test]
    fn group_paths() {
        let g = Pushgateway::new("http://127.0.0.1:9091", "backup").unwrap();
        assert_eq!(g.path(), "/metrics/job/backup");
        let g = g.grouping("instance", "db-1").unwrap().grouping("path", "/var/tmp").unwrap();
        assert_eq!(g.path(), "/metrics/job/backup/instance/db-1/path@base64/L3Zhci90bXA=");
        let g = Pushgateway::new("http://gw:9091/prefix/", "a b").unwrap().grouping("empty", "").unwrap();
        assert_eq!(g.path(), "/prefix/metrics/job@base64/YSBi/empty@base64/=");
    }

    #[test]
    fn bad_urls_and_groupings_are_refused() {
        assert!(matches!(Pushgateway::new("https://gw:9091", "j"), Err(PushError::InvalidUrl { .. })));
        assert!(matches!(Pushgateway::new("gw:9091", "j"), Err(PushError::InvalidUrl { .. })));
        assert!(matches!(Pushgateway::new("http://gw:9091", ""), Err(PushError::InvalidGrouping { .. })));
        let g = Pushgateway::new("http://gw:9091", "j").unwrap();
        assert!(g.clone().grouping("Bad-Name", "x").is_err());
        assert!(g.clone().grouping("job", "x").is_err());
        assert!(g.clone().grouping("a", "1").unwrap().grouping("a", "2").is_err());
        let refused = g.clone().format(Format::OpenMetrics).unwrap_err();
        assert!(matches!(refused, PushError::UnsupportedFormat(Format::OpenMetrics)), "{refused}");
        assert!(refused.to_string().contains("Format::Protobuf"), "{refused}");
        assert_eq!(g.clone().format, Format::Protobuf, "protobuf by default");
        assert_eq!(g.format(Format::Text).unwrap().format, Format::Text);
    }
}
