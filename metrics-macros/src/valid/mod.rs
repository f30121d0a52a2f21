//! The rules that span several attributes: names joined from the namespace, subsystem, field and unit
//! (`family`); label sets and their values (`label_sets`); labels against the label sets (`labels`); options
//! against the labels (`open`, `buckets`); families against each other (`collisions`). Every naming rule is
//! a call into `promstruct-naming`, the crate the runtime checks metrics defined at run time with. This
//! module holds the checked model the expansion reads and the entry point.

mod buckets;
mod collisions;
mod family;
mod label_sets;
mod labels;
mod open;

use proc_macro2::Span;
use promstruct_naming::RuleError;
use syn::{Ident, LitStr, Type};

use crate::ast::{Cell, Container, Field};
use crate::attr::LabelEnumDecl;
use crate::ctxt::Ctxt;

use collisions::collisions;
use family::family;
use label_sets::label_sets;

pub(crate) use label_sets::label_enum;

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
    /// The service level objective, checked against the buckets and labels.
    pub(crate) slo: Option<crate::slo::Slo<'c>>,
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
