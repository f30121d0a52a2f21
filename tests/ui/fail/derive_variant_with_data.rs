use promstruct::prelude::*;

#[derive(Clone, Copy, LabelEnum)]
pub enum Status {
    Ok,
    Error(u16),
}

fn main() {}
