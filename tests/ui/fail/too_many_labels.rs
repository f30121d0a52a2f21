use promstruct::prelude::*;

#[metrics(namespace = "app")]
#[labels(L { X = "x" })]
pub struct AppMetrics {
    /// Requests.
    #[counter(labels(a: L, b: L, c: L, d: L, e: L, f: L, g: L, h: L, i: L))]
    requests: Counter,
}

fn main() {}
