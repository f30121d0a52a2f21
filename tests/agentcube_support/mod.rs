//! What the agentcube tests share: starting the example, whose two servers (the workload manager and the
//! router) each print their address, and scraping either of them.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use promstruct::Format;
use promstruct_testing::{Exposition, parse};

use suite::http::{OPENMETRICS, PROMETHEUS_2_ACCEPT, Reply, TEXT, get};
use suite::programs::{Running, spawn_reading_lines};

/// The running example and its two servers.
pub(crate) struct Agentcube {
    /// The process, killed when dropped.
    pub(crate) process: Running,
    /// The workload manager's address (`--listen`).
    pub(crate) manager: SocketAddr,
    /// The router's address (`--router-listen`).
    pub(crate) router: SocketAddr,
}

/// The prefix of the line on which the example prints the server `which` (`workload manager`, `router`).
fn announcement(which: &str) -> String {
    format!("agentcube: {which} listening on http://")
}

/// Starts `binary` with `args` and reads the two addresses from the first two lines on its stdout (at
/// most 30 s): the workload manager's, then the router's.
pub(crate) fn start(binary: &Path, args: &[&str]) -> Agentcube {
    let (process, rx) = spawn_reading_lines(binary, args, Stdio::inherit());
    let next_line = |which: &str| {
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("agentcube printed no line for its {which} within 30 s"));
        let addr = line
            .strip_prefix(&announcement(which))
            .unwrap_or_else(|| panic!("expected `{}ADDR`, got {line:?}", announcement(which)));
        addr.parse::<SocketAddr>().unwrap_or_else(|e| panic!("bad {which} address {addr:?}: {e}"))
    };
    let manager = next_line("workload manager");
    let router = next_line("router");
    assert_ne!(manager, router, "two servers, two ports");
    Agentcube { process, manager, router }
}

/// Scrapes `addr` as Prometheus 2 does and parses the OpenMetrics answer strictly, returning its body too.
pub(crate) async fn scrape_openmetrics(addr: SocketAddr) -> (Exposition, Vec<u8>) {
    let reply = get(addr, "/metrics", &[("accept", PROMETHEUS_2_ACCEPT)]).await;
    assert_eq!(reply.header("content-type"), OPENMETRICS);
    (parsed(&reply, Format::OpenMetrics), reply.body)
}

/// Scrapes `addr` with no `Accept` header and parses the 0.0.4 text answer strictly, returning its body too.
pub(crate) async fn scrape_text(addr: SocketAddr) -> (Exposition, Vec<u8>) {
    let reply = get(addr, "/metrics", &[]).await;
    assert_eq!(reply.header("content-type"), TEXT);
    (parsed(&reply, Format::Text), reply.body)
}

fn parsed(reply: &Reply, format: Format) -> Exposition {
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    parse(&text, format).unwrap_or_else(|e| panic!("invalid {format:?} exposition: {e}\n{text}"))
}
