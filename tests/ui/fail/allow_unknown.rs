use promstruct::prelude::*;

#[metrics]
pub struct M {
    /// A gauge named like a counter.
    #[gauge(allow(total, total_suffix))]
    jobs_total: Gauge,
}

fn main() {}
