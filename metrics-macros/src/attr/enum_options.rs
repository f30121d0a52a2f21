//! `#[label(...)]` on an enum deriving `LabelEnum` and on its variants.

use syn::{Attribute, LitStr, Path};

use super::{Attr, crate_path, lit_str, path_text, skip_value, value_expr};
use crate::ctxt::Ctxt;
use crate::rename::RenameRule;

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
