use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Build facts.
    #[info]
    build: Info,

    /// Build number.
    #[gauge]
    build_info: Gauge,
}

fn main() {}
