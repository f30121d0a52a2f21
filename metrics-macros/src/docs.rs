//! Doc comments: the attributes that hold them and the HELP text a family takes from them.

use syn::{Attribute, Expr, Lit};

use crate::attr::strip;

pub(crate) fn is_doc(attr: &Attribute) -> bool {
    attr.path().is_ident("doc")
}

/// The text of the `#[doc = "..."]` attributes (doc comments), one entry per line.
pub(crate) fn doc_lines(attrs: &[&Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| is_doc(a))
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match strip(&nv.value) {
                Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|s| s.split('\n').map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// The HELP of a family from its doc comment: the first paragraph, its lines joined by spaces.
pub(crate) fn help_from_docs(attrs: &[&Attribute]) -> String {
    let mut help = String::new();
    for line in doc_lines(attrs) {
        let line = line.trim();
        if line.is_empty() {
            if help.is_empty() {
                continue;
            }
            break;
        }
        if !help.is_empty() {
            help.push(' ');
        }
        help.push_str(line);
    }
    help
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_the_first_paragraph() {
        let attrs: Vec<Attribute> = vec![
            syn::parse_quote!(#[doc = " Requests,"]),
            syn::parse_quote!(#[doc = " by model."]),
            syn::parse_quote!(#[doc = ""]),
            syn::parse_quote!(#[doc = " More detail."]),
        ];
        let refs: Vec<&Attribute> = attrs.iter().collect();
        assert_eq!(help_from_docs(&refs), "Requests, by model.");
    }
}
