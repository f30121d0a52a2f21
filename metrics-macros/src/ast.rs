//! The model of the macros' input: borrowed from the syn tree, so every part keeps its span.

use proc_macro2::TokenStream;
use promstruct_naming::MetricType;
use syn::{Attribute, Data, DeriveInput, Fields, Ident, ItemStruct, LitStr, Type};

use crate::attr::{self, ContainerArgs, EnumOptions, FieldOptions, LabelEnumDecl};
use crate::ctxt::Ctxt;
use crate::docs;

/// The metric cells a field can hold.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Cell {
    Counter,
    FloatCounter,
    Gauge,
    FloatGauge,
    Histogram,
    Info,
}

impl Cell {
    const ALL: [Cell; 6] =
        [Cell::Counter, Cell::FloatCounter, Cell::Gauge, Cell::FloatGauge, Cell::Histogram, Cell::Info];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Cell::Counter => "Counter",
            Cell::FloatCounter => "FloatCounter",
            Cell::Gauge => "Gauge",
            Cell::FloatGauge => "FloatGauge",
            Cell::Histogram => "Histogram",
            Cell::Info => "Info",
        }
    }

    pub(crate) fn kind(self) -> MetricType {
        match self {
            Cell::Counter | Cell::FloatCounter => MetricType::Counter,
            Cell::Gauge | Cell::FloatGauge => MetricType::Gauge,
            Cell::Histogram => MetricType::Histogram,
            Cell::Info => MetricType::Info,
        }
    }

    /// The cell of a field of `kind` whose type was not a cell: what the expansion assumes meanwhile.
    pub(crate) fn default_for(kind: MetricType) -> Cell {
        match kind {
            MetricType::Counter => Cell::Counter,
            MetricType::Gauge => Cell::Gauge,
            MetricType::Histogram => Cell::Histogram,
            MetricType::Info => Cell::Info,
        }
    }

    /// The cell a field type names: `Counter`, `promstruct::Counter`, ...
    fn of_type(ty: &Type) -> Option<Cell> {
        let Type::Path(p) = ty else { return None };
        if p.qself.is_some() {
            return None;
        }
        let last = p.path.segments.last()?;
        if !last.arguments.is_none() {
            return None;
        }
        Cell::ALL.into_iter().find(|c| last.ident == c.name())
    }
}

/// The name of the metric attribute of `kind`.
pub(crate) fn kind_attr_name(kind: MetricType) -> &'static str {
    kind.as_str()
}

/// The cells a field of `kind` may hold, for messages.
pub(crate) fn cells_of(kind: MetricType) -> &'static str {
    match kind {
        MetricType::Counter => "`Counter` or `FloatCounter`",
        MetricType::Gauge => "`Gauge` or `FloatGauge`",
        MetricType::Histogram => "`Histogram`",
        MetricType::Info => "`Info`",
    }
}

fn kind_of_attr(attr: &Attribute) -> Option<MetricType> {
    [MetricType::Counter, MetricType::Gauge, MetricType::Histogram, MetricType::Info]
        .into_iter()
        .find(|k| attr.path().is_ident(kind_attr_name(*k)))
}

/// A struct annotated with `#[metrics]`.
pub(crate) struct Container<'a> {
    pub(crate) item: &'a ItemStruct,
    pub(crate) args: ContainerArgs,
    /// The struct's attributes, `#[labels]` aside: emitted as written.
    pub(crate) attrs: Vec<&'a Attribute>,
    pub(crate) enums: Vec<LabelEnumDecl>,
    pub(crate) fields: Vec<Field<'a>>,
}

/// A field of the struct: one metric family.
pub(crate) struct Field<'a> {
    pub(crate) original: &'a syn::Field,
    pub(crate) ident: &'a Ident,
    pub(crate) kind: MetricType,
    /// The cell the type names, if it names one.
    pub(crate) cell: Option<Cell>,
    /// The doc comment.
    pub(crate) docs: Vec<&'a Attribute>,
    /// Other attributes, emitted as written.
    pub(crate) attrs: Vec<&'a Attribute>,
    pub(crate) options: FieldOptions,
}

impl<'a> Container<'a> {
    /// Reads the struct and the macro's arguments, reporting what cannot be read; a field whose kind cannot
    /// be told is left out of the model.
    pub(crate) fn from_item(cx: &Ctxt, args: TokenStream, item: &'a ItemStruct) -> Container<'a> {
        let args = attr::container_args(cx, args);
        let mut attrs = Vec::new();
        let mut enums = Vec::new();
        for a in &item.attrs {
            if a.path().is_ident("labels") {
                enums.extend(attr::labels_attr(cx, a));
            } else {
                attrs.push(a);
            }
        }
        if item.generics.lt_token.is_some() || item.generics.where_clause.is_some() {
            cx.error_spanned_by(
                &item.generics,
                "a `#[metrics]` struct cannot be generic: its families are declared statically; remove the \
                 generic parameters",
            );
        }
        let fields = match &item.fields {
            Fields::Named(named) => named.named.iter().filter_map(|f| Field::from_field(cx, f)).collect(),
            Fields::Unnamed(_) | Fields::Unit => {
                cx.error_spanned_by(
                    &item.ident,
                    "`#[metrics]` takes a struct with named fields, one per metric family, such as \
                     `struct AppMetrics { #[counter] requests: Counter }`",
                );
                Vec::new()
            }
        };
        Container { item, args, attrs, enums, fields }
    }
}

impl<'a> Field<'a> {
    fn from_field(cx: &Ctxt, field: &'a syn::Field) -> Option<Field<'a>> {
        let ident = field.ident.as_ref()?;
        let mut kind_attr: Option<(&Attribute, MetricType)> = None;
        let mut docs = Vec::new();
        let mut attrs = Vec::new();
        for a in &field.attrs {
            if let Some(kind) = kind_of_attr(a) {
                match kind_attr {
                    None => kind_attr = Some((a, kind)),
                    Some((_, first)) => cx.error_spanned_by(
                        a.path(),
                        format!(
                            "field `{ident}` is marked `#[{}]` already; a field is one metric family, of one type: \
                             keep one of `#[{}]` and `#[{}]`",
                            kind_attr_name(first),
                            kind_attr_name(first),
                            kind_attr_name(kind)
                        ),
                    ),
                }
            } else if docs::is_doc(a) {
                docs.push(a);
            } else if a.path().is_ident("cfg") || a.path().is_ident("cfg_attr") {
                cx.error_spanned_by(
                    a,
                    "`#[cfg]` is not supported on a metric field; declare the family always (it costs little), \
                     or put the optional families in a second `#[metrics]` struct",
                );
            } else {
                attrs.push(a);
            }
        }
        let cell = Cell::of_type(&field.ty);
        let (kind_attr, kind) = match (kind_attr, cell) {
            (Some((a, kind)), cell) => {
                if cell.is_none() {
                    let ty = &field.ty;
                    cx.error_spanned_by(
                        ty,
                        format!(
                            "`{}` is not a metric cell: the type of a `#[{}]` field is {}",
                            quote::quote!(#ty).to_string().replace(' ', ""),
                            kind_attr_name(kind),
                            cells_of(kind)
                        ),
                    );
                }
                (Some(a), kind)
            }
            (None, Some(cell)) => {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "field `{ident}` has no metric attribute; mark it `#[{}]` (or `#[{}(labels(...), ...)]`)",
                        kind_attr_name(cell.kind()),
                        kind_attr_name(cell.kind())
                    ),
                );
                (None, cell.kind())
            }
            (None, None) => {
                cx.error_spanned_by(
                    ident,
                    format!(
                        "field `{ident}` is not a metric family; every field of a `#[metrics]` struct is one, marked \
                         `#[counter]`, `#[gauge]`, `#[histogram]` or `#[info]` and holding a metric cell (`Counter`, \
                         `Gauge`, ...): keep other data in another struct"
                    ),
                );
                return None;
            }
        };
        let options = match kind_attr {
            Some(a) => attr::field_options(cx, kind, a),
            None => FieldOptions::default(),
        };
        Some(Field { original: field, ident, kind, cell, docs, attrs, options })
    }
}

/// An enum deriving `LabelEnum`.
pub(crate) struct LabelEnumInput<'a> {
    pub(crate) input: &'a DeriveInput,
    pub(crate) options: EnumOptions,
    pub(crate) variants: Vec<Variant<'a>>,
}

/// A variant of an enum deriving `LabelEnum`.
pub(crate) struct Variant<'a> {
    pub(crate) ident: &'a Ident,
    pub(crate) rename: Option<LitStr>,
}

impl<'a> LabelEnumInput<'a> {
    pub(crate) fn from_input(cx: &Ctxt, input: &'a DeriveInput) -> Option<LabelEnumInput<'a>> {
        let options = attr::enum_options(cx, &input.attrs);
        let Data::Enum(data) = &input.data else {
            cx.error_spanned_by(
                &input.ident,
                "`LabelEnum` derives only for an enum whose variants are the label's values: \
                 `enum Status { Ok, Error }`",
            );
            return None;
        };
        if input.generics.lt_token.is_some() || input.generics.where_clause.is_some() {
            cx.error_spanned_by(&input.generics, "a label enum cannot be generic; remove the generic parameters");
        }
        let mut variants = Vec::new();
        let mut plain = true;
        for v in &data.variants {
            if !matches!(v.fields, Fields::Unit) {
                cx.error_spanned_by(
                    &v.fields,
                    format!(
                        "variant `{}` holds data; a label takes one of a fixed set of values, each a variant \
                         without fields: remove the fields, or take the label as `String`",
                        v.ident
                    ),
                );
                plain = false;
            }
            variants.push(Variant { ident: &v.ident, rename: attr::variant_rename(cx, &v.attrs) });
        }
        plain.then_some(LabelEnumInput { input, options, variants })
    }
}
