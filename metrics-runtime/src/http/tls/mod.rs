//! HTTPS for the endpoint (feature `tls`): `endpoint.tls` turned into a rustls acceptor.
//!
//! - `server_config.rs`: the rustls configuration (ring, TLS 1.3 and 1.2, ALPN `h2` and `http/1.1`,
//!   client certificates when `client_ca_file` is set);
//! - `pem.rs`: the certificate chain, key and CA files, with errors naming the file and the reason;
//! - `reload.rs`: the configuration current for a new connection, rebuilt when the files change;
//! - `self_signed.rs`: the certificate of `self_signed: true`;
//! - `error.rs`: [`TlsError`].
//!
//! The server (`server.rs`) calls [`Acceptor::accept`] inside each connection's task, under the same
//! connection limit and header timeout as a plain connection: a client that never finishes its handshake
//! holds one slot until the timeout, and a failed handshake ends its connection only.

mod error;
mod pem;
mod reload;
mod self_signed;
mod server_config;

use std::io;
use std::net::IpAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

pub use error::TlsError;
use reload::Reloading;

use crate::config::TlsConfig;

/// The first byte of a TLS record carrying a handshake message, which every TLS connection starts with.
const HANDSHAKE_RECORD: u8 = 0x16;

/// What plain HTTP sent to the TLS port gets back, as Go's servers answer it.
const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
Connection: close\r\nContent-Length: 57\r\n\r\nThis endpoint serves HTTPS only: scrape it with https://\n";

/// Accepts TLS connections with the configuration current when each arrives.
pub(crate) struct Acceptor {
    reloading: Reloading,
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acceptor").finish_non_exhaustive()
    }
}

/// Why a TLS connection was not set up.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The client sent plain HTTP; it was answered 400.
    PlainHttp,
    /// The handshake failed (garbage, a bad or missing client certificate, a reset).
    Handshake(io::Error),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::PlainHttp => f.write_str("plain HTTP sent to the HTTPS port; answered 400"),
            Refusal::Handshake(e) => write!(f, "TLS handshake failed: {e}"),
        }
    }
}

impl Acceptor {
    /// Reads the files of `tls` (or generates the self-signed certificate for `host`): a file that cannot be
    /// used is an error naming it.
    pub(crate) fn new(tls: &TlsConfig, host: IpAddr) -> Result<Self, TlsError> {
        Ok(Acceptor { reloading: Reloading::new(tls, host)? })
    }

    /// Performs the handshake on `stream`; answers plain HTTP with a 400 that says to use `https://`.
    ///
    /// It has no timeout of its own: the caller bounds it with the connection's header timeout.
    pub(crate) async fn accept(&self, mut stream: TcpStream) -> Result<TlsStream<TcpStream>, Refusal> {
        let mut first = [0u8; 1];
        let peeked = stream.peek(&mut first).await.map_err(Refusal::Handshake)?;
        if peeked == 1 && first[0] != HANDSHAKE_RECORD && first[0].is_ascii_uppercase() {
            answer_plain_http(&mut stream).await;
            return Err(Refusal::PlainHttp);
        }
        let acceptor = tokio_rustls::TlsAcceptor::from(self.reloading.current());
        acceptor.accept(stream).await.map_err(Refusal::Handshake)
    }
}

/// Answers 400, half-closes, and reads what the client still sends for a moment (so that its request,
/// unread, does not turn the close into a reset that loses the answer).
async fn answer_plain_http(stream: &mut TcpStream) {
    if stream.write_all(PLAIN_HTTP_ANSWER).await.is_err() || stream.shutdown().await.is_err() {
        return;
    }
    let mut sink = [0u8; 4096];
    let drain = async {
        let mut total = 0usize;
        while total < 64 * 1024 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_http_answer_has_the_length_it_says() {
        let text = std::str::from_utf8(PLAIN_HTTP_ANSWER).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("Content-Length: {}", body.len())), "{head} / {} bytes", body.len());
    }
}
