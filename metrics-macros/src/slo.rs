//! `slo(...)`: the service level objective a family measures, parsed from the field's metric attribute,
//! checked against the family (the threshold is one of its buckets, the label and its values exist) and
//! written into its `FamilySchema`.
//!
//! ```text
//! #[histogram(buckets = [0.1, 0.5, 1], slo(latency = 0.5, objective = 0.99))]
//! #[counter(labels(status: Status), slo(errors = status("error", "timeout"), objective = 0.999, window = "28d"))]
//! ```

use proc_macro2::TokenStream;
use promstruct_naming::MetricType;
use quote::{ToTokens as _, quote};
use syn::{Expr, Lit, LitStr, UnOp};

use crate::ctxt::Ctxt;
use crate::valid::{EnumDef, Label, LabelType};

const FORMS: &str = "`slo` takes `latency = <bucket bound>` (a histogram) or `errors = <label>(\"value\", ...)` (a \
     counter), an `objective` such as `0.99`, and optionally a `window` such as `\"30d\"`";

/// `slo(...)` as written.
pub(crate) struct SloSpec {
    /// The `slo` key, for errors about the whole objective.
    key: TokenStream,
    latency: Option<(f64, TokenStream)>,
    errors: Option<ErrorsSpec>,
    objective: Option<(f64, TokenStream)>,
    window: Option<(u64, LitStr)>,
}

/// `errors = status("error", "timeout")`.
struct ErrorsSpec {
    label: syn::Ident,
    values: Vec<LitStr>,
    call: TokenStream,
}

/// A checked objective, ready to expand.
pub(crate) struct Slo<'c> {
    indicator: Indicator<'c>,
    objective: f64,
    window_ms: Option<u64>,
}

enum Indicator<'c> {
    Latency(f64),
    Errors {
        label: String,
        values: Vec<LitStr>,
        /// The label's type when it is declared outside `#[labels]`: its values are checked by a constant
        /// assertion, since the macro cannot see them.
        user: Option<&'c syn::Type>,
    },
}

fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(g) => strip(&g.expr),
        Expr::Paren(p) => strip(&p.expr),
        other => other,
    }
}

fn number(expr: &Expr) -> Option<f64> {
    match strip(expr) {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => i.base10_parse::<f64>().ok(),
        Expr::Lit(syn::ExprLit { lit: Lit::Float(f), .. }) => f.base10_parse::<f64>().ok(),
        Expr::Unary(u) if matches!(u.op, UnOp::Neg(_)) => number(&u.expr).map(|v| -v),
        _ => None,
    }
}

/// Parses a window: a whole number and a unit, `m`, `h` or `d`; returns milliseconds.
fn parse_window(text: &str) -> Result<u64, &'static str> {
    const HOW: &str = "write a whole number followed by `m`, `h` or `d`, such as `\"30d\"` or `\"12h\"`";
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let factor: u64 = match unit {
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(HOW),
    };
    match number.parse::<u64>().map_err(|_| HOW)?.checked_mul(factor) {
        Some(0) => Err("an SLO window of zero holds no event; give a positive duration"),
        // Past a year, the budget is never spent before the process is redeployed.
        Some(ms) if ms <= 366 * 86_400_000 => Ok(ms),
        _ => Err("the window is too long; give at most a year"),
    }
}

/// Parses `slo(...)`; errors inside are reported and the objective dropped, the other options still read.
pub(crate) fn parse(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Option<SloSpec>> {
    let key = meta.path.to_token_stream();
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(&meta.path, FORMS);
        if meta.input.peek(syn::Token![=]) {
            meta.value()?.parse::<Expr>()?;
        }
        return Ok(None);
    }
    let mut spec = SloSpec { key, latency: None, errors: None, objective: None, window: None };
    let mut ok = true;
    meta.parse_nested_meta(|inner| {
        let key = &inner.path;
        let expr: Expr = inner.value()?.parse()?;
        let twice = |given: bool| {
            if given {
                cx.error_spanned_by(key, format!("`{}` is given twice in `slo(...)`", key.to_token_stream()));
            }
            given
        };
        if key.is_ident("latency") {
            match number(&expr) {
                Some(v) if !twice(spec.latency.is_some()) => spec.latency = Some((v, expr.to_token_stream())),
                Some(_) => ok = false,
                None => {
                    cx.error_spanned_by(&expr, "`latency` takes a bucket bound, such as `latency = 0.5`");
                    ok = false;
                }
            }
        } else if key.is_ident("objective") {
            match number(&expr) {
                Some(v) if v > 0.0 && v < 1.0 => {
                    if !twice(spec.objective.is_some()) {
                        spec.objective = Some((v, expr.to_token_stream()));
                    }
                }
                _ => {
                    cx.error_spanned_by(
                        &expr,
                        "`objective` is the share of good events, strictly between 0 and 1, such as `0.99`",
                    );
                    ok = false;
                }
            }
        } else if key.is_ident("window") {
            match strip(&expr) {
                Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => match parse_window(&s.value()) {
                    Ok(ms) if !twice(spec.window.is_some()) => spec.window = Some((ms, s.clone())),
                    Ok(_) => {}
                    Err(why) => {
                        cx.error_spanned_by(s, format!("invalid SLO window `{}`: {why}", s.value()));
                        ok = false;
                    }
                },
                _ => {
                    cx.error_spanned_by(&expr, "`window` takes a string, such as `window = \"30d\"`");
                    ok = false;
                }
            }
        } else if key.is_ident("errors") {
            match errors_spec(cx, &expr) {
                Some(errors) if !twice(spec.errors.is_some()) => spec.errors = Some(errors),
                Some(_) => {}
                None => ok = false,
            }
        } else {
            cx.error_spanned_by(key, format!("unknown option `{}` of `slo(...)`; {FORMS}", key.to_token_stream()));
            ok = false;
        }
        Ok(())
    })?;
    Ok(ok.then_some(spec))
}

fn errors_spec(cx: &Ctxt, expr: &Expr) -> Option<ErrorsSpec> {
    const HOW: &str =
        "`errors` names the label and its values that mark a bad event, such as `errors = status(\"error\")`";
    let Expr::Call(call) = strip(expr) else {
        cx.error_spanned_by(expr, HOW);
        return None;
    };
    let label = match strip(&call.func) {
        Expr::Path(p) if p.qself.is_none() && p.path.get_ident().is_some() => p.path.get_ident().cloned(),
        _ => None,
    };
    let Some(label) = label else {
        cx.error_spanned_by(&call.func, HOW);
        return None;
    };
    let mut values = Vec::with_capacity(call.args.len());
    for arg in &call.args {
        match strip(arg) {
            Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => values.push(s.clone()),
            other => {
                cx.error_spanned_by(other, "a label value is a string, such as `\"error\"`");
                return None;
            }
        }
    }
    if values.is_empty() {
        cx.error_spanned_by(call, "`errors` names at least one label value, such as `status(\"error\")`");
        return None;
    }
    Some(ErrorsSpec { label, values, call: call.to_token_stream() })
}

/// Checks `spec` against the family: the indicator fits the kind, the threshold is a bucket bound, the label
/// is one of the family's enum labels and takes every value named.
pub(crate) fn check<'c>(
    cx: &Ctxt,
    spec: &SloSpec,
    kind: MetricType,
    buckets: &[f64],
    labels: &[Label<'c>],
    enums: &[EnumDef<'_>],
) -> Option<Slo<'c>> {
    let Some((objective, _)) = spec.objective else {
        cx.error_spanned_by(&spec.key, "`slo(...)` needs an `objective`, the share of good events, such as `0.99`");
        return None;
    };
    let indicator = match (&spec.latency, &spec.errors) {
        (Some(_), Some(errors)) => {
            cx.error_spanned_by(&errors.call, "an `slo` takes `latency` or `errors`, not both: declare one");
            return None;
        }
        (None, None) => {
            cx.error_spanned_by(&spec.key, FORMS);
            return None;
        }
        (Some((threshold, tokens)), None) => {
            if kind != MetricType::Histogram {
                cx.error_spanned_by(tokens, format!("a `latency` objective needs a histogram; this is a {kind}"));
                return None;
            }
            if buckets.is_empty() {
                cx.error_spanned_by(
                    tokens,
                    "this histogram has native buckets only, and an SLO threshold must be a classic bucket bound \
                     (the share of good events is exact only there): add `buckets = [...]` with the threshold \
                     among them, beside `native(...)`",
                );
                return None;
            }
            if !buckets.contains(threshold) {
                let bounds: Vec<String> = buckets.iter().map(f64::to_string).collect();
                cx.error_spanned_by(
                    tokens,
                    format!(
                        "{threshold} is not a bucket bound of this histogram ({}); an SLO threshold must be one, \
                         so that the share of good events is exact: add it to `buckets` or pick a bound",
                        bounds.join(", ")
                    ),
                );
                return None;
            }
            Indicator::Latency(*threshold)
        }
        (None, Some(errors)) => {
            if kind != MetricType::Counter {
                cx.error_spanned_by(&errors.call, format!("an `errors` objective needs a counter; this is a {kind}"));
                return None;
            }
            errors_indicator(cx, errors, labels, enums)?
        }
    };
    Some(Slo { indicator, objective, window_ms: spec.window.as_ref().map(|(ms, _)| *ms) })
}

fn errors_indicator<'c>(
    cx: &Ctxt,
    errors: &ErrorsSpec,
    labels: &[Label<'c>],
    enums: &[EnumDef<'_>],
) -> Option<Indicator<'c>> {
    let name = errors.label.to_string();
    let Some(label) = labels.iter().find(|l| l.name == name) else {
        let names: Vec<String> = labels.iter().map(|l| format!("`{}`", l.name)).collect();
        let has = if names.is_empty() { "no label".to_owned() } else { names.join(", ") };
        cx.error_spanned_by(&errors.label, format!("this family has no label `{name}`; it has {has}"));
        return None;
    };
    let user = match label.ty {
        LabelType::Open => {
            cx.error_spanned_by(
                &errors.label,
                format!("`{name}` is an open label, whose values are unknown until run time; an SLO's `errors` label must be an enum"),
            );
            return None;
        }
        LabelType::Declared(ident) => {
            let def = enums.iter().find(|e| e.decl.ident == *ident)?;
            let mut ok = true;
            for value in &errors.values {
                if !def.values.contains(&value.value()) {
                    let known: Vec<String> = def.values.iter().map(|v| format!("`{v}`")).collect();
                    cx.error_spanned_by(
                        value,
                        format!("`{name}` never takes `{}`; its values are {}", value.value(), known.join(", ")),
                    );
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
            None
        }
        LabelType::User(ty) => Some(ty),
    };
    Some(Indicator::Errors { label: name, values: errors.values.clone(), user })
}

/// `.with_slo(...)` for the family's schema, written with the module alias `__p` of `FAMILIES`.
pub(crate) fn schema_tokens(slo: &Slo<'_>) -> TokenStream {
    let objective = crate::expand::float(slo.objective);
    let indicator = match &slo.indicator {
        Indicator::Latency(threshold) => {
            let threshold = crate::expand::float(*threshold);
            quote!(__p::SloIndicator::Latency { threshold: #threshold })
        }
        Indicator::Errors { label, values, .. } => {
            quote!(__p::SloIndicator::Errors { label: #label, values: &[#(#values),*] })
        }
    };
    let window = slo.window_ms.map(|ms| {
        let secs = crate::expand::int(ms / 1000);
        quote!(.with_window(__p::Duration::from_secs(#secs)))
    });
    quote!(.with_slo(__p::SloSchema::new(#indicator, #objective)#window))
}

/// The constant assertions that the values of an `errors` label declared outside `#[labels]` exist, each
/// reported on the value, in `rt`'s terms.
pub(crate) fn assertions(rt: &TokenStream, slo: &Slo<'_>) -> TokenStream {
    let Indicator::Errors { values, user: Some(ty), .. } = &slo.indicator else {
        return TokenStream::new();
    };
    let checks = values.iter().map(|value| {
        // Every token on the value, so that the constant's failure is reported there.
        crate::expand::respan(quote!(const _: () = #rt::assert_label_value::<#ty>(#value);), value.span())
    });
    quote!(#(#checks)*)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("30d"), Ok(30 * 86_400_000));
        assert_eq!(parse_window("12h"), Ok(12 * 3_600_000));
        assert_eq!(parse_window("90m"), Ok(90 * 60_000));
        for bad in ["", "30", "d", "0d", "30s", "400d", "1.5d"] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
    }
}
