//! Families against each other: sample names two families would both expose.

use promstruct_naming::{MetricType, RuleError};
use syn::LitStr;

use super::Family;
use crate::ctxt::Ctxt;

/// Reports every family whose exposed sample names clash with an earlier family's, and the names that end
/// with a suffix of another kind's samples.
///
/// A clash that involves such a name is reported on that name, in one message with the suffix rule; any
/// other clash on the later family.
pub(super) fn collisions(cx: &Ctxt, families: &[Family<'_>]) {
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
                        _ => (MetricType::Counter.sample_suffix(), MetricType::Counter.as_str()),
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
