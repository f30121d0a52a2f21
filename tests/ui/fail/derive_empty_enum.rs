use promstruct::prelude::*;

#[derive(Clone, Copy, LabelEnum)]
pub enum Status {}

fn main() {}
