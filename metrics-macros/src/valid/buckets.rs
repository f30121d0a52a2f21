//! The bucket bounds of a histogram: its `buckets` checked by the bucket rules, or the default ones (none
//! for a histogram with `native(...)` buckets and no `buckets`).

use promstruct_naming::{BucketParam, RuleError};

use crate::ast::Field;
use crate::attr::BucketsSpec;
use crate::ctxt::Ctxt;

pub(super) fn buckets(cx: &Ctxt, field: &Field<'_>) -> Vec<f64> {
    let Some(spec) = &field.options.buckets else {
        if field.options.native.is_some() {
            return Vec::new();
        }
        return promstruct_naming::DEFAULT_BUCKETS.to_vec();
    };
    match &spec.value {
        BucketsSpec::List(bounds) => {
            let values: Vec<f64> = bounds.iter().map(|(v, _)| *v).collect();
            match promstruct_naming::check_buckets(&values) {
                Ok(()) => return values,
                Err(e @ RuleError::BucketsEmpty) => cx.error_at(
                    spec.key,
                    format!(
                        "{e}; list the bounds, such as `buckets = [0.1, 0.5, 1, 5]`, or leave `buckets` out for \
                         the default ones (5 ms to 10 s)"
                    ),
                ),
                Err(RuleError::BucketNotFinite { index }) => {
                    let (value, tokens) = &bounds[index];
                    let text = tokens.to_string().replace(' ', "");
                    let msg = if value.is_nan() {
                        format!("`{text}` cannot bound a bucket; bounds are finite numbers: give one, or remove it")
                    } else if *value > 0.0 {
                        format!(
                            "remove `{text}`: the `+Inf` bucket is always added after the last bound; bounds are \
                             finite numbers"
                        )
                    } else {
                        format!(
                            "remove `{text}`: the first bucket counts every observation up to the first bound \
                             already; bounds are finite numbers"
                        )
                    };
                    cx.error_spanned_by(tokens, msg);
                }
                Err(e @ RuleError::BucketsUnsorted { index, .. }) => cx.error_spanned_by(&bounds[index].1, e),
                Err(e) => cx.error_at(spec.key, e),
            }
        }
        BucketsSpec::Helper(h) => {
            let result = if h.exponential {
                promstruct_naming::exponential_buckets(h.start, h.step, h.count)
            } else {
                promstruct_naming::linear_buckets(h.start, h.step, h.count)
            };
            match result {
                Ok(bounds) => return bounds,
                Err(e) => {
                    // Report a parameter at fault on that argument, any other fault on the whole call.
                    let at = match &e {
                        RuleError::BucketParams { param: BucketParam::Start, .. } => &h.args[0],
                        RuleError::BucketParams { param: BucketParam::Step, .. } => &h.args[1],
                        RuleError::BucketParams { param: BucketParam::Count, .. } => &h.args[2],
                        _ => &h.call,
                    };
                    cx.error_spanned_by(at, e);
                }
            }
        }
    }
    promstruct_naming::DEFAULT_BUCKETS.to_vec()
}
