//! `#[labels(...)]`, the label sets a struct declares, and the labels of a family, `labels(model: Model)`.

use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, Lit, LitStr, Token, Type, Visibility, braced};

use crate::ctxt::Ctxt;

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
