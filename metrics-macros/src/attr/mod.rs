//! Parsing the macros' attributes: `#[metrics(...)]` (`container`), `#[labels(...)]` and the labels of a
//! family (`labels`), the metric attributes of fields (`field`) with their bucket specs (`buckets`), and
//! `#[label(...)]` (`enum_options`). Each value is parsed as loosely as syntax allows (any expression), then
//! its shape is checked, so one malformed option is reported without hiding the options after it. This
//! module holds what they share: the at-most-once option and the value helpers.

mod buckets;
mod container;
mod enum_options;
mod field;
mod labels;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::spanned::Spanned as _;
use syn::{Expr, Lit, LitStr, Path, Token, parenthesized};

use crate::ctxt::Ctxt;

pub(crate) use buckets::BucketsSpec;
pub(crate) use container::{ContainerArgs, container_args};
pub(crate) use enum_options::{EnumOptions, enum_options, variant_rename};
pub(crate) use field::{FieldOptions, field_options, parse_duration};
pub(crate) use labels::{LabelEnumDecl, labels_attr};

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
