//! What the serving examples share: the `--listen ADDR` and `--config FILE` flags, and a tiny
//! deterministic random source for simulated traffic.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::exit;

use promstruct::config::Config;
use promstruct::export::{DASHBOARD_FILE, Observability, RULE_TESTS_FILE, RULES_FILE};

/// The command line of a serving example.
pub(crate) struct Args {
    /// The configuration: `--config FILE` (if given) with `PROMETHEUS_METRICS_*` variables over it, and
    /// `--listen ADDR` over both.
    pub(crate) config: Config,
    /// Flags the example defines itself, as `(name, value)`.
    pub(crate) extra: Vec<(String, String)>,
}

/// Parses `--listen ADDR`, `--config FILE` and the example's own `--name VALUE` flags (`own`), exiting
/// with usage on `--help` or a mistake.
pub(crate) fn parse_args(example: &str, own: &[&str]) -> Args {
    let usage = || {
        let own: String = own.iter().map(|f| format!(" [--{f} VALUE]")).collect();
        format!("usage: {example} [--listen ADDR] [--config FILE]{own} | --export DIR")
    };
    let mut listen: Option<SocketAddr> = None;
    let mut file: Option<PathBuf> = None;
    let mut extra = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            println!("{}", usage());
            exit(0);
        }
        let Some(value) = args.next() else {
            eprintln!("{example}: {flag} needs a value\n{}", usage());
            exit(2);
        };
        match flag.as_str() {
            "--listen" => match value.parse() {
                Ok(addr) => listen = Some(addr),
                Err(e) => {
                    eprintln!("{example}: --listen {value}: {e} (expected IP:PORT)");
                    exit(2);
                }
            },
            "--config" => file = Some(value.into()),
            other if other.strip_prefix("--").is_some_and(|name| own.contains(&name)) => {
                extra.push((other[2..].to_owned(), value));
            }
            other => {
                eprintln!("{example}: unknown flag {other}\n{}", usage());
                exit(2);
            }
        }
    }
    let mut config = match Config::load(file.as_deref(), std::env::vars()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{example}: {e}");
            exit(2);
        }
    };
    if let Some(addr) = listen {
        config.endpoint.host = addr.ip();
        config.endpoint.port = addr.port();
    }
    Args { config, extra }
}

/// `--export DIR`: writes the example's Grafana dashboard, recording rules, burn-rate alerts and their
/// `promtool` tests under `DIR` (the files committed in `examples/<name>/observability/`) and exits before
/// anything else runs. Returns when the flag is absent.
pub(crate) fn export_if_asked(example: &str, observability: impl FnOnce() -> Observability) {
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag != "--export" {
            continue;
        }
        let Some(dir) = args.next() else {
            eprintln!("{example}: --export needs a directory");
            exit(2);
        };
        match observability().write_to(dir.as_ref()) {
            Ok(()) => {
                println!("{example}: wrote {dir}/{DASHBOARD_FILE}, {dir}/{RULES_FILE} and {dir}/{RULE_TESTS_FILE}");
                exit(0);
            }
            Err(e) => {
                eprintln!("{example}: {e}");
                exit(1);
            }
        }
    }
}

/// xorshift64*: simulated traffic needs variety, not quality.
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// An index in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`.
    pub(crate) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}
