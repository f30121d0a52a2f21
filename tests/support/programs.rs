//! Building the examples and running them, and other programs, as child processes of a test.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process, killed when dropped.
#[derive(Debug)]
pub struct Running {
    /// The process.
    pub child: Child,
}

impl Running {
    /// Whether the process has exited already.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A fresh temporary directory, removed when dropped.
#[derive(Debug)]
pub struct Scratch(
    /// The directory.
    pub PathBuf,
);

impl Scratch {
    /// A new directory named after `tag` and this process.
    pub fn new(tag: &str) -> Scratch {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("metrics-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// This test's target directory and profile directory, and the profile's name as cargo takes it.
fn target_of_this_test() -> (PathBuf, PathBuf, String) {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).expect("the test runs from <target>/<profile>/deps");
    let target_dir = profile_dir.parent().unwrap().to_owned();
    let profile = match profile_dir.file_name().unwrap().to_str().unwrap() {
        "debug" => "dev".to_owned(),
        other => other.to_owned(),
    };
    (target_dir, profile_dir.to_owned(), profile)
}

/// Runs `cargo build --quiet <what>` into this test's target directory and profile.
fn cargo_build(what: &[&str]) {
    let (target_dir, _, profile) = target_of_this_test();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet"])
        .args(what)
        .args(["--profile", &profile, "--target-dir"])
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build");
    assert!(status.success(), "cargo build {} failed", what.join(" "));
}

/// Builds example `name` with the cargo running this test, into this test's target directory and
/// profile, and returns the binary.
pub fn build_example(name: &str) -> PathBuf {
    cargo_build(&["--example", name]);
    let binary = target_of_this_test().1.join("examples").join(name);
    assert!(binary.exists(), "{} was not built", binary.display());
    binary
}

/// Builds the binary `bin` of the workspace's package `package` the same way, and returns it.
pub fn build_binary(package: &str, bin: &str) -> PathBuf {
    cargo_build(&["-p", package, "--bin", bin]);
    let binary = target_of_this_test().1.join(bin);
    assert!(binary.exists(), "{} was not built", binary.display());
    binary
}

/// Starts `binary` with `args` (at `RUST_LOG=warn`, its stderr to `stderr`) and returns the process and
/// the lines of its stdout as they come (read for as long as it runs).
pub fn spawn_reading_lines(binary: &Path, args: &[&str], stderr: Stdio) -> (Running, mpsc::Receiver<String>) {
    let mut child = Command::new(binary)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.display()));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // Read on once nobody listens, so that the program never blocks on a full pipe.
            let _ = tx.send(line);
        }
    });
    (Running { child }, rx)
}

/// The address of the first line in `lines` that holds `http://ADDR` or `https://ADDR`, waiting at most
/// 30 s; `None` if none came by then.
pub fn first_address(lines: &mpsc::Receiver<String>) -> Option<SocketAddr> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let line = lines.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now())).ok()?;
        if let Some((_, rest)) = line.split_once("https://").or_else(|| line.split_once("http://")) {
            let addr: String = rest.chars().take_while(|c| *c != '/' && !c.is_whitespace()).collect();
            return Some(addr.parse().unwrap_or_else(|e| panic!("bad address {addr:?}: {e}")));
        }
    }
}

/// Starts `binary` with `args` and waits (at most 30 s) for the first line on its stdout that holds
/// `http://ADDR` (or `https://ADDR`), returning the process and that address.
pub fn start_serving(binary: &Path, args: &[&str]) -> (Running, SocketAddr) {
    let (running, lines) = spawn_reading_lines(binary, args, Stdio::inherit());
    let addr = first_address(&lines)
        .unwrap_or_else(|| panic!("{} printed no http(s):// address within 30 s", binary.display()));
    (running, addr)
}

/// A loopback port free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Fails the test, saying how to install it, unless `program --version` runs.
pub fn require_program(program: &str, package: &str) {
    let found = Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    assert!(
        found.is_ok_and(|s| s.success()),
        "`{program}` is not installed: run bash scripts/install-tools (it installs Debian's {package} package)"
    );
}

/// Polls `check` every 200 ms until it returns `Some` or `timeout` passes.
pub async fn poll<T, F: Future<Output = Option<T>>>(what: &str, timeout: Duration, mut check: impl FnMut() -> F) -> T {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(std::time::Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Percent-encodes a query parameter.
pub fn encode_query(query: &str) -> String {
    let mut out = String::new();
    for b in query.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Sends SIGTERM to `process` and waits (at most 10 s) for it to exit.
pub fn sigterm(process: &mut Running) -> ExitStatus {
    let pid = process.child.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = process.child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "the process did not stop within 10 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}
