use promstruct::prelude::*;

#[metrics]
pub struct M {
    /// The same opt-out named twice, and `allow` given twice.
    #[gauge(allow(total_suffix, total_suffix), allow(type_word))]
    jobs_total: Gauge,

    /// An empty list.
    #[gauge(allow())]
    depth: Gauge,
}

fn main() {}
