use promstruct::prelude::*;

#[metrics(namespace = "app", allow(total_suffix))]
pub struct M {
    /// A gauge named like a counter.
    #[gauge(allow(total_suffix))]
    jobs_total: Gauge,
}

fn main() {}
