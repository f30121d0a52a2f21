//! Real-time gauges: [`RealtimeGauges`], a family whose series each read their value from a callback at
//! each scrape.

use std::fmt;
use std::sync::{Arc, RwLock};

use crate::Descriptor;
use crate::encoding::{EncodeLabels, Encoder, LabelWriter, Number};
use crate::registry::Collect;

/// A callback that returns a real-time gauge's value at scrape.
type ReadFn = Arc<dyn Fn() -> f64 + Send + Sync>;

/// The series of a real-time gauge family: label values and the callback of each.
type RealtimeSeries = Vec<(Box<[Box<str>]>, ReadFn)>;

/// A family of gauges read at scrape time: each series is a callback.
pub struct RealtimeGauges {
    pub(super) desc: Descriptor,
    pub(super) series: RwLock<RealtimeSeries>,
}

impl fmt::Debug for RealtimeGauges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let series = self.series.read().unwrap_or_else(|e| e.into_inner()).len();
        f.debug_struct("RealtimeGauges").field("name", &self.desc.name()).field("series", &series).finish()
    }
}

impl RealtimeGauges {
    /// Sets the callback of the series with these label values (one per label), replacing any before.
    ///
    /// # Panics
    /// If the number of values differs from the number of labels.
    pub fn set(&self, values: &[&str], read: impl Fn() -> f64 + Send + Sync + 'static) {
        assert_eq!(
            values.len(),
            self.desc.label_count(),
            "family `{}`: wrong number of label values",
            self.desc.name()
        );
        let key: Box<[Box<str>]> = values.iter().map(|v| Box::from(*v)).collect();
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        series.retain(|(k, _)| *k != key);
        series.push((key, Arc::new(read)));
    }

    /// Removes the series with these label values; returns whether it was there.
    pub fn remove(&self, values: &[&str]) -> bool {
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        let before = series.len();
        series.retain(|(k, _)| !(k.len() == values.len() && k.iter().zip(values).all(|(a, b)| **a == **b)));
        series.len() != before
    }

    /// The number of series.
    pub fn len(&self) -> usize {
        self.series.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether there is no series.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct ValueLabels<'a> {
    desc: &'a Descriptor,
    values: &'a [Box<str>],
}

impl EncodeLabels for ValueLabels<'_> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        for (i, v) in self.values.iter().enumerate() {
            out.label(self.desc.label_name(i), v);
        }
    }
}

impl Collect for RealtimeGauges {
    fn describe(&self, out: &mut dyn FnMut(&Descriptor)) {
        out(&self.desc)
    }

    fn collect(&self, enc: &mut Encoder<'_>) {
        // Read the callbacks outside the lock, so a slow one cannot block `set`.
        let series: Vec<_> = self.series.read().unwrap_or_else(|e| e.into_inner()).clone();
        let mut family = enc.family(&self.desc);
        for (values, read) in &series {
            family.gauge(&ValueLabels { desc: &self.desc, values }, Number::F64(read()));
        }
    }
}
