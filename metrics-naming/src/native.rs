//! The rules and defaults of native (sparse, exponential) histogram buckets, as client_golang applies
//! them: the schema or the bucket factor it is picked from, the zero bucket's thresholds, the bucket limit
//! and the reset interval. The macro checks declarations with these at compile time, the runtime checks
//! configurations built in code with the same functions.

use std::time::Duration;

use crate::RuleError;

/// The finest native schema: 2^8 = 256 buckets per power of two, a bucket factor of about 1.0027.
pub const NATIVE_SCHEMA_MAX: i8 = 8;

/// The coarsest native schema: each bucket is 2^16 = 65536 times as wide as the one before.
pub const NATIVE_SCHEMA_MIN: i8 = -4;

/// The schema of `native()` when neither `schema` nor `factor` is given: 3, eight buckets per power of
/// two, the one a bucket factor of 1.1 picks, which client_golang's documentation calls a generally good
/// trade-off between cost and accuracy.
pub const DEFAULT_NATIVE_SCHEMA: i8 = 3;

/// The default zero threshold, client_golang's `DefNativeHistogramZeroThreshold`: 2^-128, a bucket
/// boundary at every schema. Observations whose absolute value is at most the threshold count in the zero
/// bucket.
pub const DEFAULT_NATIVE_ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;

/// The schema whose bucket factor (`2^(2^-schema)`) is the largest at most `factor`, as client_golang's
/// `pickSchema` chooses it: a factor below that of the finest schema gives the finest schema (8), one above
/// that of the coarsest gives the coarsest (-4).
pub fn native_schema_for_factor(factor: f64) -> Result<i8, RuleError> {
    if !factor.is_finite() || factor <= 1.0 {
        return Err(RuleError::NativeFactor { factor });
    }
    let floor = factor.log2().log2().floor();
    Ok(if floor <= -f64::from(NATIVE_SCHEMA_MAX) {
        NATIVE_SCHEMA_MAX
    } else if floor >= -f64::from(NATIVE_SCHEMA_MIN) {
        NATIVE_SCHEMA_MIN
    } else {
        // Between -8 and 4 exclusive: a whole number that fits.
        -(floor as i8)
    })
}

/// Checks a native schema: from [`NATIVE_SCHEMA_MIN`] to [`NATIVE_SCHEMA_MAX`].
pub fn check_native_schema(schema: i64) -> Result<i8, RuleError> {
    match i8::try_from(schema) {
        Ok(s) if (NATIVE_SCHEMA_MIN..=NATIVE_SCHEMA_MAX).contains(&s) => Ok(s),
        _ => Err(RuleError::NativeSchema { schema }),
    }
}

/// Checks a zero threshold named `what` (`zero_threshold`, `max_zero_threshold`): finite and not negative.
pub fn check_native_threshold(what: &'static str, value: f64) -> Result<(), RuleError> {
    if value.is_finite() && value >= 0.0 { Ok(()) } else { Err(RuleError::NativeThreshold { what, value }) }
}

/// Checks the zero bucket's two thresholds together: each valid, and the widest the zero bucket may grow to
/// at least as wide as it starts (a maximum below the threshold could never be used). A `max_zero_threshold`
/// of zero, the default, means the zero bucket never widens, and is accepted with any threshold.
pub fn check_native_thresholds(zero_threshold: f64, max_zero_threshold: f64) -> Result<(), RuleError> {
    check_native_threshold("zero_threshold", zero_threshold)?;
    check_native_threshold("max_zero_threshold", max_zero_threshold)?;
    if max_zero_threshold != 0.0 && max_zero_threshold < zero_threshold {
        return Err(RuleError::NativeZeroThresholds { zero_threshold, max_zero_threshold });
    }
    Ok(())
}

/// Checks the most native buckets a histogram keeps before it reduces them: at least 1.
pub fn check_native_max_buckets(max_buckets: u64) -> Result<u32, RuleError> {
    match u32::try_from(max_buckets) {
        Ok(0) | Err(_) => Err(RuleError::NativeMaxBuckets { max_buckets }),
        Ok(n) => Ok(n),
    }
}

/// Checks the least time between two resets of a native histogram that went past its bucket limit:
/// longer than zero (leave the option out for a histogram that never resets).
pub fn check_native_min_reset(min_reset: Duration) -> Result<(), RuleError> {
    if min_reset.is_zero() { Err(RuleError::NativeMinReset) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_pick_client_golang_schemas() {
        assert_eq!(native_schema_for_factor(1.1), Ok(3));
        assert_eq!(native_schema_for_factor(2.0), Ok(0));
        assert_eq!(native_schema_for_factor(4.0), Ok(-1));
        assert_eq!(native_schema_for_factor(1.5), Ok(1));
        // Schema 2's factor is 2^(2^-2) = 1.189...: 1.19 allows it, 1.18 does not.
        assert_eq!(native_schema_for_factor(1.19), Ok(2));
        assert_eq!(native_schema_for_factor(1.18), Ok(3));
        assert_eq!(native_schema_for_factor(1.000_01), Ok(8), "finer than schema 8: the finest");
        assert_eq!(native_schema_for_factor(1e9), Ok(-4), "coarser than schema -4: the coarsest");
        for bad in [1.0, 0.5, -2.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(native_schema_for_factor(bad), Err(RuleError::NativeFactor { .. })), "{bad}");
        }
    }

    #[test]
    fn schemas_thresholds_limits() {
        assert_eq!(check_native_schema(-4), Ok(-4));
        assert_eq!(check_native_schema(8), Ok(8));
        assert_eq!(check_native_schema(9), Err(RuleError::NativeSchema { schema: 9 }));
        assert_eq!(check_native_schema(-5), Err(RuleError::NativeSchema { schema: -5 }));
        assert!(check_native_threshold("zero_threshold", 0.0).is_ok());
        assert!(check_native_threshold("zero_threshold", -1e-9).is_err());
        assert!(check_native_threshold("zero_threshold", f64::NAN).is_err());
        assert!(check_native_thresholds(1e-9, 0.0).is_ok(), "0: never widens");
        assert!(check_native_thresholds(1e-9, 1e-3).is_ok());
        assert_eq!(
            check_native_thresholds(1e-3, 1e-9),
            Err(RuleError::NativeZeroThresholds { zero_threshold: 1e-3, max_zero_threshold: 1e-9 })
        );
        assert_eq!(check_native_max_buckets(160), Ok(160));
        assert_eq!(check_native_max_buckets(0), Err(RuleError::NativeMaxBuckets { max_buckets: 0 }));
        assert!(check_native_max_buckets(u64::MAX).is_err());
        assert_eq!(check_native_min_reset(Duration::ZERO), Err(RuleError::NativeMinReset));
        assert!(check_native_min_reset(Duration::from_secs(3600)).is_ok());
        assert_eq!(DEFAULT_NATIVE_ZERO_THRESHOLD, 2f64.powi(-128));
    }

    #[test]
    fn messages_name_the_fix() {
        let msg = RuleError::NativeSchema { schema: 9 }.to_string();
        assert!(msg.contains("-4") && msg.contains('8'), "{msg}");
        let msg = RuleError::NativeFactor { factor: 1.0 }.to_string();
        assert!(msg.contains("greater than 1"), "{msg}");
        let msg = RuleError::NativeThreshold { what: "zero_threshold", value: -1.0 }.to_string();
        assert!(msg.contains("zero_threshold") && msg.contains("-1"), "{msg}");
    }
}
