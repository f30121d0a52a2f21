//! Collects every error of one expansion, so a user who wrote three mistakes sees three messages.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// The errors found so far, each on the tokens at fault.
///
/// An error reported twice at the same place (a namespace breaking a rule checked once per family) is
/// kept once.
#[derive(Default)]
pub(crate) struct Ctxt {
    errors: RefCell<Vec<syn::Error>>,
    seen: RefCell<Vec<String>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Reports `msg` on the tokens of `obj` (its whole span, first to last token).
    pub(crate) fn error_spanned_by<A: ToTokens, T: Display>(&self, obj: A, msg: T) {
        self.syn_error(syn::Error::new_spanned(obj.into_token_stream(), msg));
    }

    /// Reports `msg` at `span`.
    pub(crate) fn error_at<T: Display>(&self, span: Span, msg: T) {
        self.syn_error(syn::Error::new(span, msg));
    }

    /// Reports an error syn built.
    pub(crate) fn syn_error(&self, err: syn::Error) {
        let key = format!("{:?} {}", err.span(), err);
        let mut seen = self.seen.borrow_mut();
        if !seen.contains(&key) {
            seen.push(key);
            self.errors.borrow_mut().push(err);
        }
    }

    /// Every error, as `compile_error!` invocations; empty when there was none.
    pub(crate) fn into_compile_errors(self) -> proc_macro2::TokenStream {
        self.errors.into_inner().iter().map(syn::Error::to_compile_error).collect()
    }
}
