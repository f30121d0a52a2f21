// Each naming convention opted out of on the one field that breaks it, and a Rust keyword as a label name:
// the names real systems' dashboards depend on (KOSMOS's `_total` gauges, Argo's `_count` gauges and
// unitless latency) exposed exactly as written, and still valid for promtool and OpenMetrics parsers.
use promstruct::prelude::*;

#[metrics(namespace = "sys")]
#[labels(TokenType { Input = "input", Output = "output" })]
pub struct Legacy {
    /// Bytes stored, a gauge whose name ends in `_total`.
    #[gauge(allow(total_suffix))]
    storage_bytes_total: Gauge,

    /// Workflows by phase, a gauge named `..._count`.
    #[gauge(name = "workflows_count", allow(reserved_suffix))]
    workflows: Gauge,

    /// A gauge with its type in its name.
    #[gauge(allow(type_word))]
    exec_duration_gauge: Gauge,

    /// Latency in milliseconds, as an old dashboard reads it.
    #[gauge(allow(non_base_unit))]
    latency_ms: Gauge,

    /// Queue latency in seconds, named without its unit.
    #[histogram(unit = "seconds", allow(unit_suffix), buckets = [0.1, 1])]
    queue_latency: Histogram,

    /// Two opt-outs on one family.
    #[gauge(allow(total_suffix, type_word))]
    counter_total: Gauge,

    /// Tokens by type: `type` is a Rust keyword, written as a raw identifier.
    #[counter(labels(r#type: TokenType))]
    tokens: Counter,
}

fn main() {
    let m = Legacy::new();
    m.storage_bytes_total().set(5);
    m.tokens(TokenType::Output).inc();
    let names: Vec<&str> = Legacy::FAMILIES.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        [
            "sys_storage_bytes_total",
            "sys_workflows_count",
            "sys_exec_duration_gauge",
            "sys_latency_ms",
            "sys_queue_latency",
            "sys_counter_total",
            "sys_tokens",
        ]
    );
    assert_eq!(Legacy::FAMILIES[4].unit(), Some("seconds"));
    let registry = Registry::new();
    registry.register(m).unwrap();
    let mut buf = Vec::new();
    registry.encode(Format::OpenMetrics, &mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    assert!(text.contains("\nsys_storage_bytes_total 5\n"), "{text}");
    assert!(text.contains("sys_tokens_total{type=\"output\"} 1\n"), "{text}");
    // OpenMetrics requires a family's name to end with its unit, so a family named without it has no UNIT.
    assert!(!text.contains("# UNIT sys_queue_latency"), "{text}");
    assert!(text.contains("# TYPE sys_queue_latency histogram\n"), "{text}");
}
