use promstruct::prelude::*;

#[derive(Clone, Copy, LabelEnum)]
#[label(rename_all = "camelCase")]
pub enum Status {
    Ok,
    Error,
}

fn main() {}
