//! TLS for the tests: certificates made at test time with rcgen (a CA, server and client certificates,
//! expired ones, written as PEM files), and an HTTPS client that trusts one CA or nothing at all and may
//! present a client certificate.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use time::OffsetDateTime;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::http::Reply;

/// How long a certificate is valid, from now.
#[derive(Debug, Clone, Copy)]
pub enum Validity {
    /// From a day ago to a year from now.
    Current,
    /// From ten days ago to yesterday.
    Expired,
}

impl Validity {
    fn apply(self, params: &mut CertificateParams) {
        let now = OffsetDateTime::now_utc();
        let day = time::Duration::days(1);
        let (from, to) = match self {
            Validity::Current => (now - day, now + day * 365),
            Validity::Expired => (now - day * 10, now - day),
        };
        params.not_before = from;
        params.not_after = to;
    }
}

/// A certificate authority made for one test.
#[derive(Debug)]
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, signed by a [`Ca`].
#[derive(Debug)]
pub struct Leaf {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The private key, PEM (PKCS#8).
    pub key_pem: String,
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

fn distinguished(name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn
}

impl Ca {
    /// A new CA whose certificate names `name`.
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = distinguished(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        Validity::Current.apply(&mut params);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    /// The CA's certificate, PEM.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A server certificate for `localhost` and 127.0.0.1 (and `extra` names).
    pub fn server(&self, extra: &[&str]) -> Leaf {
        let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        names.extend(extra.iter().map(|n| (*n).to_owned()));
        self.leaf(names, "metrics server", ExtendedKeyUsagePurpose::ServerAuth, Validity::Current)
    }

    /// A client certificate naming `name`, valid as `validity` says.
    pub fn client(&self, name: &str, validity: Validity) -> Leaf {
        self.leaf(Vec::new(), name, ExtendedKeyUsagePurpose::ClientAuth, validity)
    }

    fn leaf(&self, names: Vec<String>, cn: &str, usage: ExtendedKeyUsagePurpose, validity: Validity) -> Leaf {
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name = distinguished(cn);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        validity.apply(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }

    /// Writes the CA's certificate to `dir/name` and returns the path.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.pem()).unwrap();
        path
    }
}

impl Leaf {
    /// Writes `dir/<stem>.crt` and `dir/<stem>.key` and returns their paths. Each file is written under a
    /// temporary name and renamed into place, as Kubernetes swaps a secret's files.
    pub fn write(&self, dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
        let place = |ext: &str, text: &str| {
            let path = dir.join(format!("{stem}.{ext}"));
            let temporary = dir.join(format!(".{stem}.{ext}.tmp"));
            std::fs::write(&temporary, text).unwrap();
            std::fs::rename(&temporary, &path).unwrap();
            path
        };
        (place("crt", &self.cert_pem), place("key", &self.key_pem))
    }

    /// The certificate, DER.
    pub fn der(&self) -> &CertificateDer<'static> {
        &self.der
    }
}

/// An HTTPS client: HTTP/1.1 over rustls (ring), one connection per request.
#[derive(Debug, Clone)]
pub struct HttpsClient {
    config: Arc<ClientConfig>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn builder() -> rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier> {
    ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions().unwrap()
}

impl HttpsClient {
    /// A client that trusts the certificates `ca` signed, and presents `identity` if given.
    pub fn trusting(ca: &Ca, identity: Option<&Leaf>) -> HttpsClient {
        let mut roots = RootCertStore::empty();
        roots.add(ca.issuer.der().clone()).unwrap();
        let builder = builder().with_root_certificates(roots);
        let config = match identity {
            Some(leaf) => builder.with_client_auth_cert(vec![leaf.der.clone()], leaf.key()).unwrap(),
            None => builder.with_no_client_auth(),
        };
        HttpsClient { config: Arc::new(config) }
    }

    /// A client that accepts any server certificate (a self-signed one), as Prometheus's
    /// `insecure_skip_verify` does.
    pub fn insecure() -> HttpsClient {
        let config =
            builder().dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnything)).with_no_client_auth();
        HttpsClient { config: Arc::new(config) }
    }

    /// A client of the same trust offering only TLS `version` (to check which versions a server takes).
    pub fn only_version(&self, version: &'static rustls::SupportedProtocolVersion) -> HttpsClient {
        let config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[version])
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnything))
            .with_no_client_auth();
        HttpsClient { config: Arc::new(config) }
    }

    /// Connects and completes the handshake (for TLS 1.3, as far as the client sees it: a refused client
    /// certificate shows on the first read).
    pub async fn connect(&self, addr: SocketAddr) -> io::Result<TlsStream<TcpStream>> {
        let stream = TcpStream::connect(addr).await?;
        let name = ServerName::try_from("localhost").unwrap();
        TlsConnector::from(Arc::clone(&self.config)).connect(name, stream).await
    }

    /// The certificate the server presents.
    pub async fn server_certificate(&self, addr: SocketAddr) -> io::Result<CertificateDer<'static>> {
        let stream = self.connect(addr).await?;
        let (_, connection) = stream.get_ref();
        Ok(connection.peer_certificates().and_then(|c| c.first()).expect("a server certificate").clone().into_owned())
    }

    /// `GET path` with `headers` on a new connection, bounded to 10 s; an error if the handshake or the
    /// request fails (a refused client certificate, an untrusted server).
    pub async fn get(&self, addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> io::Result<Reply> {
        let exchange = async {
            let stream = self.connect(addr).await?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(io::Error::other)?;
            tokio::spawn(conn);
            let mut req = http::Request::builder().uri(path).header("host", addr.to_string());
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            let response =
                sender.send_request(req.body(Empty::<Bytes>::new()).unwrap()).await.map_err(io::Error::other)?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(io::Error::other)?.to_bytes().to_vec();
            Ok(Reply { status: parts.status.as_u16(), headers: parts.headers, body })
        };
        tokio::time::timeout(Duration::from_secs(10), exchange)
            .await
            .unwrap_or_else(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "no answer within 10 s")))
    }
}

impl Leaf {
    fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }
}

/// Accepts every server certificate.
#[derive(Debug)]
struct AcceptAnything;

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &provider().signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &provider().signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        provider().signature_verification_algorithms.supported_schemes()
    }
}

/// The first bytes a TLS client sends: a real ClientHello, for tests that cut it short.
pub fn client_hello() -> Vec<u8> {
    let config = HttpsClient::insecure().config;
    let mut connection = rustls::ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap();
    let mut out = Vec::new();
    connection.write_tls(&mut out).unwrap();
    out
}
