//! `promstruct-sidecar`: serves the union of the metrics of applications that expose theirs on Unix
//! sockets.
//!
//! ```text
//! promstruct-sidecar --config /etc/sidecar/sidecar.yaml
//! promstruct-sidecar --source llm=/run/metrics/llm.sock --source agents=/run/metrics/agents.sock
//! ```
//!
//! Flags: `--config FILE` (the `sidecar` and `prometheus_metrics` sections), `--source NAME=SOCKET[:PATH]`
//! (added to the file's sources), `--label NAME` (over the file's `sidecar.label`), `--listen ADDR` (over
//! the file's address). `PROMETHEUS_METRICS_*` variables override the serving section as they do for an
//! embedded endpoint. Without an address anywhere it listens on `0.0.0.0:9090`, to be scraped in its pod.
//! The first line on stdout is `promstruct-sidecar: serving http://ADDR/PATH` (`https://` with TLS);
//! SIGTERM or Ctrl-C stops it after in-flight scrapes.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use promstruct::config::{Config, ENV_PREFIX};
use promstruct_sidecar::{SidecarConfig, config::parse_source_flag};

const USAGE: &str =
    "usage: promstruct-sidecar [--config FILE] [--source NAME=SOCKET[:PATH]]... [--label NAME] [--listen ADDR]";

struct Args {
    config: Option<PathBuf>,
    sources: Vec<String>,
    label: Option<String>,
    listen: Option<SocketAddr>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { config: None, sources: Vec::new(), label: None, listen: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--config" => args.config = Some(value.into()),
            "--source" => args.sources.push(value),
            "--label" => args.label = Some(value),
            "--listen" => args.listen = Some(value.parse().map_err(|e| format!("--listen {value}: {e}"))?),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

/// Whether the file or the environment names the endpoint's host.
fn host_configured(file_text: Option<&str>) -> bool {
    let in_env = std::env::var_os(format!("{ENV_PREFIX}ENDPOINT_HOST")).is_some();
    let in_file = file_text
        .and_then(|text| serde_norway::from_str::<serde_norway::Value>(text).ok())
        .and_then(|doc| doc.get("prometheus_metrics")?.get("endpoint")?.get("host").cloned())
        .is_some();
    in_env || in_file
}

async fn run() -> Result<(), String> {
    let args = parse_args()?;
    let text = match &args.config {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?),
        None => None,
    };
    let origin = args.config.as_ref().map_or_else(|| "the command line".to_owned(), |p| p.display().to_string());
    let mut sidecar = match &text {
        Some(text) => SidecarConfig::from_yaml_str(text).map_err(|e| format!("{origin}: {e}"))?,
        None => SidecarConfig::default(),
    };
    for flag in &args.sources {
        sidecar.sources.push(parse_source_flag(flag)?);
    }
    if let Some(label) = args.label {
        sidecar.label = label;
    }
    sidecar.validate().map_err(|e| format!("{origin}: {e}"))?;
    let mut config = Config::load(args.config.as_deref(), std::env::vars()).map_err(|e| e.to_string())?;
    match args.listen {
        Some(addr) => (config.endpoint.host, config.endpoint.port) = (addr.ip(), addr.port()),
        None if !host_configured(text.as_deref()) => config.endpoint.host = IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        None => {}
    }
    let server = promstruct_sidecar::bind(sidecar, &config).await.map_err(|e| e.to_string())?;
    println!("promstruct-sidecar: serving {}{}", server.url(), config.endpoint.path);
    server.run().await.map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("promstruct-sidecar: {e}");
            ExitCode::from(2)
        }
    }
}
