//! Ready-made collectors: the process (Linux), and more behind features.

#[cfg(target_os = "linux")]
mod process;

#[cfg(target_os = "linux")]
pub use process::ProcessCollector;
