//! Writing the union, and the sidecar's own families about its sources, through the runtime's encoder:
//! the negotiated format, the cache and gzip are the endpoint's.

use std::time::Duration;

use promstruct::encoding::{EncodeLabels, HistogramSnapshot, LabelWriter, Number};
use promstruct::{Descriptor, Encoder, MetricType};

use crate::merge::Union;

/// A series' labels: the source label first, then the source's own.
struct SourceLabels<'a> {
    label: &'a str,
    source: &'a str,
    rest: &'a [(String, String)],
}

impl EncodeLabels for SourceLabels<'_> {
    fn encode_labels(&self, out: &mut LabelWriter<'_>) {
        out.label(self.label, self.source);
        for (name, value) in self.rest {
            out.label(name, value);
        }
    }
}

/// A value as the runtime writes it: whole numbers without a fraction.
fn number(v: f64) -> Number {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if v.fract() == 0.0 && v.abs() < EXACT {
        if v >= 0.0 { Number::U64(v as u64) } else { Number::I64(v as i64) }
    } else {
        Number::F64(v)
    }
}

/// Writes every family of `union`, each series labelled `label="<its source's name>"`.
pub(crate) fn write_union(enc: &mut Encoder<'_>, union: &Union, label: &str, names: &[String]) {
    for family in &union.families {
        let kind = family.descriptor.kind();
        let mut out = enc.family(&family.descriptor);
        for series in &family.series {
            let labels = SourceLabels { label, source: &names[series.source], rest: &series.labels };
            match (kind, &series.histogram) {
                (MetricType::Counter, _) => out.counter(&labels, number(series.value), series.created),
                (MetricType::Histogram, Some(h)) => {
                    let snapshot = HistogramSnapshot { buckets: &h.buckets, cumulative: &h.cumulative, sum: h.sum };
                    out.histogram(&labels, snapshot, series.created);
                }
                (MetricType::Info, _) => out.info(&labels),
                _ => out.gauge(&labels, number(series.value)),
            }
        }
    }
}

/// The sidecar's own families, one series per source.
#[derive(Debug)]
pub(crate) struct OwnFamilies {
    up: Descriptor,
    duration: Descriptor,
    series: Descriptor,
    refused: Descriptor,
}

/// What the last collection from one source came to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceOutcome {
    pub(crate) up: bool,
    pub(crate) duration: Duration,
    pub(crate) series: usize,
    pub(crate) refused: usize,
}

impl OwnFamilies {
    /// The families, their one label named `label`.
    pub(crate) fn new(label: &str) -> Result<Self, promstruct::RuleError> {
        let gauge =
            |name: &'static str, help: &'static str| Descriptor::builder(name, MetricType::Gauge, help).labels([label]);
        Ok(OwnFamilies {
            up: gauge("promstruct_sidecar_source_up", "Whether the last collection from the source succeeded (1) or not (0).")
                .build()?,
            duration: gauge("promstruct_sidecar_source_collect_duration", "How long the last collection from the source took.")
                .unit("seconds")
                .build()?,
            series: gauge("promstruct_sidecar_source_series", "Series of the source re-exposed by the last collection.")
                .build()?,
            refused: gauge(
                "promstruct_sidecar_source_refused_families",
                "Families of the source the last collection did not re-expose (clashes, types the sidecar does not write); the log says why.",
            )
            .build()?,
        })
    }

    /// Every descriptor, for `Collect::describe`.
    pub(crate) fn descriptors(&self) -> [&Descriptor; 4] {
        [&self.up, &self.duration, &self.series, &self.refused]
    }

    /// Writes one series per source in each family.
    pub(crate) fn write(&self, enc: &mut Encoder<'_>, label: &str, names: &[String], outcomes: &[SourceOutcome]) {
        type Value = fn(&SourceOutcome) -> Number;
        let values: [(&Descriptor, Value); 4] = [
            (&self.up, |o| Number::U64(u64::from(o.up))),
            (&self.duration, |o| Number::F64(o.duration.as_secs_f64())),
            (&self.series, |o| Number::U64(o.series as u64)),
            (&self.refused, |o| Number::U64(o.refused as u64)),
        ];
        for (descriptor, value) in values {
            let mut out = enc.family(descriptor);
            for (name, outcome) in names.iter().zip(outcomes) {
                out.gauge(&[(label, name.as_str())], value(outcome));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_written_without_a_fraction() {
        assert!(matches!(number(42.0), Number::U64(42)));
        assert!(matches!(number(-3.0), Number::I64(-3)));
        assert!(matches!(number(1.25), Number::F64(v) if v == 1.25));
        assert!(matches!(number(f64::NAN), Number::F64(v) if v.is_nan()));
        assert!(matches!(number(1e300), Number::F64(_)));
    }
}
