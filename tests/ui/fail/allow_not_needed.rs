use promstruct::prelude::*;

#[metrics]
pub struct M {
    /// A name that keeps every convention: the opt-out would hide nothing.
    #[gauge(allow(total_suffix))]
    queue_depth: Gauge,

    /// `unit_suffix` without a unit.
    #[gauge(allow(unit_suffix))]
    temperature: Gauge,

    /// Two opt-outs, one needed.
    #[gauge(allow(total_suffix, type_word))]
    jobs_total: Gauge,
}

fn main() {}
