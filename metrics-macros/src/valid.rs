//! The rules that span several attributes: names joined from the namespace, subsystem, field and unit;
//! labels against the label sets; options against the labels; families against each other. Every naming
//! rule is a call into `promstruct-naming`, the crate the runtime checks metrics defined at run time with.

use proc_macro2::Span;
use promstruct_naming::{BucketParam, Convention, MAX_LABELS, MetricType, Policy, RuleError};
use syn::ext::IdentExt;
use syn::spanned::Spanned as _;
use syn::{Ident, LitStr, Type};

use crate::ast::{Cell, Container, Field, LabelEnumInput, cells_of, kind_attr_name};
use crate::attr::{BucketsSpec, LabelEnumDecl};
use crate::ctxt::Ctxt;
use crate::rename::RenameRule;

/// What the expansion needs, computed and checked.
pub(crate) struct Checked<'c> {
    pub(crate) enums: Vec<EnumDef<'c>>,
    pub(crate) families: Vec<Family<'c>>,
}

/// A label set declared in `#[labels]`, with the exposed value of each variant.
pub(crate) struct EnumDef<'c> {
    pub(crate) decl: &'c LabelEnumDecl,
    pub(crate) values: Vec<String>,
}

/// One family, its names resolved.
pub(crate) struct Family<'c> {
    pub(crate) field: &'c Field<'c>,
    /// The accessor's name: the field's, unless that would hide a generated function.
    pub(crate) accessor: Ident,
    pub(crate) cell: Cell,
    /// The cell type as the user wrote it, when it is the cell of the family's kind.
    pub(crate) cell_ty: Option<&'c Type>,
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) unit: Option<String>,
    pub(crate) labels: Vec<Label<'c>>,
    /// The bucket bounds of a histogram; empty for other kinds.
    pub(crate) buckets: Vec<f64>,
    /// How a family with an open label is bounded; `None` when every label is an enum.
    pub(crate) open: Option<Open>,
    /// A name ending with a suffix that samples of other kinds use, reported once collisions are known: if
    /// another family exposes that very name, one message says both.
    suffix_error: Option<(Span, RuleError)>,
}

/// The bounds of a family with an open label.
pub(crate) struct Open {
    /// The family's own bound; `None`: its registry's bound per family (`cardinality.max_per_metric`).
    pub(crate) max_series: Option<usize>,
    pub(crate) ttl_ms: Option<u64>,
}

/// One label of a family.
pub(crate) struct Label<'c> {
    /// The accessor's parameter.
    pub(crate) param: Ident,
    /// The exposed label name.
    pub(crate) name: String,
    pub(crate) ty: LabelType<'c>,
}

/// What a label takes.
pub(crate) enum LabelType<'c> {
    /// A label set declared in the struct's `#[labels]`.
    Declared(&'c Ident),
    /// A type declared elsewhere, which must implement `LabelEnum` (`#[derive(LabelEnum)]`).
    User(&'c Type),
    /// Any string (`String` or `&str`).
    Open,
}

pub(crate) fn container<'c>(cx: &Ctxt, c: &'c Container<'c>) -> Checked<'c> {
    let namespace = prefix(cx, "namespace", c.args.namespace.as_ref());
    let subsystem = prefix(cx, "subsystem", c.args.subsystem.as_ref());
    let enums = label_sets(cx, &c.enums);
    let families: Vec<Family<'c>> =
        c.fields.iter().map(|f| family(cx, f, namespace.as_ref(), subsystem.as_ref(), &enums)).collect();
    collisions(cx, &families);
    Checked { enums, families }
}

/// A namespace or subsystem, if valid.
fn prefix<'l>(cx: &Ctxt, what: &'static str, lit: Option<&'l LitStr>) -> Option<(String, &'l LitStr)> {
    let lit = lit?;
    match promstruct_naming::check_prefix(what, &lit.value()) {
        Ok(()) => Some((lit.value(), lit)),
        Err(e) => {
            cx.error_spanned_by(lit, e);
            None
        }
    }
}

fn label_sets<'c>(cx: &Ctxt, decls: &'c [LabelEnumDecl]) -> Vec<EnumDef<'c>> {
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

/// Where the parts of a family name were written, to report a rule on the part that breaks it.
struct NameParts<'a> {
    namespace: Option<&'a (String, &'a LitStr)>,
    subsystem: Option<&'a (String, &'a LitStr)>,
    name: Span,
    unit: Option<&'a LitStr>,
}

impl NameParts<'_> {
    fn span_of(&self, e: &RuleError) -> Span {
        let word_span = |word: &str| {
            for (text, lit) in [self.namespace, self.subsystem].into_iter().flatten() {
                if text.split('_').any(|w| w == word) {
                    return lit.span();
                }
            }
            self.name
        };
        match e {
            RuleError::InvalidUnit { .. } | RuleError::UnitNotAllowed { .. } => {
                self.unit.map_or(self.name, LitStr::span)
            }
            RuleError::NonBaseUnit { unit, .. } => match self.unit {
                Some(lit) if lit.value() == *unit => lit.span(),
                _ => word_span(unit),
            },
            RuleError::TypeInName { word, .. } => word_span(word),
            _ => self.name,
        }
    }
}

fn family<'c>(
    cx: &Ctxt,
    field: &'c Field<'c>,
    namespace: Option<&(String, &LitStr)>,
    subsystem: Option<&(String, &LitStr)>,
    enums: &[EnumDef<'c>],
) -> Family<'c> {
    let kind = field.kind;
    let opts = &field.options;
    let attr_name = kind_attr_name(kind);
    if let Some(cell) = field.cell {
        if cell.kind() != kind {
            cx.error_spanned_by(
                &field.original.ty,
                format!(
                    "the type of a `#[{attr_name}]` field is {}; `{}` is the cell of a {}: mark the field `#[{}]`, or \
                     change its type",
                    cells_of(kind),
                    cell.name(),
                    cell.kind(),
                    kind_attr_name(cell.kind())
                ),
            );
        }
    }
    let matching = field.cell.filter(|c| c.kind() == kind);
    let cell = matching.unwrap_or(Cell::default_for(kind));
    let cell_ty = matching.map(|_| &field.original.ty);

    let field_name = field.ident.unraw().to_string();
    let accessor = if field_name == "new" || field_name == "default" {
        cx.error_spanned_by(
            field.ident,
            format!(
                "a field named `{field_name}` would hide the generated `{field_name}()`; rename the field and keep \
                 the metric's name with `name = \"{field_name}\"`"
            ),
        );
        Ident::new(&format!("{field_name}_metric"), field.ident.span())
    } else {
        field.ident.clone()
    };

    let help = match &opts.help {
        Some(lit) => {
            let help = lit.value().trim().to_owned();
            if help.is_empty() {
                cx.error_spanned_by(lit, "`help` is empty; say what the metric measures, as Prometheus shows it");
            }
            help
        }
        None => {
            let help = crate::docs::help_from_docs(&field.docs);
            if help.is_empty() {
                cx.error_spanned_by(
                    field.ident,
                    format!(
                        "metric `{field_name}` has no help text; write a doc comment above the field \
                         (`/// What it measures.`) or give `help = \"...\"`: Prometheus shows it in `# HELP`"
                    ),
                );
            }
            help
        }
    };

    let (base, name_span) = match &opts.name {
        Some(lit) => (lit.value(), lit.span()),
        None => (field_name.clone(), field.ident.span()),
    };
    let unit = opts.unit.as_ref().map(LitStr::value);
    let parts = NameParts { namespace, subsystem, name: name_span, unit: opts.unit.as_ref() };
    let policy = opts.allow.iter().fold(Policy::STRICT, |p, (c, _)| p.allow(*c));
    let join = |policy| {
        promstruct_naming::family_name_with(
            namespace.map(|(s, _)| s.as_str()),
            subsystem.map(|(s, _)| s.as_str()),
            &base,
            kind,
            unit.as_deref(),
            policy,
        )
    };
    let mut suffix_error = None;
    let name = match join(policy) {
        Ok(name) => {
            let label_names: Vec<String> = opts.labels.iter().map(|d| d.ident.unraw().to_string()).collect();
            let label_refs: Vec<&str> = label_names.iter().map(String::as_str).collect();
            for (convention, span) in &opts.allow {
                let without = policy.deny(*convention);
                let needed = match convention {
                    Convention::UnitSuffix => unit.as_ref().is_some_and(|u| !name.ends_with(&format!("_{u}"))),
                    _ => {
                        join(without).is_err()
                            || promstruct_naming::check_label_names_with(&label_refs, kind, without).is_err()
                    }
                };
                if !needed {
                    let why = match (convention, &unit) {
                        (Convention::UnitSuffix, None) => "the family declares no `unit`".to_owned(),
                        _ => format!("`{name}` keeps that convention ({})", convention.rule()),
                    };
                    cx.error_at(*span, format!("`allow({convention})` is not needed: {why}; remove it"));
                }
            }
            name
        }
        Err(e) => {
            match &e {
                RuleError::ReservedSuffix { .. } | RuleError::CounterTotal { .. } => {
                    suffix_error = Some((parts.span_of(&e), e.clone()));
                }
                RuleError::NonBaseUnit { unit: word, base } if unit.as_deref() != Some(word.as_str()) => cx.error_at(
                    parts.span_of(&e),
                    format!(
                        "the name holds `{word}`, which is not a base unit: drop `_{word}` from the name, declare \
                         `unit = \"{base}\"` and record values in {base} (Prometheus base units: seconds, bytes, \
                         ratio, ...)"
                    ),
                ),
                _ => cx.error_at(parts.span_of(&e), &e),
            }
            [namespace.map(|(s, _)| s.clone()), subsystem.map(|(s, _)| s.clone()), Some(base)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("_")
        }
    };

    let labels = labels(cx, field, enums, policy);
    let open = open_options(cx, field, &labels);
    let buckets = if kind == MetricType::Histogram { buckets(cx, field) } else { Vec::new() };
    Family { field, accessor, cell, cell_ty, name, help, unit, labels, buckets, open, suffix_error }
}

/// Rust keywords, which a label name may be but a parameter name may only be as a raw identifier.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
    "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro", "match", "mod", "move",
    "mut", "override", "priv", "pub", "ref", "return", "static", "struct", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

fn labels<'c>(cx: &Ctxt, field: &'c Field<'c>, enums: &[EnumDef<'c>], policy: Policy) -> Vec<Label<'c>> {
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

fn open_options(cx: &Ctxt, field: &Field<'_>, labels: &[Label<'_>]) -> Option<Open> {
    let opts = &field.options;
    // Past the most labels dense storage takes (reported), an open family keeps the expansion compiling.
    let is_open = labels.iter().any(|l| matches!(l.ty, LabelType::Open)) || labels.len() > MAX_LABELS;
    if is_open {
        return Some(Open {
            max_series: opts.max_series.as_ref().map(|m| m.value),
            ttl_ms: opts.ttl.as_ref().map(|t| t.value),
        });
    }
    let why = if labels.is_empty() {
        format!("`{}` has no label, so it has one series", field.ident)
    } else {
        format!("the labels of `{}` are all enums, so its series are fixed at compile time", field.ident)
    };
    if let Some(m) = &opts.max_series {
        cx.error_at(
            m.key,
            format!("`max_series` bounds families with an open (`String` or `&str`) label; {why}: remove it"),
        );
    }
    if let Some(t) = &opts.ttl {
        cx.error_at(
            t.key,
            format!("`ttl` expires series of families with an open (`String` or `&str`) label; {why}: remove it"),
        );
    }
    None
}

fn buckets(cx: &Ctxt, field: &Field<'_>) -> Vec<f64> {
    let Some(spec) = &field.options.buckets else {
        return promstruct_naming::DEFAULT_BUCKETS.to_vec();
    };
    match &spec.value {
        BucketsSpec::List(bounds) => {
            let values: Vec<f64> = bounds.iter().map(|(v, _)| *v).collect();
            match promstruct_naming::check_buckets(&values) {
                Ok(()) => return values,
                Err(e @ RuleError::BucketsEmpty) => cx.error_at(
                    spec.key,
                    format!(
                        "{e}; list the bounds, such as `buckets = [0.1, 0.5, 1, 5]`, or leave `buckets` out for \
                         the default ones (5 ms to 10 s)"
                    ),
                ),
                Err(RuleError::BucketNotFinite { index }) => {
                    let (value, tokens) = &bounds[index];
                    let text = tokens.to_string().replace(' ', "");
                    let msg = if value.is_nan() {
                        format!("`{text}` cannot bound a bucket; bounds are finite numbers: give one, or remove it")
                    } else if *value > 0.0 {
                        format!(
                            "remove `{text}`: the `+Inf` bucket is always added after the last bound; bounds are \
                             finite numbers"
                        )
                    } else {
                        format!(
                            "remove `{text}`: the first bucket counts every observation up to the first bound \
                             already; bounds are finite numbers"
                        )
                    };
                    cx.error_spanned_by(tokens, msg);
                }
                Err(e @ RuleError::BucketsUnsorted { index, .. }) => cx.error_spanned_by(&bounds[index].1, e),
                Err(e) => cx.error_at(spec.key, e),
            }
        }
        BucketsSpec::Helper(h) => {
            let result = if h.exponential {
                promstruct_naming::exponential_buckets(h.start, h.step, h.count)
            } else {
                promstruct_naming::linear_buckets(h.start, h.step, h.count)
            };
            match result {
                Ok(bounds) => return bounds,
                Err(e) => {
                    // Report a parameter at fault on that argument, any other fault on the whole call.
                    let at = match &e {
                        RuleError::BucketParams { param: BucketParam::Start, .. } => &h.args[0],
                        RuleError::BucketParams { param: BucketParam::Step, .. } => &h.args[1],
                        RuleError::BucketParams { param: BucketParam::Count, .. } => &h.args[2],
                        _ => &h.call,
                    };
                    cx.error_spanned_by(at, e);
                }
            }
        }
    }
    promstruct_naming::DEFAULT_BUCKETS.to_vec()
}

/// Reports every family whose exposed sample names clash with an earlier family's, and the names that end
/// with a suffix of another kind's samples.
///
/// A clash that involves such a name is reported on that name, in one message with the suffix rule; any
/// other clash on the later family.
fn collisions(cx: &Ctxt, families: &[Family<'_>]) {
    let mut reported = vec![false; families.len()];
    let mut suffix_told = vec![false; families.len()];
    for j in 0..families.len() {
        for i in 0..j {
            let (a, b) = (&families[i], &families[j]);
            if !promstruct_naming::names_collide(&a.name, a.field.kind, &b.name, b.field.kind) {
                continue;
            }
            let (fault, other) = match (&a.suffix_error, &b.suffix_error) {
                (_, Some(_)) => (j, i),
                (Some(_), None) => (i, j),
                (None, None) => (j, i),
            };
            if reported[fault] {
                continue;
            }
            reported[fault] = true;
            let (f, o) = (&families[fault], &families[other]);
            let (f_kind, o_kind) = (f.field.kind, o.field.kind);
            match f.suffix_error.as_ref().filter(|_| f.name != o.name) {
                Some((span, e)) => {
                    suffix_told[fault] = true;
                    let (suffix, owner) = match e {
                        RuleError::ReservedSuffix { suffix, owner, .. } => (*suffix, *owner),
                        _ => ("_total", "counter"),
                    };
                    cx.error_at(
                        *span,
                        format!(
                            "the {f_kind} `{}` is named `{}`, the name of the `{suffix}` samples of the {o_kind} \
                             `{}` (`{}`); a scrape would mix them up, and `{suffix}` is reserved for {owner} \
                             samples: rename the {f_kind} with `name = \"...\"`",
                            f.field.ident, f.name, o.field.ident, o.name
                        ),
                    );
                }
                None => {
                    let clash = if f.name == o.name {
                        format!("are both named `{}`", f.name)
                    } else {
                        let shared = o_kind
                            .sample_suffixes()
                            .iter()
                            .map(|s| format!("{}{s}", o.name))
                            .find(|sample| f_kind.sample_suffixes().iter().any(|s| format!("{}{s}", f.name) == *sample))
                            .unwrap_or_else(|| o.name.clone());
                        format!("would both expose samples named `{shared}`")
                    };
                    let span = f.field.options.name.as_ref().map_or(f.field.ident.span(), LitStr::span);
                    cx.error_at(
                        span,
                        format!(
                            "the {o_kind} `{}` and the {f_kind} `{}` {clash}; a scrape would mix them up: give one \
                             of them another name with `name = \"...\"`",
                            o.field.ident, f.field.ident,
                        ),
                    );
                }
            }
        }
    }
    for (f, told) in families.iter().zip(suffix_told) {
        if let (Some((span, e)), false) = (&f.suffix_error, told) {
            cx.error_at(*span, e);
        }
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
