//! What `#[metrics]` and `#[derive(LabelEnum)]` expand to refer to, by absolute path, so that the
//! generated code works whatever the user imported or shadowed. Not a public API.

pub use crate::cell::{Buckets, Counter, FloatCounter, FloatGauge, Gauge, Histogram, Info, Metric};
pub use crate::encoding::Encoder;
pub use crate::family::{DenseFamily, OpenFamily, OpenOptions, SeriesBudget, SeriesRef};
pub use crate::label::{LabelEnum, LabelSet};
pub use crate::registry::Collect;
pub use crate::{Descriptor, MetricType};
