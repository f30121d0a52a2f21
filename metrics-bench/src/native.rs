//! The native histogram workloads: this project's native histogram (alone, and beside classic buckets)
//! against its classic one and `prometheus-client`'s native histogram, on the series and values of the
//! classic histogram workload ([`Library::histogram`]).

use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram as PcHistogram, NativeHistogramConfig};
use promstruct::{Buckets, DenseFamily, Descriptor, Histogram, HistogramConfig, MetricType, NativeConfig};

use crate::prometheus_client::Request;
use crate::{BUCKETS, Kind, Library, Route};

/// The native schema of every arm: 3, eight buckets per power of two (a factor of 1.1).
pub const SCHEMA: i8 = 3;

/// One histogram implementation of the native workloads.
pub trait NativeArm: 'static {
    /// The name the tables print.
    const NAME: &'static str;
    /// A histogram family with the labels and series of [`Library::Histogram`].
    type Histogram: Sync;
    /// A new, empty family.
    fn histogram() -> Self::Histogram;
    /// Observes `value` in the series of `(route, kind)`.
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64);
}

fn family(config: HistogramConfig) -> DenseFamily<(Route, Kind), Histogram> {
    let desc = Descriptor::builder("latency_seconds", MetricType::Histogram, "Latency.")
        .unit("seconds")
        .labels(["route", "kind"])
        .build()
        .unwrap();
    DenseFamily::new(desc, config)
}

fn native() -> NativeConfig {
    NativeConfig::new().with_schema(SCHEMA).unwrap()
}

/// This project's native histogram, native buckets only.
#[derive(Debug)]
pub struct OursNative;

impl NativeArm for OursNative {
    const NAME: &'static str = "promstruct-native";
    type Histogram = DenseFamily<(Route, Kind), Histogram>;

    fn histogram() -> Self::Histogram {
        family(HistogramConfig::native(native()))
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.get((route, kind)).observe(value);
    }
}

/// This project's histogram with the ten classic buckets and native ones beside them.
#[derive(Debug)]
pub struct OursBoth;

impl NativeArm for OursBoth {
    const NAME: &'static str = "promstruct-classic+native";
    type Histogram = DenseFamily<(Route, Kind), Histogram>;

    fn histogram() -> Self::Histogram {
        family(HistogramConfig::classic(Buckets::new(BUCKETS).unwrap()).with_native(native()))
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.get((route, kind)).observe(value);
    }
}

/// This project's classic histogram, the ten buckets: [`crate::ours::Ours`]'s.
#[derive(Debug)]
pub struct OursClassic;

impl NativeArm for OursClassic {
    const NAME: &'static str = "promstruct-classic";
    type Histogram = <crate::ours::Ours as Library>::Histogram;

    fn histogram() -> Self::Histogram {
        crate::ours::Ours::histogram()
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        crate::ours::Ours::observe(histogram, route, kind, value);
    }
}

/// `prometheus-client`'s native histogram (0.25), native buckets only.
#[derive(Debug)]
pub struct PrometheusClientNative;

impl NativeArm for PrometheusClientNative {
    const NAME: &'static str = "prometheus-client-native";
    type Histogram = Family<Request, PcHistogram, fn() -> PcHistogram>;

    fn histogram() -> Self::Histogram {
        Family::new_with_constructor(|| PcHistogram::new_native(NativeHistogramConfig::with_schema(SCHEMA)))
    }

    #[inline]
    fn observe(histogram: &Self::Histogram, route: Route, kind: Kind, value: f64) {
        histogram.get_or_create(&Request::new(route, kind)).observe(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Keys;

    fn observe_all<A: NativeArm>() -> A::Histogram {
        let h = A::histogram();
        let keys = Keys::new(3);
        for i in 0..Keys::LEN {
            let (route, kind, value) = keys.get(i);
            A::observe(&h, route, kind, value);
        }
        h
    }

    #[test]
    fn every_arm_counts_every_observation() {
        let count = |h: &DenseFamily<(Route, Kind), Histogram>| -> u64 {
            Route::ALL.iter().flat_map(|r| Kind::ALL.iter().map(move |k| h.get((*r, *k)).count())).sum()
        };
        assert_eq!(count(&observe_all::<OursNative>()), Keys::LEN as u64);
        assert_eq!(count(&observe_all::<OursBoth>()), Keys::LEN as u64);
        // The classic arm is this project's histogram workload, the `#[metrics]` struct `ours::Latency`.
        let classic = observe_all::<OursClassic>();
        let classic_count: u64 =
            Route::ALL.iter().flat_map(|r| Kind::ALL.iter().map(|k| classic.latency(*r, *k).count())).sum();
        assert_eq!(classic_count, Keys::LEN as u64);
    }
}
