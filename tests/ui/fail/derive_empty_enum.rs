use metrics_runtime::prelude::*;

#[derive(Clone, Copy, LabelEnum)]
pub enum Status {}

fn main() {}
