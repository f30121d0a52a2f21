use metrics_runtime::prelude::*;

#[derive(LabelEnum)]
pub enum Status {
    Ok,
    Error,
}

fn main() {}
