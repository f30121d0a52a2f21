//! The process collector: the standard `process_*` families of the official clients, read from Linux
//! `/proc` at each scrape.

use std::fs;
use std::io;

use crate::encoding::{Encoder, Number};
use crate::registry::Collect;
use crate::{Descriptor, FamilySchema, MetricType};

/// Clock ticks per second of the times in `/proc/<pid>/stat`: `USER_HZ`, 100 on every Linux ABI (the
/// official Go client hard-codes it too).
const USER_HZ: f64 = 100.0;

/// Exposes the process's CPU time, memory, file descriptors, start time and threads under the standard
/// names and help texts of the official clients:
///
/// | family | type |
/// |---|---|
/// | `process_cpu_seconds_total` | counter |
/// | `process_resident_memory_bytes` | gauge |
/// | `process_virtual_memory_bytes` | gauge |
/// | `process_open_fds` | gauge |
/// | `process_max_fds` | gauge |
/// | `process_start_time_seconds` | gauge |
/// | `process_threads` | gauge |
///
/// Everything is read from `/proc/self` (or another pid's) when scraped; nothing runs in between. A
/// family whose file cannot be read is left without a sample for that scrape.
#[derive(Debug)]
pub struct ProcessCollector {
    proc_dir: String,
    descs: [Descriptor; 7],
}

/// The families of the collector, without namespace: client_golang's names and help.
const FAMILIES: [FamilySchema; 7] = [
    FamilySchema::new("process_cpu_seconds", MetricType::Counter, "Total user and system CPU time spent in seconds.")
        .with_unit("seconds"),
    FamilySchema::new("process_resident_memory_bytes", MetricType::Gauge, "Resident memory size in bytes.")
        .with_unit("bytes"),
    FamilySchema::new("process_virtual_memory_bytes", MetricType::Gauge, "Virtual memory size in bytes.")
        .with_unit("bytes"),
    FamilySchema::new("process_open_fds", MetricType::Gauge, "Number of open file descriptors."),
    FamilySchema::new("process_max_fds", MetricType::Gauge, "Maximum number of open file descriptors."),
    FamilySchema::new(
        "process_start_time_seconds",
        MetricType::Gauge,
        "Start time of the process since unix epoch in seconds.",
    )
    .with_unit("seconds"),
    FamilySchema::new("process_threads", MetricType::Gauge, "Number of OS threads in the process."),
];

impl Default for ProcessCollector {
    fn default() -> Self {
        Self::new()
    }
}

/// What one read of `/proc` found.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ProcessStats {
    pub(crate) cpu_seconds: Option<f64>,
    pub(crate) resident_bytes: Option<u64>,
    pub(crate) virtual_bytes: Option<u64>,
    pub(crate) open_fds: Option<u64>,
    pub(crate) max_fds: Option<u64>,
    pub(crate) start_time_seconds: Option<f64>,
    pub(crate) threads: Option<u64>,
}

impl ProcessCollector {
    /// The collector of this process, with the standard `process_` names.
    pub fn new() -> Self {
        Self::build("/proc/self".to_owned(), None)
    }

    /// The collector of process `pid`.
    pub fn for_pid(pid: u32) -> Self {
        Self::build(format!("/proc/{pid}"), None)
    }

    /// The collector of this process with names prefixed by `namespace_` (`myapp_process_threads`).
    pub fn with_namespace(namespace: &str) -> Result<Self, crate::RuleError> {
        promstruct_naming::check_prefix("namespace", namespace)?;
        Ok(Self::build("/proc/self".to_owned(), Some(namespace)))
    }

    fn build(proc_dir: String, namespace: Option<&str>) -> Self {
        let descs = FAMILIES.map(|family| family.descriptor_in(namespace).expect("a checked namespace"));
        ProcessCollector { proc_dir, descs }
    }

    /// Reads every value now.
    pub(crate) fn read(&self) -> ProcessStats {
        let mut stats = ProcessStats::default();
        if let Ok(stat) = fs::read_to_string(format!("{}/stat", self.proc_dir)) {
            if let Some(fields) = stat_fields(&stat) {
                // Fields after the command, 0-based from field 3 (`state`): see proc(5).
                let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
                if let (Some(utime), Some(stime)) = (field(14), field(15)) {
                    stats.cpu_seconds = Some((utime + stime) as f64 / USER_HZ);
                }
                stats.threads = field(20);
                stats.virtual_bytes = field(23);
                if let (Some(start), Some(boot)) = (field(22), boot_time()) {
                    stats.start_time_seconds = Some(boot + start as f64 / USER_HZ);
                }
            }
        }
        if let Ok(status) = fs::read_to_string(format!("{}/status", self.proc_dir)) {
            stats.resident_bytes = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().strip_suffix("kB"))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|kb| kb * 1024);
        }
        stats.open_fds = count_dir(&format!("{}/fd", self.proc_dir)).ok();
        if let Ok(limits) = fs::read_to_string(format!("{}/limits", self.proc_dir)) {
            stats.max_fds = limits
                .lines()
                .find_map(|l| l.strip_prefix("Max open files"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|soft| if soft == "unlimited" { Some(u64::MAX) } else { soft.parse().ok() });
        }
        stats
    }
}

/// The fields of `/proc/<pid>/stat` after the command name, which may itself hold spaces and parentheses.
fn stat_fields(stat: &str) -> Option<Vec<&str>> {
    let after = &stat[stat.rfind(')')? + 1..];
    Some(after.split_whitespace().collect())
}

/// The boot time in seconds since the epoch, from `/proc/stat`.
fn boot_time() -> Option<f64> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    stat.lines().find_map(|l| l.strip_prefix("btime ")).and_then(|v| v.trim().parse::<f64>().ok())
}

fn count_dir(path: &str) -> io::Result<u64> {
    let mut n = 0;
    for entry in fs::read_dir(path)? {
        entry?;
        n += 1;
    }
    Ok(n)
}

impl Collect for ProcessCollector {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        for desc in &self.descs {
            out(desc);
        }
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        let s = self.read();
        let values = [
            s.cpu_seconds.map(Number::F64),
            s.resident_bytes.map(Number::U64),
            s.virtual_bytes.map(Number::U64),
            s.open_fds.map(Number::U64),
            s.max_fds.map(Number::U64),
            s.start_time_seconds.map(Number::F64),
            s.threads.map(Number::U64),
        ];
        for (desc, value) in self.descs.iter().zip(values) {
            let mut family = enc.family(desc);
            if let Some(value) = value {
                match desc.kind() {
                    MetricType::Counter => family.counter(&(), value, None),
                    _ => family.gauge(&(), value),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_command_with_spaces_and_parentheses() {
        let stat = "42 (my (odd) cmd) S 1 42 42 0 -1 4194304 100 0 0 0 250 150 0 0 20 0 7 0 951084 3133440 414";
        let fields = stat_fields(stat).unwrap();
        assert_eq!(fields[0], "S");
        assert_eq!(fields[14 - 3], "250");
        assert_eq!(fields[20 - 3], "7");
        assert_eq!(fields[23 - 3], "3133440");
    }

    #[test]
    fn reads_every_value_of_this_process() {
        let s = ProcessCollector::new().read();
        assert!(s.cpu_seconds.is_some());
        assert!(s.resident_bytes.unwrap() > 1 << 20);
        assert!(s.virtual_bytes.unwrap() >= s.resident_bytes.unwrap());
        assert!(s.open_fds.unwrap() >= 3);
        assert!(s.max_fds.unwrap() >= s.open_fds.unwrap());
        assert!(s.threads.unwrap() >= 1);
        let now = crate::encoding::now_epoch_seconds();
        let start = s.start_time_seconds.unwrap();
        assert!(start <= now + 1.0 && start > now - 3600.0, "start {start}, now {now}");
    }
}
