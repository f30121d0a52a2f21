//! The labels of a family: their names under the family's policy, the accessor's parameters and what type
//! each label takes.

use promstruct_naming::{MAX_LABELS, Policy};
use syn::ext::IdentExt;
use syn::{Ident, Type};

use super::{EnumDef, Label, LabelType};
use crate::ast::Field;
use crate::ctxt::Ctxt;

/// Rust keywords, which a label name may be but a parameter name may only be as a raw identifier.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
    "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move",
    "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

pub(super) fn labels<'c>(cx: &Ctxt, field: &'c Field<'c>, enums: &[EnumDef<'c>], policy: Policy) -> Vec<Label<'c>> {
    let decls = &field.options.labels;
    let names: Vec<String> = decls.iter().map(|d| d.ident.unraw().to_string()).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut labels = Vec::with_capacity(decls.len());
    for (i, decl) in decls.iter().enumerate() {
        let name = &names[i];
        if let Err((at, e)) = promstruct_naming::check_label_names_with(&name_refs[..=i], field.kind, policy) {
            if at == i {
                cx.error_spanned_by(&decl.ident, e);
            }
        }
        if i == MAX_LABELS {
            if let Err(e) = promstruct_naming::check_label_count(decls.len()) {
                cx.error_spanned_by(&decl.ident, e);
            }
        }
        let param = if ["self", "Self", "super", "crate"].contains(&name.as_str()) {
            cx.error_spanned_by(
                &decl.ident,
                format!("`{name}` cannot name an accessor argument; choose another label name"),
            );
            Ident::new(&format!("{name}_"), decl.ident.span())
        } else if KEYWORDS.contains(&name.as_str()) {
            Ident::new_raw(name, decl.ident.span())
        } else if name_refs[..i].contains(&name.as_str()) {
            // Declared twice (reported above); a distinct parameter keeps the expansion compiling.
            Ident::new(&format!("{name}_{i}"), decl.ident.span())
        } else {
            Ident::new(name, decl.ident.span())
        };
        labels.push(Label { param, name: name.clone(), ty: label_type(&decl.ty, enums) });
    }
    labels
}

fn label_type<'c>(ty: &'c Type, enums: &[EnumDef<'c>]) -> LabelType<'c> {
    match ty {
        Type::Reference(r) if r.mutability.is_none() => match &*r.elem {
            Type::Path(p) if p.qself.is_none() && p.path.is_ident("str") => LabelType::Open,
            _ => LabelType::User(ty),
        },
        Type::Path(p) if p.qself.is_none() => {
            let last = p.path.segments.last().map(|s| (&s.ident, s.arguments.is_none()));
            if let Some((ident, true)) = last {
                if ident == "String" {
                    return LabelType::Open;
                }
                if p.path.segments.len() == 1 {
                    if let Some(def) = enums.iter().find(|d| d.decl.ident == *ident) {
                        return LabelType::Declared(&def.decl.ident);
                    }
                }
            }
            LabelType::User(ty)
        }
        Type::Group(g) => label_type(&g.elem, enums),
        Type::Paren(p) => label_type(&p.elem, enums),
        _ => LabelType::User(ty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_and_unique() {
        assert!(KEYWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn label_types() {
        let string: Type = syn::parse_quote!(String);
        let str_ref: Type = syn::parse_quote!(&'static str);
        let user: Type = syn::parse_quote!(crate::labels::Region);
        assert!(matches!(label_type(&string, &[]), LabelType::Open));
        assert!(matches!(label_type(&str_ref, &[]), LabelType::Open));
        assert!(matches!(label_type(&user, &[]), LabelType::User(_)));
    }
}
