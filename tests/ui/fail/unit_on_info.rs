use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics {
    /// Build facts.
    #[info(unit = "seconds")]
    build: Info,
}

fn main() {}
