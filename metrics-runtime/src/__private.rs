//! What `#[metrics]` and `#[derive(LabelEnum)]` expand to refer to, by absolute path, so that the
//! generated code works whatever the user imported or shadowed. Not a public API.

pub use crate::cell::{Buckets, Counter, CounterRef, FloatCounter, FloatGauge, Gauge, Histogram, Info, Metric};
pub use crate::encoding::Encoder;
pub use crate::family::{DenseFamily, OpenFamily, OpenOptions, SeriesBudget, SeriesRef};
pub use crate::label::{LabelEnum, LabelSet};
pub use crate::registry::Collect;
pub use crate::schema::{FamilySchema, LabelSchema, NativeSchema, SchemaConfig, SloIndicator, SloSchema};
pub use crate::{Descriptor, MetricType};
pub use core::default::Default;
pub use core::ops::FnMut;
pub use core::option::Option::{self, None, Some};
pub use core::time::Duration;

/// The bucket layout of a histogram whose bounds `#[metrics]` checked at compile time.
///
/// # Panics
/// If the bounds break the rules, which the macro refused already: never for generated code.
pub fn buckets(bounds: &[f64]) -> Buckets {
    match Buckets::new(bounds) {
        Ok(buckets) => buckets,
        Err(e) => panic!("bucket bounds checked by #[metrics] were refused at run time: {e}"),
    }
}

/// Compiles only if `T` is a label enum: the expansion names every label type that `#[labels]` did not
/// declare here, spanned on the user's type, so a wrong type is reported where it is written.
pub const fn assert_label_enum<T: LabelEnum>() {}

/// Compiles only if the label enum `T` takes `value`: the expansion checks the values an `slo(errors = ...)`
/// names on a label type declared outside the struct, whose values the macro cannot see.
///
/// # Panics
/// At compile time (the call is a constant), if `T` has no value `value`.
pub const fn assert_label_value<T: LabelEnum>(value: &str) {
    let mut i = 0;
    while i < T::VALUES.len() {
        if str_eq(T::VALUES[i], value) {
            return;
        }
        i += 1;
    }
    panic!("the label enum of this SLO's `errors` label does not take this value");
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
