use promstruct::prelude::*;

#[derive(Clone, Copy, LabelEnum)]
pub struct Status {
    code: u16,
}

fn main() {}
