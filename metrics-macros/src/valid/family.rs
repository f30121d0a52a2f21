//! One family: its cell, accessor, help and name, joined from the namespace, subsystem, field and unit under
//! the naming rules its `allow(...)` leaves, each opt-out checked to be needed.

use proc_macro2::Span;
use promstruct_naming::{Convention, MetricType, Policy, RuleError};
use syn::ext::IdentExt;
use syn::{Ident, LitStr};

use super::buckets::buckets;
use super::labels::labels;
use super::open::open_options;
use super::{EnumDef, Family};
use crate::ast::{Cell, Field, cells_of, kind_attr_name};
use crate::ctxt::Ctxt;

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

pub(super) fn family<'c>(
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
    let slo = field.options.slo.as_ref().and_then(|spec| crate::slo::check(cx, spec, kind, &buckets, &labels, enums));
    Family { field, accessor, cell, cell_ty, name, help, unit, labels, buckets, open, slo, suffix_error }
}
