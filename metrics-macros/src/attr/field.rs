//! The metric attribute of a field, `#[counter(...)]` and the other kinds: its labels, unit, name, help,
//! buckets, `allow(...)` opt-outs, `max_series` and `ttl`.

use proc_macro2::Span;
use promstruct_naming::{Convention, MetricType};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, Ident, Lit, LitStr, Token, parenthesized};

use super::buckets::{BucketsSpec, buckets_spec};
use super::labels::LabelDecl;
use super::{Attr, Spanned, lit_str, path_text, skip_value, strip, value_expr};
use crate::ctxt::Ctxt;

/// The options of a metric attribute: `#[counter(labels(...), unit = "...", ...)]`.
#[derive(Default)]
pub(crate) struct FieldOptions {
    pub(crate) labels: Vec<LabelDecl>,
    pub(crate) unit: Option<LitStr>,
    pub(crate) buckets: Option<Spanned<BucketsSpec>>,
    pub(crate) max_series: Option<Spanned<usize>>,
    pub(crate) ttl: Option<Spanned<u64>>,
    pub(crate) name: Option<LitStr>,
    pub(crate) help: Option<LitStr>,
    /// The naming conventions the family opts out of, each with the span of its name in `allow(...)`.
    pub(crate) allow: Vec<(Convention, Span)>,
    /// The service level objective, `slo(...)`.
    pub(crate) slo: Option<crate::slo::SloSpec>,
    /// The native buckets of a histogram, `native(...)`, checked.
    pub(crate) native: Option<crate::native::Native>,
}

/// The options each kind takes, for the message about an unknown one.
fn options_of(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Histogram => {
            "`labels(...)`, `unit`, `buckets`, `native(...)`, `name`, `help`, `max_series`, `ttl`, `allow(...)` and \
             `slo(...)`"
        }
        MetricType::Info => "`labels(...)`, `name`, `help`, `max_series`, `ttl` and `allow(...)`",
        MetricType::Counter => {
            "`labels(...)`, `unit`, `name`, `help`, `max_series`, `ttl`, `allow(...)` and `slo(...)`"
        }
        MetricType::Gauge => "`labels(...)`, `unit`, `name`, `help`, `max_series`, `ttl` and `allow(...)`",
    }
}

/// The conventions `allow(...)` takes, for messages.
fn convention_names() -> String {
    let names: Vec<String> = Convention::ALL.iter().map(|c| format!("`{}`", c.name())).collect();
    names.join(", ")
}

/// `allow(total_suffix, type_word)`: the conventions named, each once; unknown names reported on the name.
fn allow_list(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Vec<(Convention, Span)>> {
    if !meta.input.peek(syn::token::Paren) {
        cx.error_spanned_by(
            &meta.path,
            format!(
                "`allow` names the naming conventions this family breaks in parentheses, such as \
                 `allow(total_suffix)`; it takes {}",
                convention_names()
            ),
        );
        skip_value(meta)?;
        return Ok(Vec::new());
    }
    let content;
    parenthesized!(content in meta.input);
    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
    let mut allowed: Vec<(Convention, Span)> = Vec::new();
    for name in &names {
        let text = name.unraw().to_string();
        match Convention::from_name(&text) {
            Some(c) if allowed.iter().any(|(a, _)| *a == c) => {
                cx.error_spanned_by(name, format!("`{text}` is allowed twice; name it once"));
            }
            Some(c) => allowed.push((c, name.span())),
            None => cx.error_spanned_by(
                name,
                format!("unknown naming convention `{text}` in `allow(...)`; it takes {}", convention_names()),
            ),
        }
    }
    if names.is_empty() {
        cx.error_spanned_by(&meta.path, format!("`allow()` names no convention; it takes {}", convention_names()));
    }
    Ok(allowed)
}

/// The options of the metric attribute `attr` of a field of `kind`.
pub(crate) fn field_options(cx: &Ctxt, kind: MetricType, attr: &Attribute) -> FieldOptions {
    let mut labels = Attr::none(cx, "labels");
    let mut unit = Attr::none(cx, "unit");
    let mut buckets = Attr::none(cx, "buckets");
    let mut max_series = Attr::none(cx, "max_series");
    let mut ttl = Attr::none(cx, "ttl");
    let mut name = Attr::none(cx, "name");
    let mut help = Attr::none(cx, "help");
    let mut allow = Attr::none(cx, "allow");
    let mut slo = Attr::none(cx, "slo");
    let mut native = Attr::none(cx, "native");
    let attr_name = path_text(attr.path());
    match &attr.meta {
        syn::Meta::Path(_) => return FieldOptions::default(),
        syn::Meta::NameValue(nv) => {
            cx.error_spanned_by(
                nv,
                format!("`#[{attr_name} = ...]` is not a form this attribute takes; write `#[{attr_name}]` or `#[{attr_name}(option, ...)]`"),
            );
            return FieldOptions::default();
        }
        syn::Meta::List(_) => {}
    }
    let result = attr.parse_nested_meta(|meta| {
        let key = &meta.path;
        if key.is_ident("labels") {
            if !meta.input.peek(syn::token::Paren) {
                cx.error_spanned_by(
                    key,
                    "`labels` lists the labels in parentheses: `labels(model: Model, agent: String)`",
                );
                return skip_value(&meta);
            }
            let content;
            parenthesized!(content in meta.input);
            let decls = Punctuated::<LabelDecl, Token![,]>::parse_terminated(&content)?;
            if labels.first(key) {
                labels.set(key, decls.into_iter().collect::<Vec<_>>());
            }
        } else if key.is_ident("unit") {
            let expr = value_expr(&meta)?;
            if unit.first(key) {
                if let Some(lit) = lit_str(cx, &expr, "unit", "unit = \"seconds\"") {
                    unit.set(key, lit);
                }
            }
        } else if key.is_ident("name") {
            let expr = value_expr(&meta)?;
            if name.first(key) {
                if let Some(lit) = lit_str(cx, &expr, "name", "name = \"requests\"") {
                    name.set(key, lit);
                }
            }
        } else if key.is_ident("help") {
            let expr = value_expr(&meta)?;
            if help.first(key) {
                if let Some(lit) = lit_str(cx, &expr, "help", "help = \"What it counts.\"") {
                    help.set(key, lit);
                }
            }
        } else if key.is_ident("buckets") && kind == MetricType::Histogram {
            let expr = value_expr(&meta)?;
            if buckets.first(key) {
                if let Some(spec) = buckets_spec(cx, &expr) {
                    buckets.set(key, spec);
                }
            }
        } else if key.is_ident("native") && kind == MetricType::Histogram {
            let first = native.first(key);
            if let Some(spec) = crate::native::parse(cx, &meta)? {
                if first {
                    native.set(key, spec);
                }
            }
        } else if key.is_ident("native") {
            cx.error_spanned_by(
                key,
                "`native` buckets apply to histograms only; remove it, or make the field a `#[histogram]`",
            );
            skip_value(&meta)?;
        } else if key.is_ident("buckets") {
            cx.error_spanned_by(
                key,
                "`buckets` applies to histograms only; remove it, or make the field a `#[histogram]`",
            );
            skip_value(&meta)?;
        } else if key.is_ident("allow") {
            let list = allow_list(cx, &meta)?;
            if allow.first(key) {
                allow.set(key, list);
            }
        } else if key.is_ident("slo") && matches!(kind, MetricType::Counter | MetricType::Histogram) {
            let first = slo.first(key);
            if let Some(spec) = crate::slo::parse(cx, &meta)? {
                if first {
                    slo.set(key, spec);
                }
            }
        } else if key.is_ident("max_series") {
            let expr = value_expr(&meta)?;
            if max_series.first(key) {
                if let Some(n) = max_series_value(cx, &expr) {
                    max_series.set(key, n);
                }
            }
        } else if key.is_ident("ttl") {
            let expr = value_expr(&meta)?;
            if ttl.first(key) {
                if let Some(lit) = lit_str(cx, &expr, "ttl", "ttl = \"5m\"") {
                    match parse_ttl(&lit.value()) {
                        Ok(ms) => ttl.set(key, ms),
                        Err(why) => cx.error_spanned_by(&lit, format!("invalid ttl `{}`: {why}", lit.value())),
                    }
                }
            }
        } else {
            cx.error_spanned_by(
                key,
                format!("unknown option `{}` of `#[{attr_name}]`; it takes {}", path_text(key), options_of(kind)),
            );
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        cx.syn_error(e);
    }
    FieldOptions {
        labels: labels.into_value().unwrap_or_default(),
        unit: unit.into_value(),
        buckets: buckets.get(),
        max_series: max_series.get(),
        ttl: ttl.get(),
        name: name.into_value(),
        help: help.into_value(),
        allow: allow.into_value().unwrap_or_default(),
        slo: slo.into_value(),
        native: native.into_value(),
    }
}

/// Parses a TTL: a whole number and a unit, `ms`, `s`, `m` or `h`; returns milliseconds.
pub(crate) fn parse_ttl(text: &str) -> Result<u64, String> {
    let ms = parse_duration(text)?;
    promstruct_naming::check_ttl(std::time::Duration::from_millis(ms)).map_err(|e| e.to_string())?;
    Ok(ms)
}

/// Parses a duration: a whole number and a unit, `ms`, `s`, `m` or `h`; returns milliseconds.
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    const HOW: &str = "write a whole number followed by `ms`, `s`, `m` or `h`, such as `\"30s\"` or `\"5m\"`";
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let factor: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(HOW.to_owned()),
    };
    let number: u64 = number.parse().map_err(|_| HOW.to_owned())?;
    Ok(number.checked_mul(factor).ok_or("the duration is too long; give at most a few days")?)
}

fn max_series_value(cx: &Ctxt, expr: &Expr) -> Option<usize> {
    let n = match strip(expr) {
        Expr::Lit(syn::ExprLit { lit: Lit::Int(i), .. }) => match i.base10_parse::<usize>() {
            Ok(n) => n,
            Err(_) => {
                cx.error_spanned_by(expr, "`max_series` is too large for a `usize`");
                return None;
            }
        },
        _ => {
            cx.error_spanned_by(expr, "`max_series` takes a whole number, such as `max_series = 500`");
            return None;
        }
    };
    if let Err(e) = promstruct_naming::check_series_limit("max_series", n) {
        cx.error_spanned_by(expr, e);
        return None;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls() {
        assert_eq!(parse_ttl("30s"), Ok(30_000));
        assert_eq!(parse_ttl("5m"), Ok(300_000));
        assert_eq!(parse_ttl("1h"), Ok(3_600_000));
        assert_eq!(parse_ttl("250ms"), Ok(250));
        for bad in ["", "30", "s", "1.5s", "-1s", "5 m", "5min", "0s"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }
}
