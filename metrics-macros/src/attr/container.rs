//! `#[metrics(...)]`: the namespace, subsystem and runtime crate of a struct.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::{LitStr, Path};

use super::{Attr, crate_path, lit_str, path_text, skip_value, value_expr};
use crate::ctxt::Ctxt;

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
