//! The `#[metrics]` attribute and `#[derive(LabelEnum)]`.
use proc_macro::TokenStream;

/// Declares a struct of metric families.
#[proc_macro_attribute]
pub fn metrics(_args: TokenStream, input: TokenStream) -> TokenStream {
    input
}

/// Implements `LabelEnum` for a fieldless enum.
#[proc_macro_derive(LabelEnum, attributes(label))]
pub fn derive_label_enum(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
