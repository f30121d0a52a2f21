//! The registry's own families: its series, its limit, overflowed and refused updates, and its last
//! scrape.

use std::sync::atomic::Ordering;

use super::Registry;
use crate::encoding::{Encoder, Number};
use crate::{Descriptor, FamilySchema, MetricType};

/// The registry's own families, in the order [`Registry::encode_self`] writes their values.
pub(super) static SELF_FAMILIES: [FamilySchema; 7] = [
    FamilySchema::new("promstruct_series", MetricType::Gauge, "Series held by the registry's families."),
    FamilySchema::new(
        "promstruct_series_limit",
        MetricType::Gauge,
        "The most series the registry's families may hold.",
    ),
    FamilySchema::new(
        "promstruct_overflow_updates",
        MetricType::Counter,
        "Updates sent to an overflow series because a family or the registry was at its series limit.",
    ),
    FamilySchema::new(
        "promstruct_rejected_updates",
        MetricType::Counter,
        "Updates refused because they would break a metric's contract (negative counter increments, NaN).",
    ),
    FamilySchema::new(
        "promstruct_exemplars_rejected",
        MetricType::Counter,
        "Exemplars refused because their labels were invalid or over 128 code points; the updates were applied.",
    ),
    FamilySchema::new("promstruct_scrape_series", MetricType::Gauge, "Series written by the previous scrape."),
    FamilySchema::new(
        "promstruct_scrape_duration_seconds",
        MetricType::Gauge,
        "Time the previous scrape took to encode.",
    )
    .with_unit("seconds"),
];

impl Registry {
    pub(super) fn encode_self(&self, enc: &mut Encoder<'_>) {
        let values = [
            Number::U64(self.0.budget.used() as u64),
            Number::U64(self.0.budget.limit() as u64),
            Number::U64(self.0.budget.overflowed()),
            Number::U64(self.rejected_updates()),
            Number::U64(self.rejected_exemplars()),
            Number::U64(self.0.last_series.load(Ordering::Relaxed)),
            Number::F64(self.0.last_scrape_nanos.load(Ordering::Relaxed) as f64 / 1e9),
        ];
        for (schema, value) in SELF_FAMILIES.iter().zip(values) {
            let desc = Descriptor::from_schema(schema);
            let mut family = enc.family(&desc);
            match schema.kind() {
                MetricType::Counter => family.counter(&(), value, None),
                _ => family.gauge(&(), value),
            }
        }
    }
}
