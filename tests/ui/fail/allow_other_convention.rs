use promstruct::prelude::*;

#[metrics]
pub struct M {
    /// An opt-out covers its own convention only: the type word is still refused.
    #[gauge(allow(total_suffix))]
    gauge_total: Gauge,

    /// A reserved suffix opt-out does not make a collision valid: `jobs` exposes `jobs_count` already.
    #[histogram(buckets = [1])]
    jobs: Histogram,

    /// Collides with the histogram's `_count`.
    #[gauge(allow(reserved_suffix))]
    jobs_count: Gauge,
}

fn main() {}
