//! What `#[metrics]` emits for an input it cannot expand (not a struct with named fields, or a generic
//! one): the item as written, without the attributes only the macro understands, beside the errors. The
//! user sees the real mistake rather than "cannot find attribute `counter`".

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, Fields, Item};

const HELPERS: [&str; 5] = ["labels", "counter", "gauge", "histogram", "info"];

fn strip(attrs: &mut Vec<Attribute>) {
    attrs.retain(|a| !HELPERS.iter().any(|h| a.path().is_ident(h)));
}

pub(crate) fn item(mut item: Item) -> TokenStream {
    match &mut item {
        Item::Struct(s) => {
            strip(&mut s.attrs);
            if let Fields::Named(_) | Fields::Unnamed(_) = s.fields {
                for field in s.fields.iter_mut() {
                    strip(&mut field.attrs);
                }
            }
        }
        Item::Enum(e) => strip(&mut e.attrs),
        Item::Union(u) => {
            strip(&mut u.attrs);
            for field in &mut u.fields.named {
                strip(&mut field.attrs);
            }
        }
        _ => {}
    }
    item.into_token_stream()
}
