//! The `#[metrics]` attribute and `#[derive(LabelEnum)]` of `promstruct`, which re-exports them.
//!
//! Each macro runs in three steps, one module each: `ast` and `attr` read the input into a model that
//! keeps every span; `valid` applies the naming rules of `promstruct-naming` (the very functions the runtime
//! checks metrics defined at run time with) and the rules that span several attributes; `expand` writes a
//! thin expansion onto generic runtime code. Every error is collected and reported at once, on the tokens
//! at fault, beside a best-effort expansion so that one mistake is not buried under follow-on errors.
//!
//! See `promstruct::metrics` for the syntax.
#![forbid(unsafe_code)]

mod ast;
mod attr;
mod ctxt;
mod docs;
mod expand;
mod fallback;
mod native;
mod rename;
mod slo;
mod valid;

use proc_macro::TokenStream;
use quote::{ToTokens, quote};
use syn::{Fields, Item};

use crate::ast::{Container, LabelEnumInput};
use crate::ctxt::Ctxt;

/// Declares a struct whose fields are metric families; see `promstruct::metrics` for the syntax.
#[proc_macro_attribute]
pub fn metrics(args: TokenStream, input: TokenStream) -> TokenStream {
    expand_metrics(args.into(), input.into()).into()
}

/// Implements `LabelEnum` for a fieldless enum; see `promstruct::LabelEnum` for the options.
#[proc_macro_derive(LabelEnum, attributes(label))]
pub fn derive_label_enum(input: TokenStream) -> TokenStream {
    expand_label_enum(input.into()).into()
}

/// `#[metrics]` on `proc_macro2` tokens, so that tests can expand outside a compiler.
fn expand_metrics(args: proc_macro2::TokenStream, input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let cx = Ctxt::new();
    let item = match syn::parse2::<Item>(input) {
        Ok(item) => item,
        Err(e) => return e.to_compile_error(),
    };
    let expansion = match &item {
        Item::Struct(s)
            if matches!(s.fields, Fields::Named(_))
                && s.generics.lt_token.is_none()
                && s.generics.where_clause.is_none() =>
        {
            let container = Container::from_item(&cx, args, s);
            let checked = valid::container(&cx, &container);
            expand::metrics(&container, &checked)
        }
        Item::Struct(s) => {
            // Reported by the model: a tuple, unit or generic struct.
            Container::from_item(&cx, args, s);
            fallback::item(item.clone())
        }
        other => {
            let what = match other {
                Item::Enum(_) => "an enum",
                Item::Union(_) => "a union",
                Item::Fn(_) => "a function",
                _ => "this item",
            };
            let target = match other {
                Item::Enum(e) => e.ident.to_token_stream(),
                Item::Union(u) => u.ident.to_token_stream(),
                Item::Fn(f) => f.sig.ident.to_token_stream(),
                _ => other.to_token_stream(),
            };
            cx.error_spanned_by(
                target,
                format!(
                    "`#[metrics]` applies to a struct with named fields, one per metric family, not to {what}; \
                     to give a label set its values, use `#[derive(LabelEnum)]` on an enum"
                ),
            );
            fallback::item(item.clone())
        }
    };
    let errors = cx.into_compile_errors();
    quote!(#errors #expansion)
}

/// `#[derive(LabelEnum)]` on `proc_macro2` tokens.
fn expand_label_enum(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let cx = Ctxt::new();
    let input = match syn::parse2::<syn::DeriveInput>(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let expansion = match LabelEnumInput::from_input(&cx, &input) {
        Some(model) if input.generics.lt_token.is_none() && input.generics.where_clause.is_none() => {
            let values = valid::label_enum(&cx, &model);
            expand::derive_label_enum(&model, &values)
        }
        _ => proc_macro2::TokenStream::new(),
    };
    let errors = cx.into_compile_errors();
    quote!(#errors #expansion)
}

#[cfg(test)]
mod lint_snapshot;
