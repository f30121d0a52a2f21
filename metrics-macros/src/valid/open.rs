//! `max_series` and `ttl` against the labels: they bound families with an open label only.

use promstruct_naming::MAX_LABELS;

use super::{Label, LabelType, Open};
use crate::ast::Field;
use crate::ctxt::Ctxt;

pub(super) fn open_options(cx: &Ctxt, field: &Field<'_>, labels: &[Label<'_>]) -> Option<Open> {
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
