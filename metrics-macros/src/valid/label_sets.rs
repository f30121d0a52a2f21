//! The label sets a struct declares in `#[labels]` and the enums deriving `LabelEnum`: their values, each
//! valid and distinct.

use proc_macro2::Span;
use promstruct_naming::RuleError;
use syn::ext::IdentExt;
use syn::{Ident, LitStr};

use super::EnumDef;
use crate::ast::LabelEnumInput;
use crate::attr::LabelEnumDecl;
use crate::ctxt::Ctxt;
use crate::rename::RenameRule;

pub(super) fn label_sets<'c>(cx: &Ctxt, decls: &'c [LabelEnumDecl]) -> Vec<EnumDef<'c>> {
    let mut defs: Vec<EnumDef<'c>> = Vec::new();
    for decl in decls {
        if defs.iter().any(|d| d.decl.ident == decl.ident) {
            cx.error_spanned_by(
                &decl.ident,
                format!("label set `{}` is declared twice in `#[labels]`; keep one declaration", decl.ident),
            );
            continue;
        }
        if decl.variants.is_empty() {
            cx.error_spanned_by(
                &decl.ident,
                format!(
                    "label set `{0}` has no value; list its values: `{0} {{ Variant = \"value\", ... }}`",
                    decl.ident
                ),
            );
        }
        for (i, v) in decl.variants.iter().enumerate() {
            if decl.variants[..i].iter().any(|w| w.ident == v.ident) {
                cx.error_spanned_by(
                    &v.ident,
                    format!("variant `{}` is declared twice in `{}`; keep one", v.ident, decl.ident),
                );
            }
        }
        let values: Vec<String> = decl
            .variants
            .iter()
            .map(|v| match &v.value {
                Some(lit) => lit.value(),
                None => RenameRule::SnakeCase.apply(&v.ident.unraw().to_string()),
            })
            .collect();
        let spans: Vec<Span> =
            decl.variants.iter().map(|v| v.value.as_ref().map_or(v.ident.span(), LitStr::span)).collect();
        let names: Vec<&Ident> = decl.variants.iter().map(|v| &v.ident).collect();
        check_values(cx, &decl.ident, &names, &values, &spans);
        defs.push(EnumDef { decl, values });
    }
    defs
}

/// Reports every value of a label set that is refused or taken by an earlier variant.
fn check_values(cx: &Ctxt, set: &Ident, variants: &[&Ident], values: &[String], spans: &[Span]) {
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    for i in 0..values.len() {
        if let Err((at, e)) = promstruct_naming::check_label_values(&values[..=i]) {
            if at != i {
                continue;
            }
            match e {
                RuleError::DuplicateLabelValue { .. } => {
                    let first = values.iter().position(|v| *v == values[i]).unwrap_or(0);
                    cx.error_at(spans[i], format!("{e} (`{set}::{}` and `{set}::{}`)", variants[first], variants[i]));
                }
                e => cx.error_at(spans[i], e),
            }
        }
    }
}

/// The values of an enum deriving `LabelEnum`.
pub(crate) fn label_enum(cx: &Ctxt, input: &LabelEnumInput<'_>) -> Vec<String> {
    if input.variants.is_empty() {
        cx.error_spanned_by(
            &input.input.ident,
            "a label enum needs at least one variant: its variants are the values the label takes",
        );
    }
    let rule = input.options.rename_all.unwrap_or(RenameRule::SnakeCase);
    let values: Vec<String> = input
        .variants
        .iter()
        .map(|v| match &v.rename {
            Some(lit) => lit.value(),
            None => rule.apply(&v.ident.unraw().to_string()),
        })
        .collect();
    let spans: Vec<Span> =
        input.variants.iter().map(|v| v.rename.as_ref().map_or(v.ident.span(), LitStr::span)).collect();
    let names: Vec<&Ident> = input.variants.iter().map(|v| v.ident).collect();
    check_values(cx, &input.input.ident, &names, &values, &spans);
    values
}
