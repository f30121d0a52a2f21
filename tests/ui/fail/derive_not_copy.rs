use promstruct::prelude::*;

#[derive(LabelEnum)]
pub enum Status {
    Ok,
    Error,
}

fn main() {}
