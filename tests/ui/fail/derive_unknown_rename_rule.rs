use metrics_runtime::prelude::*;

#[derive(Clone, Copy, LabelEnum)]
#[label(rename_all = "camelCase")]
pub enum Status {
    Ok,
    Error,
}

fn main() {}
