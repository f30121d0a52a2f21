//! The server: an accept loop on TCP (plain or TLS) or a Unix socket, hyper-util's auto builder (HTTP/1.1
//! and HTTP/2), a connection limit, request and header timeouts, and graceful shutdown.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use http::StatusCode;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::handler::{Handler, HttpResponse, plain};
#[cfg(feature = "tls")]
use super::tls;
#[cfg(unix)]
use super::unix;
use crate::Registry;
use crate::config::{Config, LimitsConfig};

/// Serves `registry` as `config` says until the process gets SIGTERM or Ctrl-C, then finishes in-flight
/// requests (for up to `limits.shutdown_timeout_ms`) and returns.
///
/// Returns at once if `config.enabled` is false; fails if the configuration is invalid or the address
/// cannot be bound.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use promstruct::config::Config;
/// use promstruct::Registry;
///
/// let registry = Registry::new();
/// promstruct::http::serve(registry, Config::default()).await?;
/// # Ok(()) }
/// ```
pub async fn serve(registry: Registry, config: Config) -> io::Result<()> {
    if !config.enabled {
        tracing::info!("the metrics endpoint is disabled by configuration");
        return Ok(());
    }
    Server::bind(registry, &config).await?.run().await
}

/// Resolves when the process gets SIGTERM (on Unix) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// A bound endpoint, ready to run: [`serve`] in two steps, for callers that need the address (port 0) or
/// the [`Handler`] (readiness, invalidation) before serving, or their own shutdown signal.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use promstruct::config::Config;
/// use promstruct::http::Server;
/// use promstruct::Registry;
///
/// let config = Config::builder().listen("127.0.0.1:0".parse().unwrap()).build().unwrap();
/// let server = Server::bind(Registry::new(), &config).await?;
/// println!("scrape http://{}/metrics", server.local_addr());
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let running = tokio::spawn(server.run_until(async { stopped.await.ok(); }));
/// stop.send(()).ok();
/// running.await.expect("server task")?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Server {
    listener: Listener,
    handler: Handler,
    limits: LimitsConfig,
    connections: Connections,
    #[cfg(feature = "tls")]
    tls: Option<Arc<tls::Acceptor>>,
}

/// What a server accepts connections on.
#[derive(Debug)]
enum Listener {
    Tcp(TcpListener),
    /// The listener and the socket file, removed when the listener goes.
    #[cfg(unix)]
    Unix(tokio::net::UnixListener, unix::SocketFile),
}

/// A connection accepted, before any TLS.
enum Accepted {
    Tcp(TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

impl Listener {
    async fn accept(&self) -> io::Result<Accepted> {
        match self {
            Listener::Tcp(listener) => listener.accept().await.map(|(stream, peer)| Accepted::Tcp(stream, peer)),
            #[cfg(unix)]
            Listener::Unix(listener, _) => listener.accept().await.map(|(stream, _)| Accepted::Unix(stream)),
        }
    }
}

/// Where a [`Server`] listens: a TCP address, or a Unix socket's path (`endpoint.unix_socket`).
///
/// Its `Display` is the address (`127.0.0.1:9090`) or `unix:` and the path (`unix:/run/app/metrics.sock`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListenAddr {
    /// A TCP address, with the port picked when the configuration said 0.
    Tcp(SocketAddr),
    /// The path of a Unix domain socket.
    Unix(PathBuf),
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Tcp(addr) => addr.fmt(f),
            ListenAddr::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// The number of connections a [`Server`] holds open, read while it runs: from
/// [`Server::connections`], before [`Server::run_until`] takes the server.
///
/// A connection counts from its accept until it is closed, whoever closes it (the client, an error, a
/// timeout or shutdown). Cloning shares the count.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use promstruct::config::Config;
/// use promstruct::http::Server;
/// use promstruct::Registry;
///
/// let server = Server::bind(Registry::new(), &Config::default()).await?;
/// let connections = server.connections();
/// tokio::spawn(server.run());
/// println!("{} connections open", connections.open());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Connections(Arc<AtomicUsize>);

impl Connections {
    /// Connections open now.
    pub fn open(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }

    /// Counts a connection until the guard is dropped.
    fn track(&self) -> ConnectionGuard {
        self.0.fetch_add(1, Ordering::AcqRel);
        ConnectionGuard(Arc::clone(&self.0))
    }
}

/// Uncounts its connection when dropped.
struct ConnectionGuard(Arc<AtomicUsize>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Server {
    /// Checks `config` and binds its address; a handler for `registry` is built from `config`.
    pub async fn bind(registry: Registry, config: &Config) -> io::Result<Server> {
        config.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let handler = Handler::new(registry, config);
        Self::with_handler(handler, config).await
    }

    /// Binds `config`'s address (or its Unix socket) to serve an existing handler.
    ///
    /// With `endpoint.tls` set, the certificate, key and CA files are read first (the self-signed
    /// certificate generated): a file that cannot be used fails the bind with an error of kind
    /// `InvalidInput` naming the file and the reason (a [`TlsError`](crate::http::TlsError) inside). Without
    /// the `tls` feature, `endpoint.tls` fails the bind with kind `Unsupported`.
    pub async fn with_handler(handler: Handler, config: &Config) -> io::Result<Server> {
        config.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        #[cfg(feature = "tls")]
        let tls = match &config.endpoint.tls {
            Some(settings) => Some(Arc::new(tls::Acceptor::new(settings, config.endpoint.host)?)),
            None => None,
        };
        #[cfg(not(feature = "tls"))]
        if config.endpoint.tls.is_some() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "endpoint.tls is set, but promstruct was built without its `tls` feature: enable the feature or \
                 remove endpoint.tls",
            ));
        }
        let listener = match &config.endpoint.unix_socket {
            #[cfg(unix)]
            Some(path) => {
                let (listener, file) = unix::bind(path, config.endpoint.unix_socket_mode)?;
                Listener::Unix(listener, file)
            }
            #[cfg(not(unix))]
            Some(_) => {
                return Err(io::Error::new(io::ErrorKind::Unsupported, "endpoint.unix_socket needs a Unix platform"));
            }
            None => Listener::Tcp(TcpListener::bind(config.listen_addr()).await?),
        };
        Ok(Server {
            listener,
            handler,
            limits: config.limits.clone(),
            connections: Connections::default(),
            #[cfg(feature = "tls")]
            tls,
        })
    }

    /// The TCP address bound (with the port picked when the configuration said 0).
    ///
    /// # Panics
    /// If the server listens on a Unix socket, which has no TCP address: use [`Server::listen_addr`] where
    /// the configuration may name one.
    pub fn local_addr(&self) -> SocketAddr {
        match self.listen_addr() {
            ListenAddr::Tcp(addr) => addr,
            ListenAddr::Unix(path) => {
                panic!("the server listens on the Unix socket {}, not on TCP: see Server::listen_addr", path.display())
            }
        }
    }

    /// Where the server listens: its TCP address or its Unix socket.
    pub fn listen_addr(&self) -> ListenAddr {
        match &self.listener {
            Listener::Tcp(listener) => ListenAddr::Tcp(listener.local_addr().expect("a bound listener has an address")),
            #[cfg(unix)]
            Listener::Unix(_, file) => ListenAddr::Unix(file.path().to_owned()),
        }
    }

    /// Whether the server speaks TLS (`endpoint.tls`).
    pub fn is_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// What a client reaches the server at: `http://ADDR` or `https://ADDR` on TCP, `unix:PATH` on a Unix
    /// socket. The examples print it as their first line.
    pub fn url(&self) -> String {
        match self.listen_addr() {
            ListenAddr::Tcp(addr) if self.is_tls() => format!("https://{addr}"),
            ListenAddr::Tcp(addr) => format!("http://{addr}"),
            unix => unix.to_string(),
        }
    }

    /// The handler served.
    pub fn handler(&self) -> &Handler {
        &self.handler
    }

    /// The count of open connections, which goes on counting while the server runs.
    pub fn connections(&self) -> Connections {
        self.connections.clone()
    }

    /// Serves until SIGTERM or Ctrl-C; see [`Server::run_until`].
    pub async fn run(self) -> io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `shutdown` resolves, then stops accepting, marks the handler not ready, lets in-flight
    /// requests finish (closing idle connections at once) and returns when every connection is closed or
    /// `limits.shutdown_timeout_ms` has passed.
    ///
    /// Errors accepting a connection are logged and the loop goes on; a connection's errors end that
    /// connection only.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let addr = self.listen_addr();
        let Server { listener, handler, limits, connections, .. } = self;
        #[cfg(feature = "tls")]
        let tls = self.tls;
        let header_timeout = Duration::from_millis(limits.header_read_timeout_ms);
        let request_timeout = Duration::from_millis(limits.request_timeout_ms);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout)
            // A client may close its side once it has sent its request (`nc -N`, some probes): it is still
            // answered. Without this, hyper drops the response when it sees the FIN first, and whether a
            // half-closed client gets an answer depends on how fast the scrape is.
            .half_close(true)
            .max_buf_size(limits.max_header_bytes);
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
            .max_concurrent_streams(64)
            .keep_alive_interval(header_timeout)
            .keep_alive_timeout(header_timeout);
        let builder = Arc::new(builder);
        let graceful = GracefulShutdown::new();
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        #[cfg(feature = "tls")]
        let scheme = if tls.is_some() { "https" } else { "http" };
        #[cfg(not(feature = "tls"))]
        let scheme = "http";
        tracing::info!(%addr, scheme, "serving metrics");
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
                () = &mut shutdown => break,
            };
            let accepted = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!("accept failed: {e}");
                        // Out of file descriptors or memory: give the process a moment rather than spin.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let counted = connections.track();
            let started = Arc::new(AtomicBool::new(false));
            let service =
                ConnectionService { handler: handler.clone(), started: Arc::clone(&started), request_timeout };
            let watcher = graceful.watcher();
            let builder = Arc::clone(&builder);
            #[cfg(feature = "tls")]
            let tls = tls.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let _counted = counted;
                let serve = async move {
                    match accepted {
                        #[cfg(feature = "tls")]
                        Accepted::Tcp(stream, peer) if tls.is_some() => {
                            let acceptor = tls.as_deref().expect("checked");
                            match acceptor.accept(stream).await {
                                Ok(stream) => serve_io(stream, &builder, watcher, service, &peer).await,
                                Err(refusal) => tracing::debug!(%peer, "{refusal}"),
                            }
                        }
                        Accepted::Tcp(stream, peer) => serve_io(stream, &builder, watcher, service, &peer).await,
                        #[cfg(unix)]
                        Accepted::Unix(stream) => serve_io(stream, &builder, watcher, service, &"unix socket").await,
                    }
                };
                tokio::select! {
                    () = serve => {},
                    () = no_request_within(header_timeout, started) => {
                        tracing::debug!("closed a connection that sent no request within {header_timeout:?}");
                    }
                }
            });
        }
        // Dropping the listener removes a Unix socket's file: nothing new can connect.
        drop(listener);
        handler.readiness().set_ready(false);
        let open = graceful.count();
        tracing::info!(open, "shutting down: waiting for in-flight requests");
        let grace = Duration::from_millis(limits.shutdown_timeout_ms);
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("every connection closed"),
            () = tokio::time::sleep(grace) => tracing::warn!("connections still open after {grace:?}; stopping anyway"),
        }
        Ok(())
    }
}

/// Serves HTTP on one connection, plain or TLS, TCP or Unix, until it closes or shutdown ends it.
async fn serve_io<I>(
    io: I,
    builder: &auto::Builder<TokioExecutor>,
    watcher: Watcher,
    service: ConnectionService,
    peer: &(dyn fmt::Display + Sync),
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let connection = builder.serve_connection(TokioIo::new(io), service).into_owned();
    if let Err(e) = watcher.watch(connection).await {
        tracing::debug!(%peer, "connection closed: {e}");
    }
}

/// The service of one connection: the handler, bounded by the request timeout, marking the connection as
/// having sent a request.
#[derive(Clone)]
struct ConnectionService {
    handler: Handler,
    started: Arc<AtomicBool>,
    request_timeout: Duration,
}

impl hyper::service::Service<http::Request<Incoming>> for ConnectionService {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Infallible>> + Send>>;

    fn call(&self, request: http::Request<Incoming>) -> Self::Future {
        self.started.store(true, Ordering::Release);
        let timeout = self.request_timeout;
        let response = tokio::time::timeout(timeout, self.handler.handle(request));
        Box::pin(async move {
            Ok(response.await.unwrap_or_else(|_| {
                tracing::warn!("request timed out after {timeout:?}");
                plain(StatusCode::SERVICE_UNAVAILABLE, "request timed out\n")
            }))
        })
    }
}

/// Resolves after `timeout` if no request has started on the connection by then, and never otherwise:
/// a client that connects and sends nothing (or too little to be parsed) is dropped, whatever the protocol
/// detection or the header timer of the connection is doing.
async fn no_request_within(timeout: Duration, started: Arc<AtomicBool>) {
    tokio::time::sleep(timeout).await;
    if started.load(Ordering::Acquire) {
        std::future::pending::<()>().await;
    }
}
