//! Parsing the macros' attributes: `#[metrics(...)]`, `#[labels(...)]`, the metric attributes of fields
//! and `#[label(...)]`. Each value is parsed as loosely as syntax allows (any expression), then its shape
//! is checked, so one malformed option is reported without hiding the options after it.

use proc_macro2::{Span, TokenStream};
use promstruct_naming::{Convention, MetricType};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, Ident, Lit, LitStr, Path, Token, Type, UnOp, Visibility, braced, parenthesized};

use crate::ctxt::Ctxt;
use crate::rename::RenameRule;

/// A value with the span of the key that gave it, for errors about the option itself.
pub(crate) struct Spanned<T> {
    pub(crate) key: Span,
    pub(crate) value: T,
}

/// An option that may be given at most once; a second one is reported on its key.
struct Attr<'c, T> {
    cx: &'c Ctxt,
    name: &'static str,
    value: Option<Spanned<T>>,
    seen: bool,
}

impl<'c, T> Attr<'c, T> {
    fn none(cx: &'c Ctxt, name: &'static str) -> Self {
        Attr { cx, name, value: None, seen: false }
    }

    /// Records that the option was given at `key`; false (and an error) if it was given before.
    fn first(&mut self, key: &Path) -> bool {
        if self.seen {
            self.cx.error_spanned_by(key, format!("`{}` is given twice; give it once", self.name));
            return false;
        }
        self.seen = true;
        true
    }

    fn set(&mut self, key: &Path, value: T) {
        self.value = Some(Spanned { key: key.span(), value });
    }

    fn get(self) -> Option<Spanned<T>> {
        self.value
    }

    fn into_value(self) -> Option<T> {
        self.value.map(|s| s.value)
    }
}

/// The arguments of `#[metrics(...)]`.
#[derive(Default)]
pub(crate) struct ContainerArgs {
    pub(crate) namespace: Option<LitStr>,
    pub(crate) subsystem: Option<LitStr>,
    pub(crate) krate: Option<Path>,
}

pub(crate) fn container_args(cx: &Ctxt, args: TokenStream) -> ContainerArgs {
    let mut namespace = Attr::none(cx, "namespace");
    let mut subsystem = Attr::none(cx, "subsystem");
    let mut krate = Attr::none(cx, "crate");
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("namespace") {
            let expr = value_expr(&meta)?;
            if namespace.first(&meta.path) {
                if let Some(lit) = lit_str(cx, &expr, "namespace", "namespace = \"myapp\"") {
                    namespace.set(&meta.path, lit);
                }
            }
        } else if meta.path.is_ident("subsystem") {
            let expr = value_expr(&meta)?;
            if subsystem.first(&meta.path) {
                if let Some(lit) = lit_str(cx, &expr, "subsystem", "subsystem = \"http\"") {
                    subsystem.set(&meta.path, lit);
                }
            }
        } else if meta.path.is_ident("crate") {
            let expr = value_expr(&meta)?;
            if krate.first(&meta.path) {
                if let Some(path) = crate_path(cx, &expr) {
                    krate.set(&meta.path, path);
                }
            }
        } else if meta.path.is_ident("allow") {
            cx.error_spanned_by(
                &meta.path,
                "`allow(...)` goes on the field of the family that breaks a naming convention, such as \
                 `#[gauge(allow(total_suffix))]`, never on the whole struct: each opt-out is named where it applies",
            );
            skip_value(&meta)?;
        } else {
            cx.error_spanned_by(
                &meta.path,
                format!(
                    "unknown argument `{}` of `#[metrics]`; it takes `namespace = \"...\"`, `subsystem = \"...\"` \
                     and `crate = path`",
                    path_text(&meta.path)
                ),
            );
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(e) = parser.parse2(args) {
        cx.syn_error(e);
    }
    ContainerArgs { namespace: namespace.into_value(), subsystem: subsystem.into_value(), krate: krate.into_value() }
}

/// One label set declared in `#[labels(...)]`: `Model { Gpt = "gpt-4o", Claude }`.
pub(crate) struct LabelEnumDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Option<Visibility>,
    pub(crate) ident: Ident,
    pub(crate) variants: Vec<VariantDecl>,
}

/// One value of a declared label set: `Gpt = "gpt-4o"`, or `Claude` for the snake_case of the name.
pub(crate) struct VariantDecl {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) ident: Ident,
    pub(crate) value: Option<LitStr>,
}

/// Adds the expected form of `#[labels]` to a syntax error syn reported.
fn labels_hint(e: syn::Error) -> syn::Error {
    syn::Error::new(
        e.span(),
        format!("{e}; `#[labels]` declares label sets as `Name {{ Variant = \"value\", ... }}, ...`"),
    )
}

/// `T, T, ...` with an optional trailing comma, the separators' errors hinted.
fn comma_separated<T: Parse>(input: ParseStream<'_>) -> syn::Result<Vec<T>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        items.push(input.parse::<T>()?);
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>().map_err(labels_hint)?;
    }
    Ok(items)
}

impl Parse for LabelEnumDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let vis = if matches!(vis, Visibility::Inherited) { None } else { Some(vis) };
        let ident: Ident = input.parse().map_err(labels_hint)?;
        if !input.peek(syn::token::Brace) {
            return Err(input.error(format!(
                "expected the values of `{ident}` in braces: `{ident} {{ Variant = \"value\", ... }}`"
            )));
        }
        let content;
        braced!(content in input);
        let variants = comma_separated(&content)?;
        Ok(LabelEnumDecl { attrs, vis, ident, variants })
    }
}

impl Parse for VariantDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let ident: Ident = input.parse().map_err(labels_hint)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let lit: Lit = input.parse().map_err(|_| {
                syn::Error::new(
                    input.span(),
                    format!("the value of `{ident}` is the exposed label text, a string: `{ident} = \"...\"`"),
                )
            })?;
            match lit {
                Lit::Str(s) => Some(s),
                other => {
                    return Err(syn::Error::new(
                        other.span(),
                        format!("the value of `{ident}` is the exposed label text, a string: `{ident} = \"...\"`"),
                    ));
                }
            }
        } else {
            None
        };
        Ok(VariantDecl { attrs, ident, value })
    }
}

/// The label sets of one `#[labels(...)]` attribute.
pub(crate) fn labels_attr(cx: &Ctxt, attr: &Attribute) -> Vec<LabelEnumDecl> {
    match attr.parse_args_with(comma_separated::<LabelEnumDecl>) {
        Ok(decls) => decls,
        Err(e) => {
            cx.syn_error(e);
            Vec::new()
        }
    }
}

/// One label of a family: `model: Model`.
pub(crate) struct LabelDecl {
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
}

impl Parse for LabelDecl {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let ident = Ident::parse_any(input)?;
        if !input.peek(Token![:]) {
            return Err(input.error(format!(
                "expected `{ident}: Type`: each label is a name and its type (a label enum, or `String`)"
            )));
        }
        input.parse::<Token![:]>()?;
        let ty: Type = input.parse()?;
        Ok(LabelDecl { ident, ty })
    }
}

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
}

/// The options each kind takes, for the message about an unknown one.
fn options_of(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Histogram => {
            "`labels(...)`, `unit`, `buckets`, `name`, `help`, `max_series`, `ttl` and `allow(...)`"
        }
        MetricType::Info => "`labels(...)`, `name`, `help`, `max_series`, `ttl` and `allow(...)`",
        MetricType::Counter | MetricType::Gauge => {
            "`labels(...)`, `unit`, `name`, `help`, `max_series`, `ttl` and `allow(...)`"
        }
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
    }
}

/// Parses a TTL: a whole number and a unit, `ms`, `s`, `m` or `h`; returns milliseconds.
pub(crate) fn parse_ttl(text: &str) -> Result<u64, String> {
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
    let ms = number.checked_mul(factor).ok_or("the duration is too long; give at most a few days")?;
    promstruct_naming::check_ttl(std::time::Duration::from_millis(ms)).map_err(|e| e.to_string())?;
    Ok(ms)
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

const BUCKETS_FORMS: &str = "`buckets` takes a list of bounds (`[0.1, 0.5, 1]`), `linear(start, width, count)` or \
     `exponential(start, factor, count)`";

fn buckets_spec(cx: &Ctxt, expr: &Expr) -> Option<BucketsSpec> {
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

/// Looks through the invisible groups and parentheses a `macro_rules!` caller may wrap values in.
pub(crate) fn strip(expr: &Expr) -> &Expr {
    match expr {
        Expr::Group(g) => strip(&g.expr),
        Expr::Paren(p) => strip(&p.expr),
        other => other,
    }
}

fn value_expr(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Expr> {
    meta.value()?.parse()
}

/// Consumes the value of an option that was reported, so the options after it are still read.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

fn lit_str(cx: &Ctxt, expr: &Expr, what: &str, example: &str) -> Option<LitStr> {
    match strip(expr) {
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(s.clone()),
        _ => {
            cx.error_spanned_by(expr, format!("`{what}` takes a string literal: `{example}`"));
            None
        }
    }
}

fn crate_path(cx: &Ctxt, expr: &Expr) -> Option<Path> {
    match strip(expr) {
        Expr::Path(p) if p.qself.is_none() => Some(p.path.clone()),
        Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => match s.parse::<Path>() {
            Ok(path) => Some(path),
            Err(_) => {
                cx.error_spanned_by(s, "`crate` takes the path of the runtime crate, such as `crate = ::my_metrics`");
                None
            }
        },
        _ => {
            cx.error_spanned_by(expr, "`crate` takes the path of the runtime crate, such as `crate = ::my_metrics`");
            None
        }
    }
}

pub(crate) fn path_text(path: &Path) -> String {
    path.to_token_stream().to_string().replace(' ', "")
}

/// The `#[label(...)]` options of an enum deriving `LabelEnum`.
#[derive(Default)]
pub(crate) struct EnumOptions {
    pub(crate) rename_all: Option<RenameRule>,
    pub(crate) krate: Option<Path>,
}

pub(crate) fn enum_options(cx: &Ctxt, attrs: &[Attribute]) -> EnumOptions {
    let mut rename_all = Attr::none(cx, "rename_all");
    let mut krate = Attr::none(cx, "crate");
    for attr in attrs.iter().filter(|a| a.path().is_ident("label")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename_all") {
                let expr = value_expr(&meta)?;
                if rename_all.first(&meta.path) {
                    if let Some(lit) = lit_str(cx, &expr, "rename_all", "rename_all = \"kebab-case\"") {
                        match RenameRule::ALL.iter().find(|(n, _)| *n == lit.value()) {
                            Some((_, rule)) => rename_all.set(&meta.path, *rule),
                            None => cx.error_spanned_by(
                                &lit,
                                format!(
                                    "unknown `rename_all` rule `{}`; use `snake_case` (the default), \
                                     `kebab-case`, `lowercase` or `SCREAMING_SNAKE_CASE`",
                                    lit.value()
                                ),
                            ),
                        }
                    }
                }
            } else if meta.path.is_ident("crate") {
                let expr = value_expr(&meta)?;
                if krate.first(&meta.path) {
                    if let Some(path) = crate_path(cx, &expr) {
                        krate.set(&meta.path, path);
                    }
                }
            } else if meta.path.is_ident("rename") {
                cx.error_spanned_by(
                    &meta.path,
                    "`rename` goes on a variant; on the enum, `rename_all` sets the rule for every variant",
                );
                skip_value(&meta)?;
            } else {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown option `{}` of `#[label]` on an enum; it takes `rename_all = \"...\"` and \
                         `crate = path`",
                        path_text(&meta.path)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    EnumOptions { rename_all: rename_all.into_value(), krate: krate.into_value() }
}

/// The `rename` of a variant of an enum deriving `LabelEnum`.
pub(crate) fn variant_rename(cx: &Ctxt, attrs: &[Attribute]) -> Option<LitStr> {
    let mut rename = Attr::none(cx, "rename");
    for attr in attrs.iter().filter(|a| a.path().is_ident("label")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let expr = value_expr(&meta)?;
                if rename.first(&meta.path) {
                    if let Some(lit) = lit_str(cx, &expr, "rename", "rename = \"gpt-4o\"") {
                        rename.set(&meta.path, lit);
                    }
                }
            } else {
                cx.error_spanned_by(
                    &meta.path,
                    format!(
                        "unknown option `{}` of `#[label]` on a variant; it takes `rename = \"...\"`",
                        path_text(&meta.path)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    rename.into_value()
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
