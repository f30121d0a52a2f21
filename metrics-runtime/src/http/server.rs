//! The server: an accept loop on hyper-util's auto builder (HTTP/1.1 and HTTP/2), a connection limit,
//! request and header timeouts, and graceful shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use http::StatusCode;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::handler::{Handler, plain};
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
    listener: TcpListener,
    handler: Handler,
    limits: LimitsConfig,
    connections: Connections,
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

    /// Binds `config`'s address to serve an existing handler.
    pub async fn with_handler(handler: Handler, config: &Config) -> io::Result<Server> {
        config.validate().map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let listener = TcpListener::bind(config.listen_addr()).await?;
        Ok(Server { listener, handler, limits: config.limits.clone(), connections: Connections::default() })
    }

    /// The address bound (with the port picked when the configuration said 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
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
        let Server { listener, handler, limits, connections } = self;
        let addr = listener.local_addr()?;
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
        let graceful = GracefulShutdown::new();
        let permits = Arc::new(Semaphore::new(limits.max_connections));
        tracing::info!(%addr, "serving metrics");
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
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
            let service = {
                let handler = handler.clone();
                let started = Arc::clone(&started);
                service_fn(move |request: http::Request<Incoming>| {
                    started.store(true, Ordering::Release);
                    let response = tokio::time::timeout(request_timeout, handler.handle(request));
                    async move {
                        Ok::<_, Infallible>(response.await.unwrap_or_else(|_| {
                            tracing::warn!("request timed out after {request_timeout:?}");
                            plain(StatusCode::SERVICE_UNAVAILABLE, "request timed out\n")
                        }))
                    }
                })
            };
            let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service).into_owned());
            tokio::spawn(async move {
                let _permit = permit;
                let _counted = counted;
                tokio::select! {
                    result = connection => if let Err(e) = result {
                        tracing::debug!(%peer, "connection closed: {e}");
                    },
                    () = no_request_within(header_timeout, started) => {
                        tracing::debug!(%peer, "closed a connection that sent no request within {header_timeout:?}");
                    }
                }
            });
        }
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

/// Resolves after `timeout` if no request has started on the connection by then, and never otherwise:
/// a client that connects and sends nothing (or too little to be parsed) is dropped, whatever the protocol
/// detection or the header timer of the connection is doing.
async fn no_request_within(timeout: Duration, started: Arc<AtomicBool>) {
    tokio::time::sleep(timeout).await;
    if started.load(Ordering::Acquire) {
        std::future::pending::<()>().await;
    }
}
