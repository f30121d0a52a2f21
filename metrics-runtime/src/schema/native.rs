//! [`NativeSchema`]: the native buckets a histogram declares, as its [`FamilySchema`](super::FamilySchema)
//! holds them.

use std::time::Duration;

/// The native (sparse, exponential) buckets declared on a histogram: `native(...)`, with client_golang's
/// options (see [`NativeConfig`](crate::cell::NativeConfig) for what each does). `#[metrics]` checks the
/// values at compile time; a schema built by hand is checked when its family is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeSchema {
    schema: i8,
    zero_threshold: f64,
    max_buckets: Option<u32>,
    min_reset: Option<Duration>,
    max_zero_threshold: f64,
}

impl NativeSchema {
    /// Native buckets at `schema`, with the default zero threshold (2^-128), no bucket limit, never reset,
    /// never widened.
    #[doc(hidden)]
    pub const fn new(schema: i8) -> Self {
        NativeSchema {
            schema,
            zero_threshold: promstruct_naming::DEFAULT_NATIVE_ZERO_THRESHOLD,
            max_buckets: None,
            min_reset: None,
            max_zero_threshold: 0.0,
        }
    }

    /// Sets the zero threshold.
    #[doc(hidden)]
    pub const fn with_zero_threshold(mut self, zero_threshold: f64) -> Self {
        self.zero_threshold = zero_threshold;
        self
    }

    /// Sets the bucket limit.
    #[doc(hidden)]
    pub const fn with_max_buckets(mut self, max_buckets: u32) -> Self {
        self.max_buckets = Some(max_buckets);
        self
    }

    /// Sets the least time between two resets.
    #[doc(hidden)]
    pub const fn with_min_reset(mut self, min_reset: Duration) -> Self {
        self.min_reset = Some(min_reset);
        self
    }

    /// Sets the widest the zero bucket may grow to.
    #[doc(hidden)]
    pub const fn with_max_zero_threshold(mut self, max_zero_threshold: f64) -> Self {
        self.max_zero_threshold = max_zero_threshold;
        self
    }

    /// The schema, from -4 to 8: `2^schema` buckets per power of two (a bucket factor of `2^(2^-schema)`).
    pub const fn schema(&self) -> i8 {
        self.schema
    }

    /// The zero threshold the histogram starts with.
    pub const fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// The most native buckets kept before they are reduced, if limited.
    pub const fn max_buckets(&self) -> Option<u32> {
        self.max_buckets
    }

    /// The least time between two resets of a histogram past its limit, if it resets.
    pub const fn min_reset(&self) -> Option<Duration> {
        self.min_reset
    }

    /// The widest the zero bucket may grow to (0: it never widens).
    pub const fn max_zero_threshold(&self) -> f64 {
        self.max_zero_threshold
    }
}
