use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Latency.
    #[histogram(unit = "ms")]
    latency: Histogram,

    /// Time spent.
    #[counter(unit = "milliseconds")]
    busy: FloatCounter,

    /// Memory held.
    #[gauge(unit = "kb")]
    memory: Gauge,

    /// Disk used.
    #[gauge(unit = "percent")]
    disk_usage: FloatGauge,
}

fn main() {}
