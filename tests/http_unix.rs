//! The endpoint on a Unix domain socket (`endpoint.unix_socket`): the same handler as on TCP (formats,
//! gzip, tokens, probes) with no TCP port, the socket file created with its configured permissions, a
//! stale file left by a dead process replaced, a socket another server holds refused, a file that is not a
//! socket left alone, and the file removed when the server stops.
#![cfg(unix)]

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::time::Duration;

use promstruct::config::{Config, ConfigBuilder};
use promstruct::dynamic::{DynamicMetrics, MetricSpec, SpecKind};
use promstruct::http::{ListenAddr, Server};
use promstruct::{Format, Registry};
use promstruct_testing::assert_valid;
use suite::http::{OPENMETRICS, PROMETHEUS_2_ACCEPT, get_unix, gunzip};
use suite::programs::Scratch;
use tokio::sync::oneshot;

const TOKEN: &str = "socket-reader-token";

fn registry() -> Registry {
    let registry = Registry::new();
    let dynamic = DynamicMetrics::new(&registry).unwrap();
    let spec = MetricSpec::new("jobs_done", "Jobs done, by worker.", SpecKind::Counter).labels(["worker"]);
    let jobs = dynamic.counter(&spec).unwrap();
    for i in 0..50 {
        jobs.get(&[&format!("worker-{i}")]).inc_by(i as f64);
    }
    registry
}

/// Serves on `socket` until the returned sender is used or dropped; the task returns the server's result.
async fn serve(
    socket: &Path,
    config: ConfigBuilder,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>) {
    let config = config.unix_socket(socket).build().unwrap();
    let server = Server::bind(registry(), &config).await.expect("bind the socket");
    assert_eq!(server.listen_addr(), ListenAddr::Unix(socket.to_owned()));
    assert_eq!(server.url(), format!("unix:{}", socket.display()));
    assert!(!server.is_tls());
    let (stop, stopped) = oneshot::channel::<()>();
    (
        stop,
        tokio::spawn(server.run_until(async {
            stopped.await.ok();
        })),
    )
}

async fn stop(stop: oneshot::Sender<()>, task: tokio::task::JoinHandle<std::io::Result<()>>) {
    stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(10), task).await.expect("stops within 10 s").unwrap().unwrap();
}

#[tokio::test]
async fn the_handler_is_served_on_the_socket_with_its_permissions() {
    let dir = Scratch::new("unix-serve");
    let socket = dir.join("metrics.sock");
    let (tx, task) =
        serve(&socket, Config::builder().unix_socket_mode(0o600).compression(0).token(TOKEN, ["metrics:read"])).await;
    let meta = std::fs::symlink_metadata(&socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let bearer = format!("Bearer {TOKEN}");
    let reply =
        get_unix(&socket, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT), ("authorization", &bearer)]).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), OPENMETRICS);
    assert_valid(&reply.text(), Format::OpenMetrics).assert_value("jobs_done_total", &[("worker", "worker-49")], 49.0);
    let gzipped =
        get_unix(&socket, "/metrics", &[("accept-encoding", "gzip"), ("authorization", &bearer)]).await.unwrap();
    assert_eq!(gzipped.header("content-encoding"), "gzip");
    let text = String::from_utf8(gunzip(&gzipped.body)).unwrap();
    assert_valid(&text, Format::Text).assert_value("jobs_done_total", &[("worker", "worker-7")], 7.0);
    assert_eq!(get_unix(&socket, "/metrics", &[]).await.unwrap().status, 401, "the token is checked on the socket too");
    assert_eq!(get_unix(&socket, "/health", &[]).await.unwrap().status, 200);
    assert_eq!(get_unix(&socket, "/nope", &[]).await.unwrap().status, 404);

    stop(tx, task).await;
    assert!(!socket.exists(), "the socket file outlived its server");
    assert!(get_unix(&socket, "/health", &[]).await.is_err());
}

#[tokio::test]
async fn a_stale_socket_is_replaced_a_live_one_refused_and_other_files_left_alone() {
    let dir = Scratch::new("unix-stale");
    let socket = dir.join("metrics.sock");
    // A socket file whose process is gone: bound, then closed without removing the file.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    let (tx, task) = serve(&socket, Config::builder()).await;
    assert_eq!(get_unix(&socket, "/health", &[]).await.unwrap().status, 200);
    assert_eq!(std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777, 0o660, "the default mode");

    // While it serves, a second server on the same path is refused, naming the path.
    let config = Config::builder().unix_socket(&socket).build().unwrap();
    let err = Server::bind(registry(), &config).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse, "{err}");
    assert!(err.to_string().contains("endpoint.unix_socket") && err.to_string().contains("metrics.sock"), "{err}");
    assert_eq!(get_unix(&socket, "/health", &[]).await.unwrap().status, 200, "the first server still serves");
    stop(tx, task).await;

    // A regular file at the path is not replaced.
    std::fs::write(&socket, "not a socket").unwrap();
    let err = Server::bind(registry(), &config).await.unwrap_err();
    assert!(err.to_string().contains("not a socket"), "{err}");
    assert_eq!(std::fs::read_to_string(&socket).unwrap(), "not a socket");
    // A directory that does not exist is named.
    let missing = Config::builder().unix_socket(dir.join("no/such/dir/m.sock")).build().unwrap();
    let err = Server::bind(registry(), &missing).await.unwrap_err();
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}
