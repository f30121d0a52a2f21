//! [`HistogramConfig`]: what every series of a histogram family shares, its classic buckets, its native
//! buckets, or both.

use super::buckets::Buckets;
use super::native::NativeConfig;

/// The buckets of a histogram: classic ones ([`Buckets`]), native ones ([`NativeConfig`]), or both, as
/// client_golang's `HistogramOpts` takes `Buckets` and `NativeHistogramBucketFactor`. With both, a scrape
/// exposes both: the text formats the classic buckets, protobuf the classic and the native ones in one
/// message. A histogram with native buckets only shows, in the text formats, its `_sum`, its `_count` and
/// a `+Inf` bucket, as client_golang does.
///
/// A [`Buckets`] is a configuration of classic buckets only, so every constructor that took bucket bounds
/// takes them still:
///
/// ```
/// use promstruct::cell::{HistogramConfig, NativeConfig};
/// use promstruct::{Buckets, Histogram};
///
/// let classic = Histogram::new(Buckets::default());
/// let native = Histogram::new(NativeConfig::new());
/// let both = Histogram::new(HistogramConfig::classic(Buckets::default()).with_native(NativeConfig::new()));
/// assert!(classic.native_config().is_none());
/// assert!(native.buckets().is_empty() && native.native_config().is_some());
/// assert_eq!(both.buckets().len(), 11);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramConfig {
    buckets: Buckets,
    native: Option<NativeConfig>,
}

impl HistogramConfig {
    /// Classic buckets only.
    pub fn classic(buckets: Buckets) -> Self {
        HistogramConfig { buckets, native: None }
    }

    /// Native buckets only.
    pub fn native(native: NativeConfig) -> Self {
        HistogramConfig { buckets: Buckets::none(), native: Some(native) }
    }

    /// These classic buckets with native ones beside them (or instead of any given before).
    pub fn with_native(mut self, native: NativeConfig) -> Self {
        self.native = Some(native);
        self
    }

    /// The classic buckets; [empty](Buckets::is_empty) for a histogram with native buckets only.
    pub fn buckets(&self) -> &Buckets {
        &self.buckets
    }

    /// The native buckets, if any.
    pub fn native_config(&self) -> Option<&NativeConfig> {
        self.native.as_ref()
    }
}

impl Default for HistogramConfig {
    /// The default classic buckets, 5 ms to 10 s.
    fn default() -> Self {
        HistogramConfig::classic(Buckets::default())
    }
}

impl From<Buckets> for HistogramConfig {
    fn from(buckets: Buckets) -> Self {
        HistogramConfig::classic(buckets)
    }
}

impl From<NativeConfig> for HistogramConfig {
    fn from(native: NativeConfig) -> Self {
        HistogramConfig::native(native)
    }
}
