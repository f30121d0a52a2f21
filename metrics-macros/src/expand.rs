//! Code generation: thin, naming the runtime only through `<crate>::__private`. Every family becomes a
//! field holding a generic runtime family, a line in `new()`, a typed accessor, an entry in `FAMILIES` and
//! three forwarding calls in the `Collect` implementation.

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use promstruct_naming::{DEFAULT_MAX_SERIES, MetricType};
use quote::{ToTokens as _, quote, quote_spanned};
use syn::Ident;
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;

use crate::ast::{Cell, Container, LabelEnumInput};
use crate::valid::{Checked, EnumDef, Family, LabelType};

/// `<crate>::__private`, the module every generated path goes through.
fn private(krate: Option<&syn::Path>) -> TokenStream {
    match krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::promstruct::__private),
    }
}

/// `tokens` with every span set to `span`: the generated code whose trait bounds depend on a label type the
/// user named is reported on that type, where the user can fix it.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                TokenTree::Group(group)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

/// Where to report the bounds a family's label types must meet: the first label type the user declared
/// outside `#[labels]`, if any.
fn user_label_span(f: &Family<'_>) -> Option<Span> {
    f.labels.iter().find_map(|l| match l.ty {
        LabelType::User(ty) => Some(ty.span()),
        _ => None,
    })
}

fn at_user_label(f: &Family<'_>, tokens: TokenStream) -> TokenStream {
    match user_label_span(f) {
        Some(span) => respan(tokens, span),
        None => tokens,
    }
}

pub(crate) fn float(v: f64) -> TokenStream {
    let lit = Literal::f64_unsuffixed(v.abs());
    if v.is_sign_negative() { quote!(-#lit) } else { quote!(#lit) }
}

/// An integer literal with `_` between groups of three digits, as clippy's `unreadable_literal` asks.
pub(crate) fn int(v: u64) -> TokenStream {
    let digits = v.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            text.push('_');
        }
        text.push(c);
    }
    text.parse().unwrap_or_else(|_| Literal::u64_unsuffixed(v).into_token_stream())
}

/// A `Duration` of `ms` milliseconds, in whole seconds where it is (as clippy's `duration_suboptimal_units`
/// asks).
pub(crate) fn duration(ms: u64) -> TokenStream {
    if ms % 1000 == 0 {
        let secs = int(ms / 1000);
        quote!(__p::Duration::from_secs(#secs))
    } else {
        let ms = int(ms);
        quote!(__p::Duration::from_millis(#ms))
    }
}

/// The variant of `MetricType` (the runtime's name for `MetricType`): the same name as `MetricType`'s.
fn kind_variant(kind: MetricType) -> Ident {
    Ident::new(&format!("{kind:?}"), Span::call_site())
}

fn doc(text: &str) -> TokenStream {
    quote!(#[doc = #text])
}

/// Everything `#[metrics]` generates for a struct.
pub(crate) fn metrics(c: &Container<'_>, checked: &Checked<'_>) -> TokenStream {
    let rt = private(c.args.krate.as_ref());
    let item = c.item;
    let ident = &item.ident;
    let vis = &item.vis;
    let attrs = &c.attrs;
    let families = &checked.families;

    let fields = families.iter().map(|f| {
        let field = f.field;
        let docs = &field.docs;
        let attrs = &field.attrs;
        let vis = &field.original.vis;
        let name = field.ident;
        let ty = storage_type(&rt, f);
        quote!(#(#docs)* #(#attrs)* #vis #name: #ty)
    });
    let enums = checked.enums.iter().map(|e| label_set(&rt, vis, ident, e));
    // One assertion per label type, however many families it labels.
    let mut asserted: Vec<String> = Vec::new();
    let assertions: Vec<TokenStream> = families
        .iter()
        .flat_map(|f| &f.labels)
        .filter_map(|l| match l.ty {
            LabelType::User(ty) => Some(ty),
            _ => None,
        })
        .filter(|ty| {
            let key = quote!(#ty).to_string();
            let new = !asserted.contains(&key);
            asserted.push(key);
            new
        })
        .map(|ty| quote_spanned!(ty.span()=> const _: () = #rt::assert_label_enum::<#ty>();))
        .collect();
    let schemas = families.iter().map(schema);
    let slo_assertions = families.iter().filter_map(|f| f.slo.as_ref()).map(|slo| crate::slo::assertions(&rt, slo));
    let inits = families.iter().enumerate().map(|(i, f)| {
        let name = f.field.ident;
        let init = at_user_label(f, constructor(&rt, f, i));
        quote!(#name: #init)
    });
    let accessors = families.iter().map(|f| accessor(&rt, f));
    let count = Literal::usize_unsuffixed(families.len());
    let each = families.iter().map(|f| {
        let name = f.field.ident;
        at_user_label(f, quote!(&self.#name))
    });
    let families_doc = doc(&format!(
        " The {} famil{} of `{ident}`, in declaration order: names, types, help, units, labels and the values of \
         enum labels, for documentation, dashboards and alert rules.",
        families.len(),
        if families.len() == 1 { "y" } else { "ies" }
    ));
    let new_doc = doc(&format!(
        " Every family of `{ident}`, at zero. The series of enum-labelled families exist from the start; those \
         of families with an open label are created on first use."
    ));

    quote! {
        #(#assertions)*
        #(#slo_assertions)*

        #(#attrs)*
        #vis struct #ident {
            #(#fields,)*
        }

        #(#enums)*

        impl #ident {
            #families_doc
            pub const FAMILIES: &'static [#rt::FamilySchema] = {
                use #rt as __p;
                &[#(#schemas),*]
            };

            #new_doc
            #[must_use]
            pub fn new() -> Self {
                Self { #(#inits,)* }
            }

            #(#accessors)*
        }

        impl #rt::Default for #ident {
            fn default() -> Self {
                Self::new()
            }
        }

        impl #ident {
            /// Every family, in declaration order.
            fn __families(&self) -> [&dyn #rt::Collect; #count] {
                [#(#each),*]
            }
        }

        impl #rt::Collect for #ident {
            fn describe(&self, out: &mut dyn #rt::FnMut(&#rt::Descriptor)) {
                for family in self.__families() {
                    #rt::Collect::describe(family, out);
                }
            }

            fn collect(&self, enc: &mut #rt::Encoder<'_>) {
                for family in self.__families() {
                    #rt::Collect::collect(family, enc);
                }
            }

            fn bind(&self, budget: &#rt::SeriesBudget) {
                for family in self.__families() {
                    #rt::Collect::bind(family, budget);
                }
            }
        }
    }
}

/// The cell type as the user wrote it (so the user's imports are used), or the runtime's when the field's
/// type was refused.
fn cell_type(rt: &TokenStream, f: &Family<'_>) -> TokenStream {
    match f.cell_ty {
        Some(ty) => quote!(#ty),
        None => {
            let cell = Ident::new(f.cell.name(), Span::call_site());
            quote!(#rt::#cell)
        }
    }
}

fn label_rust_type(l: &crate::valid::Label<'_>) -> TokenStream {
    match l.ty {
        LabelType::Declared(ident) => quote!(#ident),
        LabelType::User(ty) => quote!(#ty),
        LabelType::Open => quote!(&str),
    }
}

fn storage_type(rt: &TokenStream, f: &Family<'_>) -> TokenStream {
    let cell = cell_type(rt, f);
    if f.open.is_some() {
        return quote!(#rt::OpenFamily<#cell>);
    }
    let labels = f.labels.iter().map(label_rust_type);
    at_user_label(f, quote!(#rt::DenseFamily<(#(#labels,)*), #cell>))
}

/// The family built from its entry in `FAMILIES`, the one place its name, help, labels and options are
/// written.
fn constructor(rt: &TokenStream, f: &Family<'_>, index: usize) -> TokenStream {
    let index = Literal::usize_unsuffixed(index);
    let family = if f.open.is_some() { quote!(OpenFamily) } else { quote!(DenseFamily) };
    quote!(#rt::#family::from_schema(&Self::FAMILIES[#index]))
}

/// The family's entry in `FAMILIES`, written with the module alias `__p` (see [`metrics`]).
fn schema(f: &Family<'_>) -> TokenStream {
    let name = &f.name;
    let kind = kind_variant(f.field.kind);
    let help = &f.help;
    let unit = f.unit.as_deref().map(|unit| quote!(.with_unit(#unit)));
    let labels = (!f.labels.is_empty()).then(|| {
        let labels = f.labels.iter().map(|l| {
            let name = &l.name;
            match l.ty {
                LabelType::Open => quote!(__p::LabelSchema::open(#name)),
                LabelType::Declared(ident) => quote!(__p::LabelSchema::of::<#ident>(#name)),
                LabelType::User(ty) => respan(quote!(__p::LabelSchema::of::<#ty>(#name)), ty.span()),
            }
        });
        quote!(.with_labels(&[#(#labels),*]))
    });
    // A histogram with native buckets only has no classic bounds.
    let buckets = (f.field.kind == MetricType::Histogram && !f.buckets.is_empty()).then(|| {
        let bounds = f.buckets.iter().map(|b| float(*b));
        quote!(.with_buckets(&[#(#bounds),*]))
    });
    let native = f.field.options.native.as_ref().map(crate::native::schema_tokens);
    let open = f.open.as_ref();
    let max = open.and_then(|open| open.max_series).map(|max| {
        let max = int(max as u64);
        quote!(.with_max_series(#max))
    });
    let ttl = open.and_then(|open| open.ttl_ms).map(|ms| {
        let duration = duration(ms);
        quote!(.with_ttl(#duration))
    });
    let slo = f.slo.as_ref().map(crate::slo::schema_tokens);
    quote!(__p::FamilySchema::new(#name, __p::MetricType::#kind, #help)#unit #labels #buckets #native #max #ttl #slo)
}

/// How the family shows in a scrape, for the accessor's documentation.
fn exposed(f: &Family<'_>) -> String {
    let name = &f.name;
    let kind = f.field.kind;
    let mut text = match kind {
        MetricType::Histogram if f.field.options.native.is_none() => {
            format!(" Exposed as the histogram `{name}` (`_bucket`, `_sum`, `_count`)")
        }
        MetricType::Histogram if f.buckets.is_empty() => format!(
            " Exposed as the native histogram `{name}` (its native buckets in protobuf; `_sum`, `_count` and \
             the `+Inf` bucket in the text formats)"
        ),
        MetricType::Histogram => format!(
            " Exposed as the histogram `{name}` (`_bucket`, `_sum`, `_count`; its native buckets too in \
             protobuf)"
        ),
        _ => format!(" Exposed as the {kind} `{name}{}`", kind.sample_suffix()),
    };
    let labels: Vec<String> = f.labels.iter().map(|l| format!("`{}`", l.name)).collect();
    match labels.len() {
        0 => {}
        1 => text.push_str(&format!(" with the label {}", labels[0])),
        n => text.push_str(&format!(" with the labels {} and {}", labels[..n - 1].join(", "), labels[n - 1])),
    }
    text.push('.');
    match f.open.as_ref().map(|open| open.max_series) {
        Some(Some(max)) => text.push_str(&format!(
            " At most {max} series; updates for new label values past that go to one overflow series."
        )),
        Some(None) => text.push_str(&format!(
            " At most its registry's series per family (`cardinality.max_per_metric`, default {DEFAULT_MAX_SERIES}); \
             updates for new label values past that go to one overflow series."
        )),
        None => {}
    }
    text
}

fn accessor(rt: &TokenStream, f: &Family<'_>) -> TokenStream {
    let field = f.field;
    let name = field.ident;
    let accessor = &f.accessor;
    let docs = if field.docs.is_empty() {
        let help = format!(" {}", f.help);
        quote!(#[doc = #help])
    } else {
        let docs = &field.docs;
        quote!(#(#docs)*)
    };
    let exposed = exposed(f);
    let cell = cell_type(rt, f);
    let params = f.labels.iter().map(|l| {
        let param = &l.param;
        let ty = label_rust_type(l);
        quote!(#param: #ty)
    });
    let (ret, body) = match &f.open {
        None => {
            let args = f.labels.iter().map(|l| &l.param);
            // A dense family hands out `&Cell`, but for counters, which it stripes: a `CounterRef`.
            let ret = match f.cell {
                Cell::Counter => quote!(#rt::CounterRef<'_>),
                Cell::FloatCounter => quote!(#rt::CounterRef<'_, f64>),
                _ => quote!(&#cell),
            };
            (ret, at_user_label(f, quote!(#rt::DenseFamily::get(&self.#name, (#(#args,)*)))))
        }
        Some(_) => {
            let values = f.labels.iter().map(|l| {
                let param = &l.param;
                match l.ty {
                    LabelType::Open => quote!(#param),
                    LabelType::Declared(_) => quote!(#rt::LabelEnum::as_str(#param)),
                    LabelType::User(ty) => respan(quote!(#rt::LabelEnum::as_str(#param)), ty.span()),
                }
            });
            (quote!(#rt::SeriesRef<#cell>), quote!(self.#name.get(&[#(#values),*])))
        }
    };
    let with = f.open.as_ref().map(|_| open_with(rt, f, &cell));
    quote! {
        #docs
        #[doc = ""]
        #[doc = #exposed]
        #[inline]
        #[must_use]
        pub fn #accessor(&self, #(#params),*) -> #ret {
            #body
        }
        #with
    }
}

/// The closure accessor of a family with an open label, `<accessor>_with(labels..., |c| c.inc())`: the
/// series updated inside its lookup, without a handle (`OpenFamily::with`).
fn open_with(rt: &TokenStream, f: &Family<'_>, cell: &TokenStream) -> TokenStream {
    let name = f.field.ident;
    let accessor = &f.accessor;
    let with = quote::format_ident!("{}_with", accessor.unraw());
    // The closure's parameter, named apart from the labels'.
    let mut update = String::from("update");
    while f.labels.iter().any(|l| l.param.unraw() == update) {
        update.push('_');
    }
    let update = Ident::new(&update, Span::call_site());
    let params = f.labels.iter().map(|l| {
        let param = &l.param;
        let ty = label_rust_type(l);
        quote!(#param: #ty)
    });
    let values = f.labels.iter().map(|l| {
        let param = &l.param;
        match l.ty {
            LabelType::Open => quote!(#param),
            LabelType::Declared(_) => quote!(#rt::LabelEnum::as_str(#param)),
            LabelType::User(ty) => respan(quote!(#rt::LabelEnum::as_str(#param)), ty.span()),
        }
    });
    let doc = format!(
        " Calls `{update}` with the series of [`{accessor}`](Self::{accessor}) (created if new) and returns what \
         it returns, without taking a handle. `{update}` runs while the series' shard is read-locked and must \
         not use this family; see `OpenFamily::with`."
    );
    quote! {
        #[doc = #doc]
        #[inline]
        pub fn #with<R>(&self, #(#params,)* #update: impl ::core::ops::FnOnce(&#cell) -> R) -> R {
            self.#name.with(&[#(#values),*], #update)
        }
    }
}

/// A label set declared in `#[labels]`: the enum and its `LabelEnum` implementation.
fn label_set(rt: &TokenStream, struct_vis: &syn::Visibility, owner: &Ident, def: &EnumDef<'_>) -> TokenStream {
    let decl = def.decl;
    let ident = &decl.ident;
    let vis = decl.vis.as_ref().unwrap_or(struct_vis);
    let values: Vec<String> = def.values.iter().map(|v| format!("`{v}`")).collect();
    let enum_doc = if decl.attrs.iter().any(crate::docs::is_doc) {
        None
    } else {
        Some(doc(&format!(" The values of a label of `{owner}`: {}.", values.join(", "))))
    };
    let attrs = &decl.attrs;
    let variants = decl.variants.iter().zip(&def.values).map(|(v, value)| {
        let vattrs = &v.attrs;
        let vdoc = if v.attrs.iter().any(crate::docs::is_doc) { None } else { Some(doc(&format!(" `{value}`"))) };
        let vident = &v.ident;
        quote!(#vdoc #(#vattrs)* #vident)
    });
    let idents: Vec<&Ident> = decl.variants.iter().map(|v| &v.ident).collect();
    let imp = label_enum_impl(rt, ident, &idents, &def.values);
    quote! {
        #enum_doc
        #(#attrs)*
        #[derive(
            ::core::fmt::Debug,
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash
        )]
        #vis enum #ident {
            #(#variants,)*
        }

        #imp
    }
}

fn label_enum_impl(rt: &TokenStream, ident: &Ident, variants: &[&Ident], values: &[String]) -> TokenStream {
    let n = Literal::usize_unsuffixed(variants.len());
    let ordinals = (0..variants.len()).map(Literal::usize_unsuffixed);
    quote! {
        #[automatically_derived]
        impl #rt::LabelEnum for #ident {
            const CARDINALITY: usize = #n;
            const ALL: &'static [Self] = &[#(Self::#variants),*];
            const VALUES: &'static [&'static str] = &[#(#values),*];

            #[inline]
            fn ordinal(self) -> usize {
                match self {
                    #(Self::#variants => #ordinals,)*
                }
            }
        }
    }
}

/// What `#[derive(LabelEnum)]` generates.
pub(crate) fn derive_label_enum(input: &LabelEnumInput<'_>, values: &[String]) -> TokenStream {
    let rt = private(input.options.krate.as_ref());
    let idents: Vec<&Ident> = input.variants.iter().map(|v| v.ident).collect();
    label_enum_impl(&rt, &input.input.ident, &idents, values)
}
