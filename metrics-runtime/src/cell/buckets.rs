//! [`Buckets`]: the classic bucket bounds of a histogram, checked once and shared by every series of a
//! family, with the canonical `le` text of each bound.

use std::sync::{Arc, OnceLock};

use promstruct_naming::RuleError;

use crate::encoding::canonical_float;

/// The bucket bounds of a histogram, checked once and shared by every series of a family.
///
/// Bounds are finite and strictly increasing; the `+Inf` bucket is implied. The canonical text of each
/// bound (`le="0.25"`) is computed here once, not at every scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets(Arc<BucketsInner>);

#[derive(Debug)]
struct BucketsInner {
    bounds: Box<[f64]>,
    le: Box<[Box<str>]>,
    negative: bool,
    /// The same bounds marked as holding negative values, made once for every series that needs it.
    signed: OnceLock<Buckets>,
}

impl PartialEq for BucketsInner {
    fn eq(&self, other: &Self) -> bool {
        self.bounds == other.bounds
    }
}

impl Buckets {
    /// Buckets with these upper bounds (the `+Inf` bucket is added).
    pub fn new(bounds: impl Into<Vec<f64>>) -> Result<Self, RuleError> {
        let bounds: Vec<f64> = bounds.into();
        promstruct_naming::check_buckets(&bounds)?;
        let le = bounds.iter().map(|b| canonical_float(*b).into_boxed_str()).collect();
        let negative = bounds.first().is_some_and(|b| *b < 0.0);
        Ok(Buckets(Arc::new(BucketsInner { bounds: bounds.into(), le, negative, signed: OnceLock::new() })))
    }

    /// `count` bounds starting at `start`, `width` apart.
    pub fn linear(start: f64, width: f64, count: usize) -> Result<Self, RuleError> {
        Self::new(promstruct_naming::linear_buckets(start, width, count)?)
    }

    /// `count` bounds starting at `start`, each `factor` times the one before.
    pub fn exponential(start: f64, factor: f64, count: usize) -> Result<Self, RuleError> {
        Self::new(promstruct_naming::exponential_buckets(start, factor, count)?)
    }

    /// The finite upper bounds, increasing.
    pub fn bounds(&self) -> &[f64] {
        &self.0.bounds
    }

    /// The number of finite bounds.
    pub fn len(&self) -> usize {
        self.0.bounds.len()
    }

    /// Whether the layout has no finite bound: only for a histogram with native buckets only, whose one
    /// classic bucket is `+Inf` (what the text formats show of it). A layout built with [`Buckets::new`]
    /// has at least one bound.
    pub fn is_empty(&self) -> bool {
        self.0.bounds.is_empty()
    }

    /// The layout with no finite bound, of a histogram with native buckets only.
    pub(crate) fn none() -> Self {
        Buckets(Arc::new(BucketsInner {
            bounds: Box::new([]),
            le: Box::new([]),
            negative: false,
            signed: OnceLock::new(),
        }))
    }

    /// These bounds, marked as holding negative values (what a first negative bound marks): the
    /// OpenMetrics encoder then leaves out `_sum` and `_count`, which OpenMetrics allows only for
    /// histograms whose observations cannot be negative. For a native histogram that observed negative
    /// values.
    pub(crate) fn signed(&self) -> &Buckets {
        if self.0.negative {
            return self;
        }
        self.0.signed.get_or_init(|| {
            Buckets(Arc::new(BucketsInner {
                bounds: self.0.bounds.clone(),
                le: self.0.le.clone(),
                negative: true,
                signed: OnceLock::new(),
            }))
        })
    }

    pub(crate) fn le_texts(&self) -> &[Box<str>] {
        &self.0.le
    }

    pub(crate) fn has_negative(&self) -> bool {
        self.0.negative
    }

    /// The index of the bucket `v` falls in: the first bound `>= v`, or `len()` for `+Inf`.
    #[inline]
    pub(crate) fn index_of(&self, v: f64) -> usize {
        let bounds = &*self.0.bounds;
        if bounds.len() <= 16 {
            // The number of bounds below `v`, counted without a branch per bound: with observations spread
            // over the buckets, the exit of a search loop is mispredicted more often than not.
            bounds.iter().map(|b| usize::from(v > *b)).sum()
        } else {
            bounds.partition_point(|b| *b < v)
        }
    }
}

impl Default for Buckets {
    /// The default buckets of the official clients, for latencies in seconds: 5 ms to 10 s.
    fn default() -> Self {
        Buckets::new(promstruct_naming::DEFAULT_BUCKETS).expect("valid default buckets")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_checked_and_formatted() {
        assert!(Buckets::new([]).is_err());
        assert!(Buckets::new([1.0, 0.5]).is_err());
        assert!(Buckets::new([1.0, 1.0]).is_err());
        assert!(Buckets::new([f64::NAN]).is_err());
        let b = Buckets::new([0.1, 1.0, 1e6]).unwrap();
        assert_eq!(&*b.le_texts()[0], "0.1");
        assert_eq!(&*b.le_texts()[1], "1.0");
        assert_eq!(&*b.le_texts()[2], "1e+06");
        assert_eq!(Buckets::linear(0.0, 0.5, 3).unwrap().bounds(), &[0.0, 0.5, 1.0]);
        assert_eq!(Buckets::exponential(1.0, 10.0, 3).unwrap().bounds(), &[1.0, 10.0, 100.0]);
        assert_eq!(Buckets::default().len(), 11);
    }

    #[test]
    fn native_only_layouts_and_signed_twins() {
        let none = Buckets::none();
        assert!(none.is_empty() && none.le_texts().is_empty());
        assert_eq!(none.index_of(5.0), 0, "every observation in the +Inf bucket");
        let b = Buckets::new([0.5, 1.0]).unwrap();
        assert!(!b.has_negative());
        let signed = b.signed();
        assert!(signed.has_negative());
        assert_eq!(signed.bounds(), b.bounds());
        assert!(std::ptr::eq(b.signed(), signed), "made once, shared");
        let negative = Buckets::new([-1.0, 1.0]).unwrap();
        assert!(std::ptr::eq(negative.signed(), &negative));
    }
}
