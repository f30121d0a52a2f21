//! One collection from one source: `GET` its metrics path over its Unix socket (HTTP/1.1), asking for
//! OpenMetrics first (its `# EOF` tells a complete body from a cut one) and the text format 0.0.4 second.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE, HOST, USER_AGENT};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use promstruct::Format;
use tokio::net::UnixStream;

/// The `Accept` header sent to sources.
pub(crate) const ACCEPT_HEADER: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5";

/// Why a source gave nothing to re-expose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FetchError {
    /// Nothing accepts on the socket (the application is down or not started yet).
    Connect(String),
    /// The connection broke or the answer was not HTTP.
    Http(String),
    /// The answer came but was not 200.
    Status(u16),
    /// The answer is in neither exposition format.
    ContentType(String),
    /// The body is over `max_body_bytes`.
    TooLarge(usize),
    /// The body is not UTF-8.
    NotUtf8,
    /// No whole answer within `timeout_ms`.
    Timeout(Duration),
    /// The body breaks a rule of its format (the first violations, as the strict parser reports them).
    Invalid(String),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Connect(e) => write!(f, "cannot connect: {e}"),
            FetchError::Http(e) => write!(f, "HTTP failed: {e}"),
            FetchError::Status(code) => write!(f, "answered {code}, not 200"),
            FetchError::ContentType(ct) => write!(f, "answered Content-Type `{ct}`, which is not an exposition format"),
            FetchError::TooLarge(max) => write!(f, "sent a body over sidecar.max_body_bytes ({max} bytes)"),
            FetchError::NotUtf8 => f.write_str("sent a body that is not UTF-8"),
            FetchError::Timeout(t) => write!(f, "sent no whole answer within {t:?} (sidecar.timeout_ms)"),
            FetchError::Invalid(why) => write!(f, "sent an invalid exposition: {why}"),
        }
    }
}

/// The format a `Content-Type` names, if it is one the parser reads.
pub(crate) fn format_of(content_type: &str) -> Option<Format> {
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media.as_str() {
        "application/openmetrics-text" => Some(Format::OpenMetrics),
        "text/plain" => Some(Format::Text),
        _ => None,
    }
}

/// The exposition at `path` on `socket`, in the format it came in; bounded by `timeout` as a whole.
pub(crate) async fn fetch(
    socket: &Path,
    path: &str,
    max_body_bytes: usize,
    timeout: Duration,
) -> Result<(Format, String), FetchError> {
    tokio::time::timeout(timeout, exchange(socket, path, max_body_bytes))
        .await
        .unwrap_or(Err(FetchError::Timeout(timeout)))
}

async fn exchange(socket: &Path, path: &str, max_body_bytes: usize) -> Result<(Format, String), FetchError> {
    let stream =
        UnixStream::connect(socket).await.map_err(|e| FetchError::Connect(format!("{}: {e}", socket.display())))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| FetchError::Http(e.to_string()))?;
    let driver = tokio::spawn(connection);
    let request = http::Request::get(path)
        .header(HOST, "localhost")
        .header(ACCEPT, ACCEPT_HEADER)
        .header(ACCEPT_ENCODING, "identity")
        .header(USER_AGENT, concat!("promstruct-sidecar/", env!("CARGO_PKG_VERSION")))
        .body(Empty::<Bytes>::new())
        .map_err(|e| FetchError::Http(e.to_string()))?;
    let result = async {
        let response = sender.send_request(request).await.map_err(|e| FetchError::Http(e.to_string()))?;
        if response.status() != http::StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let format = format_of(&content_type).ok_or(FetchError::ContentType(content_type))?;
        let body = Limited::new(response.into_body(), max_body_bytes).collect().await.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                FetchError::TooLarge(max_body_bytes)
            } else {
                FetchError::Http(e.to_string())
            }
        })?;
        let text = String::from_utf8(body.to_bytes().to_vec()).map_err(|_| FetchError::NotUtf8)?;
        Ok((format, text))
    }
    .await;
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_name_their_format() {
        assert_eq!(format_of("application/openmetrics-text; version=1.0.0; charset=utf-8"), Some(Format::OpenMetrics));
        assert_eq!(format_of("text/plain; version=0.0.4"), Some(Format::Text));
        assert_eq!(format_of("application/json"), None);
    }

    #[tokio::test]
    async fn a_socket_nobody_serves_is_a_connect_error_naming_it() {
        let err =
            fetch(Path::new("/nonexistent/dir/app.sock"), "/metrics", 1024, Duration::from_secs(1)).await.unwrap_err();
        assert!(matches!(&err, FetchError::Connect(e) if e.contains("/nonexistent/dir/app.sock")), "{err}");
    }
}
