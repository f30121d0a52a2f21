//! Histogram bucket layouts.

use crate::{BucketParam, RuleError};

/// Checks a list of histogram bucket bounds: non-empty, finite, strictly increasing.
pub fn check_buckets(bounds: &[f64]) -> Result<(), RuleError> {
    if bounds.is_empty() {
        return Err(RuleError::BucketsEmpty);
    }
    for (index, &value) in bounds.iter().enumerate() {
        if !value.is_finite() {
            return Err(RuleError::BucketNotFinite { index });
        }
        if index > 0 {
            let previous = bounds[index - 1];
            if value <= previous {
                return Err(RuleError::BucketsUnsorted { index, previous, value });
            }
        }
    }
    Ok(())
}

/// `count` bounds starting at `start`, `width` apart.
pub fn linear_buckets(start: f64, width: f64, count: usize) -> Result<Vec<f64>, RuleError> {
    if count == 0 {
        return Err(RuleError::BucketParams {
            param: BucketParam::Count,
            reason: "linear buckets need a count of at least 1",
        });
    }
    if !start.is_finite() {
        return Err(RuleError::BucketParams {
            param: BucketParam::Start,
            reason: "linear buckets need a finite start",
        });
    }
    if width.is_nan() || width <= 0.0 || !width.is_finite() {
        return Err(RuleError::BucketParams {
            param: BucketParam::Step,
            reason: "linear buckets need a positive, finite width (the distance between two bounds)",
        });
    }
    let bounds: Vec<f64> = (0..count).map(|i| start + width * i as f64).collect();
    check_buckets(&bounds)?;
    Ok(bounds)
}

/// `count` bounds starting at `start`, each `factor` times the one before.
pub fn exponential_buckets(start: f64, factor: f64, count: usize) -> Result<Vec<f64>, RuleError> {
    if count == 0 {
        return Err(RuleError::BucketParams {
            param: BucketParam::Count,
            reason: "exponential buckets need a count of at least 1",
        });
    }
    if start.is_nan() || start <= 0.0 || !start.is_finite() {
        return Err(RuleError::BucketParams {
            param: BucketParam::Start,
            reason: "exponential buckets need a positive, finite start",
        });
    }
    if factor.is_nan() || factor <= 1.0 || !factor.is_finite() {
        return Err(RuleError::BucketParams {
            param: BucketParam::Step,
            reason: "exponential buckets need a finite factor above 1 (each bound is the one before it times the factor)",
        });
    }
    let mut bounds = Vec::with_capacity(count);
    let mut next = start;
    for _ in 0..count {
        bounds.push(next);
        next *= factor;
    }
    check_buckets(&bounds)?;
    Ok(bounds)
}
