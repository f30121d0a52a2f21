//! Metric cells: the values one series holds, updated with relaxed atomics, without locks or allocation.

mod counter;
mod gauge;
mod histogram;
mod info;
mod stripe_claim;
mod stripe_value;
mod striped_counters;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

pub use counter::{Counter, FloatCounter};
pub use gauge::{FloatGauge, Gauge, InflightGuard};
pub use histogram::{Buckets, Histogram, HistogramTimer};
pub use info::Info;
pub use striped_counters::{CounterRef, CounterValue, StripedCounters};

use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder};
use crate::family::DenseStorage;

/// The value a series holds: what a family stores per label combination.
///
/// Implemented by every cell of this crate; the families, the registry and the `#[metrics]` expansion are
/// generic over it.
pub trait Metric: Send + Sync + 'static {
    /// What every cell of a family shares and needs to be built: the bucket layout of a histogram.
    type Config: Clone + Send + Sync + fmt::Debug + 'static;

    /// How a [`DenseFamily`](crate::DenseFamily) of this cell stores its series: a plain
    /// [`Box<[Self]>`](Box) for most cells, [`StripedCounters`] for [`Counter`] and [`FloatCounter`].
    type Dense: DenseStorage<Config = Self::Config>;

    /// The metric type this cell exposes.
    const KIND: MetricType;

    /// A fresh cell: zero, or empty.
    fn with_config(config: &Self::Config) -> Self;

    /// Tells a new cell which family it belongs to; an [`Info`] keeps the family's label names, which its
    /// own labels must not repeat. Called by the families on every cell they create.
    #[doc(hidden)]
    #[inline]
    fn attach(&self, desc: &crate::Descriptor) {
        let _ = desc;
    }

    /// Writes this cell as one series with `labels`; `created` is the series' creation time in seconds
    /// since the epoch, written as `_created` in OpenMetrics by the kinds that have one.
    fn encode(&self, family: &mut FamilyEncoder<'_, '_>, labels: &dyn EncodeLabels, created: Option<f64>);
}

/// Updates refused because they would break a cell's contract (a negative or NaN increment of a
/// [`FloatCounter`], a NaN observation of a [`Histogram`]), process-wide.
static REJECTED_UPDATES: AtomicU64 = AtomicU64::new(0);

/// How many updates this process refused because they would break a cell's contract (a negative, NaN or
/// infinite counter increment, a NaN histogram observation). The registry exposes it as
/// `promstruct_rejected_updates_total`.
pub fn rejected_updates() -> u64 {
    REJECTED_UPDATES.load(Ordering::Relaxed)
}

#[cold]
fn reject_update() {
    REJECTED_UPDATES.fetch_add(1, Ordering::Relaxed);
}
