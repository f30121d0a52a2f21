//! The process collector's values follow what the process does, read through a real scrape.

#![cfg(target_os = "linux")]

use promstruct::collectors::ProcessCollector;
use promstruct::{Format, Registry};
use suite::validators::{find_sample, promtool_check, python_parse};

fn scrape(registry: &Registry) -> Vec<suite::validators::PyFamily> {
    let mut body = Vec::new();
    registry.encode(Format::OpenMetrics, &mut body).unwrap();
    python_parse(&body, true).unwrap_or_else(|e| panic!("{e}"))
}

fn value(registry: &Registry, name: &str) -> f64 {
    find_sample(&scrape(registry), name, &[]).unwrap_or_else(|| panic!("no {name}")).value
}

#[test]
fn process_families_follow_memory_fds_and_cpu() {
    let registry = Registry::new();
    registry.register(ProcessCollector::new()).unwrap();

    let mut text = Vec::new();
    registry.encode(Format::Text, &mut text).unwrap();
    promtool_check(&text).unwrap_or_else(|e| panic!("{e}"));
    let body = String::from_utf8(text).unwrap();
    for name in [
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
        "process_threads",
    ] {
        assert!(body.contains(&format!("\n{name} ")), "{name} missing:\n{body}");
    }

    let rss_before = value(&registry, "process_resident_memory_bytes");
    let mut block = vec![0u8; 100 << 20];
    for page in block.chunks_mut(4096) {
        page[0] = 1;
    }
    let rss_after = value(&registry, "process_resident_memory_bytes");
    assert!(rss_after - rss_before >= 90.0 * 1048576.0, "RSS grew by {} bytes only", rss_after - rss_before);
    assert!(value(&registry, "process_virtual_memory_bytes") >= rss_after);
    std::hint::black_box(&block);
    drop(block);

    let fds_before = value(&registry, "process_open_fds");
    let files: Vec<_> = (0..20).map(|_| std::fs::File::open("/proc/self/stat").unwrap()).collect();
    let fds_after = value(&registry, "process_open_fds");
    assert!(fds_after - fds_before >= 20.0, "fds went from {fds_before} to {fds_after}");
    drop(files);
    assert!(value(&registry, "process_max_fds") >= fds_after);

    let cpu_before = value(&registry, "process_cpu_seconds_total");
    let start = std::time::Instant::now();
    let mut x = 0u64;
    while start.elapsed().as_millis() < 300 {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
    let cpu_after = value(&registry, "process_cpu_seconds_total");
    assert!(cpu_after - cpu_before >= 0.1, "CPU time went from {cpu_before} to {cpu_after}");

    let threads_before = value(&registry, "process_threads");
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(5));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
            })
        })
        .collect();
    let threads_during = value(&registry, "process_threads");
    assert!(threads_during >= threads_before + 4.0, "threads {threads_before} -> {threads_during}");
    barrier.wait();
    for h in handles {
        h.join().unwrap();
    }
    let start_time = value(&registry, "process_start_time_seconds");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!(start_time <= now && start_time > now - 600.0, "start {start_time}, now {now}");
}
