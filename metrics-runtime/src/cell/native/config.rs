//! [`NativeConfig`]: the resolution of a histogram's native buckets, its zero bucket, and what it does
//! past its bucket limit; checked by the rules of `promstruct-naming` that `#[metrics]` applies at
//! compile time.

use std::time::Duration;

use promstruct_naming::{
    DEFAULT_NATIVE_SCHEMA, DEFAULT_NATIVE_ZERO_THRESHOLD, RuleError, check_native_max_buckets, check_native_min_reset,
    check_native_schema, check_native_threshold, check_native_thresholds, native_schema_for_factor,
};

use crate::schema::NativeSchema;

/// How a histogram keeps native (sparse, exponential) buckets, with client_golang's options and defaults.
///
/// - **Resolution**: a schema from -4 to 8 ([`with_schema`](Self::with_schema)), or the bucket factor it is
///   picked from ([`with_factor`](Self::with_factor): the largest factor `2^(2^-schema)` at most the one
///   given, as client_golang's `NativeHistogramBucketFactor`). Default: schema 3 (factor 1.1, eight buckets
///   per power of two).
/// - **Zero bucket**: observations whose absolute value is at most the zero threshold count there
///   ([`with_zero_threshold`](Self::with_zero_threshold), default 2^-128 as
///   `DefNativeHistogramZeroThreshold`; 0 counts exact zeros only).
/// - **Bucket limit** ([`with_max_buckets`](Self::with_max_buckets), default none, as client_golang's
///   `NativeHistogramMaxBucketNumber` of 0). Past it, in client_golang's order: if `min_reset`
///   ([`with_min_reset`](Self::with_min_reset)) has passed since the last reset (or the creation), the
///   whole histogram is reset, its classic buckets too; else the zero bucket widens to take the bucket
///   nearest zero, as long as its threshold stays within `max_zero_threshold`
///   ([`with_max_zero_threshold`](Self::with_max_zero_threshold), default 0: it never widens); else the
///   resolution halves (schema - 1, each pair of buckets merged), down to schema -4. With a `min_reset`, a
///   widened or coarsened histogram is reset back to its configuration once `min_reset` has passed since
///   its last reset: at the first scrape, bucket creation or reduction after that time (client_golang resets
///   on a timer at that very time).
///
/// ```
/// use std::time::Duration;
/// use promstruct::cell::NativeConfig;
///
/// let native = NativeConfig::new()
///     .with_factor(1.1)?
///     .with_max_buckets(160)?
///     .with_min_reset(Duration::from_secs(3600))?
///     .with_max_zero_threshold(1e-3)?;
/// assert_eq!(native.schema(), 3);
/// assert!(NativeConfig::new().with_schema(9).is_err());
/// # Ok::<(), promstruct::RuleError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeConfig {
    schema: i8,
    zero_threshold: f64,
    max_buckets: Option<u32>,
    min_reset: Option<Duration>,
    max_zero_threshold: f64,
}

impl Default for NativeConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl NativeConfig {
    /// The defaults: schema 3, zero threshold 2^-128, no bucket limit, never reset, never widened.
    pub const fn new() -> Self {
        NativeConfig {
            schema: DEFAULT_NATIVE_SCHEMA,
            zero_threshold: DEFAULT_NATIVE_ZERO_THRESHOLD,
            max_buckets: None,
            min_reset: None,
            max_zero_threshold: 0.0,
        }
    }

    /// Sets the schema, from -4 (each bucket 65536 times as wide as the one before) to 8 (256 buckets per
    /// power of two).
    pub fn with_schema(mut self, schema: i8) -> Result<Self, RuleError> {
        self.schema = check_native_schema(i64::from(schema))?;
        Ok(self)
    }

    /// Sets the schema from a bucket factor, a finite number greater than 1: the schema whose factor is the
    /// largest at most `factor` (schema 8 for factors below 1.0027, schema -4 above 65536).
    pub fn with_factor(mut self, factor: f64) -> Result<Self, RuleError> {
        self.schema = native_schema_for_factor(factor)?;
        Ok(self)
    }

    /// Sets the zero threshold: finite and not negative, and not above the `max_zero_threshold` if one is
    /// set.
    pub fn with_zero_threshold(mut self, zero_threshold: f64) -> Result<Self, RuleError> {
        check_native_thresholds(zero_threshold, self.max_zero_threshold)?;
        self.zero_threshold = zero_threshold;
        Ok(self)
    }

    /// Sets the most native buckets the histogram keeps before it reduces them (at least 1).
    pub fn with_max_buckets(mut self, max_buckets: u32) -> Result<Self, RuleError> {
        self.max_buckets = Some(check_native_max_buckets(u64::from(max_buckets))?);
        Ok(self)
    }

    /// Sets the least time between two resets of a histogram past its bucket limit (longer than zero).
    pub fn with_min_reset(mut self, min_reset: Duration) -> Result<Self, RuleError> {
        check_native_min_reset(min_reset)?;
        self.min_reset = Some(min_reset);
        Ok(self)
    }

    /// Sets the widest the zero bucket may grow to when the histogram is past its bucket limit: finite, and
    /// at least the zero threshold (0, the default: it never widens).
    pub fn with_max_zero_threshold(mut self, max_zero_threshold: f64) -> Result<Self, RuleError> {
        check_native_threshold("max_zero_threshold", max_zero_threshold)?;
        check_native_thresholds(self.zero_threshold, max_zero_threshold)?;
        self.max_zero_threshold = max_zero_threshold;
        Ok(self)
    }

    /// The schema the histogram starts at (and returns to at each reset).
    pub const fn schema(&self) -> i8 {
        self.schema
    }

    /// The zero threshold the histogram starts with.
    pub const fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// The bucket limit, if any.
    pub const fn max_buckets(&self) -> Option<u32> {
        self.max_buckets
    }

    /// The least time between two resets, if the histogram resets.
    pub const fn min_reset(&self) -> Option<Duration> {
        self.min_reset
    }

    /// The widest the zero bucket may grow to (0: it never widens).
    pub const fn max_zero_threshold(&self) -> f64 {
        self.max_zero_threshold
    }

    /// The configuration a family's schema declares, checked again (a schema built by hand with the
    /// hidden builders is not checked when built).
    pub fn from_schema(native: &NativeSchema) -> Result<Self, RuleError> {
        let mut config = NativeConfig::new().with_schema(native.schema())?;
        config = config.with_zero_threshold(native.zero_threshold())?;
        if native.max_zero_threshold() != 0.0 {
            config = config.with_max_zero_threshold(native.max_zero_threshold())?;
        }
        if let Some(max) = native.max_buckets() {
            config = config.with_max_buckets(max)?;
        }
        if let Some(min_reset) = native.min_reset() {
            config = config.with_min_reset(min_reset)?;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_checks() {
        let c = NativeConfig::new();
        assert_eq!((c.schema(), c.zero_threshold(), c.max_buckets()), (3, 2f64.powi(-128), None));
        assert_eq!((c.min_reset(), c.max_zero_threshold()), (None, 0.0));
        assert_eq!(NativeConfig::new().with_factor(1.1).unwrap().schema(), 3);
        assert_eq!(NativeConfig::new().with_factor(2.0).unwrap().schema(), 0);
        assert!(NativeConfig::new().with_factor(1.0).is_err());
        assert!(NativeConfig::new().with_schema(-5).is_err());
        assert!(NativeConfig::new().with_zero_threshold(-1.0).is_err());
        assert!(NativeConfig::new().with_max_buckets(0).is_err());
        assert!(NativeConfig::new().with_min_reset(Duration::ZERO).is_err());
        assert!(NativeConfig::new().with_zero_threshold(1e-3).unwrap().with_max_zero_threshold(1e-6).is_err());
        assert!(NativeConfig::new().with_max_zero_threshold(1e-6).unwrap().with_zero_threshold(1e-3).is_err());
        let schema = NativeSchema::new(-2).with_zero_threshold(0.0).with_max_buckets(10);
        let c = NativeConfig::from_schema(&schema).unwrap();
        assert_eq!((c.schema(), c.zero_threshold(), c.max_buckets()), (-2, 0.0, Some(10)));
        assert!(NativeConfig::from_schema(&NativeSchema::new(12)).is_err());
    }
}
