//! `buckets = ...` of a histogram: a list of bounds or a call of a bucket helper, as written.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Expr, Lit, UnOp};

use super::strip;
use crate::ctxt::Ctxt;

/// The bucket bounds of a histogram as written.
pub(crate) enum BucketsSpec {
    /// `[0.1, 0.5, 1]`: each bound with the tokens of its expression, to report a bound where it is written.
    List(Vec<(f64, TokenStream)>),
    /// `linear(start, width, count)` or `exponential(start, factor, count)`.
    Helper(BucketHelper),
}

/// A call of a bucket helper, with the tokens of the call and of each argument for errors.
pub(crate) struct BucketHelper {
    pub(crate) exponential: bool,
    pub(crate) start: f64,
    /// The width of linear buckets, the factor of exponential ones.
    pub(crate) step: f64,
    pub(crate) count: usize,
    pub(crate) call: TokenStream,
    /// `start`, `width` or `factor`, and `count`, as written.
    pub(crate) args: [TokenStream; 3],
}

const BUCKETS_FORMS: &str = "`buckets` takes a list of bounds (`[0.1, 0.5, 1]`), `linear(start, width, count)` or \
     `exponential(start, factor, count)`";

pub(super) fn buckets_spec(cx: &Ctxt, expr: &Expr) -> Option<BucketsSpec> {
    match strip(expr) {
        Expr::Array(array) => {
            let mut bounds = Vec::with_capacity(array.elems.len());
            let mut ok = true;
            for elem in &array.elems {
                match number(elem) {
                    Some(v) => bounds.push((v, elem.to_token_stream())),
                    None => {
                        cx.error_spanned_by(elem, "a bucket bound is a number, such as `0.25` or `10`");
                        ok = false;
                    }
                }
            }
            ok.then_some(BucketsSpec::List(bounds))
        }
        Expr::Call(call) => {
            let helper = match strip(&call.func) {
                Expr::Path(p) if p.path.is_ident("linear") => "linear",
                Expr::Path(p) if p.path.is_ident("exponential") => "exponential",
                other => {
                    let name = other.to_token_stream().to_string().replace(' ', "");
                    cx.error_spanned_by(&call.func, format!("unknown bucket helper `{name}`; {BUCKETS_FORMS}"));
                    return None;
                }
            };
            let second = if helper == "linear" { "width" } else { "factor" };
            if call.args.len() != 3 {
                cx.error_spanned_by(
                    call,
                    format!("`{helper}` takes three arguments: `{helper}(start, {second}, count)`"),
                );
                return None;
            }
            let start = number(&call.args[0]);
            let step = number(&call.args[1]);
            let count = match strip(&call.args[2]) {
                Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<usize>().ok(),
                _ => None,
            };
            for (arg, ok, what) in [
                (&call.args[0], start.is_some(), "the start is a number, such as `0.1`"),
                (&call.args[1], step.is_some(), "this is a number, such as `0.1` or `2`"),
                (&call.args[2], count.is_some(), "the count is a whole number of bounds, such as `10`"),
            ] {
                if !ok {
                    cx.error_spanned_by(arg, what);
                }
            }
            let (start, step, count) = (start?, step?, count?);
            Some(BucketsSpec::Helper(BucketHelper {
                exponential: helper == "exponential",
                start,
                step,
                count,
                call: call.to_token_stream(),
                args: [0, 1, 2].map(|i| call.args[i].to_token_stream()),
            }))
        }
        _ => {
            cx.error_spanned_by(expr, BUCKETS_FORMS);
            None
        }
    }
}

/// A number literal, possibly negative, or one of `f64::NAN`, `f64::INFINITY`, `f64::NEG_INFINITY` (so
/// that a bound that is not finite is refused by the bucket rule, with its message).
fn number(expr: &Expr) -> Option<f64> {
    match strip(expr) {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<f64>().ok(),
        Expr::Lit(syn::ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse::<f64>().ok(),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => number(&u.expr).map(|v| -v),
        Expr::Path(p) if p.qself.is_none() => {
            let segments: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
            let n = segments.len();
            if n < 2 || segments[n - 2] != "f64" {
                return None;
            }
            match segments[n - 1].as_str() {
                "NAN" => Some(f64::NAN),
                "INFINITY" => Some(f64::INFINITY),
                "NEG_INFINITY" => Some(f64::NEG_INFINITY),
                _ => None,
            }
        }
        _ => None,
    }
}
