//! Metric cells: the values one series holds, updated with relaxed atomics, without locks or allocation.

mod buckets;
mod counter;
mod exemplar;
mod first_writer;
mod gauge;
mod histogram;
mod histogram_config;
mod info;
mod native;
mod ops;
mod rejections;
mod stripe_claim;
mod stripe_value;
mod striped_counters;

use std::fmt;

pub use buckets::Buckets;
pub use counter::{Counter, FloatCounter};
pub use exemplar::{Exemplar, ExemplarError, MAX_EXEMPLAR_CODE_POINTS};
#[cfg(feature = "tracing")]
pub use exemplar::{TraceIds, TraceIdsLayer};
pub use gauge::{FloatGauge, Gauge, InflightGuard};
pub use histogram::{Histogram, HistogramTimer};
pub use histogram_config::HistogramConfig;
pub use info::Info;
pub use native::{Deltas, NativeConfig, NativeSnapshot, Spans};
pub use ops::{CounterOps, GaugeOps, HistogramOps};
pub use striped_counters::{CounterRef, CounterValue};

pub(crate) use rejections::Rejections;

use crate::MetricType;
use crate::encoding::{EncodeLabels, FamilyEncoder};
use crate::family::{DenseStorage, SeriesBudget};

/// The value a series holds: what a family stores per label combination.
///
/// Implemented by every cell of this crate; the families, the registry and the `#[metrics]` expansion are
/// generic over it.
pub trait Metric: Send + Sync + 'static {
    /// What every cell of a family shares and needs to be built: the bucket layout of a histogram.
    type Config: Clone + Send + Sync + fmt::Debug + 'static;

    /// How a [`DenseFamily`](crate::DenseFamily) of this cell stores its series: a plain
    /// [`Box<[Self]>`](Box) for most cells (and for a cell of your own), striped storage private to the
    /// crate for [`Counter`] and [`FloatCounter`].
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

    /// Called when the family holding this cell is registered ([`Collect::bind`](crate::Collect::bind)):
    /// a cell that refuses updates ([`FloatCounter`], [`Histogram`]) counts its refusals in `budget`'s
    /// registry from then on, as well as in itself. Does nothing by default; a collector holding cells of
    /// its own forwards its `bind` here.
    fn bind(&self, budget: &SeriesBudget) {
        let _ = budget;
    }
}
