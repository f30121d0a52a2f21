//! `native(...)`: the native (sparse, exponential) buckets of a histogram, parsed from its metric
//! attribute, checked by the rules of `promstruct-naming` on the token at fault, and written into its
//! `FamilySchema`.
//!
//! ```text
//! #[histogram(native(factor = 1.1, max_buckets = 160, min_reset = "1h", max_zero_threshold = 0.001))]
//! #[histogram(buckets = [0.1, 0.5, 1], native(schema = 3))]
//! ```

use proc_macro2::TokenStream;
use quote::{ToTokens as _, quote};
use syn::{Expr, Lit, LitStr, UnOp};

use crate::attr::strip;
use crate::ctxt::Ctxt;

const FORMS: &str = "`native` takes `factor = 1.1` or `schema = 3` (one of them), `zero_threshold = 1e-9`, \
     `max_buckets = 160`, `min_reset = \"1h\"` and `max_zero_threshold = 0.001`, each optional: `native` alone \
     gives schema 3 with client_golang's defaults";

/// `native(...)` as written and checked.
pub(crate) struct Native {
    schema: i8,
    zero_threshold: Option<f64>,
    max_buckets: Option<u32>,
    min_reset_ms: Option<u64>,
    max_zero_threshold: Option<f64>,
}

fn number(expr: &Expr) -> Option<f64> {
    match strip(expr) {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<f64>().ok(),
        Expr::Lit(syn::ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse::<f64>().ok(),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => number(&u.expr).map(|v| -v),
        _ => None,
    }
}

fn integer(expr: &Expr) -> Option<i64> {
    match strip(expr) {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<i64>().ok(),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => integer(&u.expr).map(|v| -v),
        _ => None,
    }
}

/// Parses `native` or `native(...)`; an option in error is reported on its value and the others still read.
/// `None` if nothing valid came of it.
pub(crate) fn parse(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Option<Native>> {
    if meta.input.peek(syn::Token![=]) {
        let expr: Expr = meta.value()?.parse()?;
        cx.error_spanned_by(&expr, format!("`native` is not given a value; {FORMS}"));
        return Ok(None);
    }
    let mut ok = true;
    let mut resolution: Option<(i8, TokenStream)> = None;
    let mut zero_threshold: Option<(f64, TokenStream)> = None;
    let mut max_zero_threshold: Option<(f64, TokenStream)> = None;
    let mut max_buckets = None;
    let mut min_reset_ms = None;
    if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| {
            let key = &inner.path;
            let expr: Expr = inner.value()?.parse()?;
            let name = key.to_token_stream().to_string();
            let twice = match name.as_str() {
                "factor" | "schema" => resolution.is_some(),
                "zero_threshold" => zero_threshold.is_some(),
                "max_zero_threshold" => max_zero_threshold.is_some(),
                "max_buckets" => max_buckets.is_some(),
                "min_reset" => min_reset_ms.is_some(),
                _ => false,
            };
            if twice {
                let what = if matches!(name.as_str(), "factor" | "schema") {
                    "`native` takes `factor` or `schema`, once: give one of them".to_owned()
                } else {
                    format!("`{name}` is given twice in `native(...)`; give it once")
                };
                cx.error_spanned_by(key, what);
                ok = false;
                return Ok(());
            }
            let tokens = expr.to_token_stream();
            match name.as_str() {
                "factor" => match number(&expr) {
                    Some(f) => match promstruct_naming::native_schema_for_factor(f) {
                        Ok(schema) => resolution = Some((schema, tokens)),
                        Err(e) => fail(cx, &mut ok, &expr, e),
                    },
                    None => fail(cx, &mut ok, &expr, "`factor` takes a number greater than 1, such as `1.1`"),
                },
                "schema" => match integer(&expr) {
                    Some(s) => match promstruct_naming::check_native_schema(s) {
                        Ok(schema) => resolution = Some((schema, tokens)),
                        Err(e) => fail(cx, &mut ok, &expr, e),
                    },
                    None => fail(cx, &mut ok, &expr, "`schema` takes a whole number from -4 to 8, such as `3`"),
                },
                "zero_threshold" | "max_zero_threshold" => {
                    let what = if name == "zero_threshold" { "zero_threshold" } else { "max_zero_threshold" };
                    match number(&expr) {
                        Some(t) => match promstruct_naming::check_native_threshold(what, t) {
                            Ok(()) if what == "zero_threshold" => zero_threshold = Some((t, tokens)),
                            Ok(()) => max_zero_threshold = Some((t, tokens)),
                            Err(e) => fail(cx, &mut ok, &expr, e),
                        },
                        None => fail(cx, &mut ok, &expr, format!("`{what}` takes a number, such as `1e-9`")),
                    }
                }
                "max_buckets" => match integer(&expr).map(u64::try_from) {
                    Some(Ok(n)) => match promstruct_naming::check_native_max_buckets(n) {
                        Ok(n) => max_buckets = Some(n),
                        Err(e) => fail(cx, &mut ok, &expr, e),
                    },
                    Some(Err(_)) => {
                        fail(cx, &mut ok, &expr, "`max_buckets` takes a whole number of at least 1, such as `160`")
                    }
                    None => fail(cx, &mut ok, &expr, "`max_buckets` takes a whole number, such as `160`"),
                },
                "min_reset" => match strip(&expr) {
                    Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => match min_reset(s) {
                        Ok(ms) => min_reset_ms = Some(ms),
                        Err(why) => fail(cx, &mut ok, s, format!("invalid `min_reset` `{}`: {why}", s.value())),
                    },
                    _ => fail(cx, &mut ok, &expr, "`min_reset` takes a string, such as `min_reset = \"1h\"`"),
                },
                _ => {
                    cx.error_spanned_by(key, format!("unknown option `{name}` of `native(...)`; {FORMS}"));
                    ok = false;
                }
            }
            Ok(())
        })?;
    }
    if let (Some((max, tokens)), zero) = (&max_zero_threshold, &zero_threshold) {
        let zero = zero.as_ref().map_or(promstruct_naming::DEFAULT_NATIVE_ZERO_THRESHOLD, |z| z.0);
        if let Err(e) = promstruct_naming::check_native_thresholds(zero, *max) {
            cx.error_spanned_by(tokens, e);
            ok = false;
        }
    }
    Ok(ok.then(|| Native {
        schema: resolution.map_or(promstruct_naming::DEFAULT_NATIVE_SCHEMA, |r| r.0),
        zero_threshold: zero_threshold.map(|z| z.0),
        max_buckets,
        min_reset_ms,
        max_zero_threshold: max_zero_threshold.map(|m| m.0),
    }))
}

fn fail(cx: &Ctxt, ok: &mut bool, at: impl quote::ToTokens, message: impl std::fmt::Display) {
    cx.error_spanned_by(at, message);
    *ok = false;
}

/// A `min_reset`: a duration as a TTL is written, longer than zero.
fn min_reset(lit: &LitStr) -> Result<u64, String> {
    let ms = crate::attr::parse_duration(&lit.value())?;
    promstruct_naming::check_native_min_reset(std::time::Duration::from_millis(ms)).map_err(|e| e.to_string())?;
    Ok(ms)
}

/// `.with_native(...)` for the family's schema, written with the module alias `__p` of `FAMILIES`.
pub(crate) fn schema_tokens(native: &Native) -> TokenStream {
    let schema = proc_macro2::Literal::i8_unsuffixed(native.schema);
    let schema = if native.schema < 0 {
        let abs = proc_macro2::Literal::i8_unsuffixed(-native.schema);
        quote!(-#abs)
    } else {
        quote!(#schema)
    };
    let zero = native.zero_threshold.map(|t| {
        let t = crate::expand::float(t);
        quote!(.with_zero_threshold(#t))
    });
    let max = native.max_buckets.map(|n| {
        let n = crate::expand::int(u64::from(n));
        quote!(.with_max_buckets(#n))
    });
    let reset = native.min_reset_ms.map(|ms| {
        let d = crate::expand::duration(ms);
        quote!(.with_min_reset(#d))
    });
    let max_zero = native.max_zero_threshold.map(|t| {
        let t = crate::expand::float(t);
        quote!(.with_max_zero_threshold(#t))
    });
    quote!(.with_native(__p::NativeSchema::new(#schema)#zero #max #reset #max_zero))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let lit = |s: &str| LitStr::new(s, proc_macro2::Span::call_site());
        assert_eq!(min_reset(&lit("1h")), Ok(3_600_000));
        assert_eq!(min_reset(&lit("90s")), Ok(90_000));
        assert!(min_reset(&lit("0s")).is_err());
        assert!(min_reset(&lit("1 hour")).is_err());
    }
}
