use promstruct::prelude::*;

#[derive(Clone, Copy, LabelEnum)]
#[label(rename = "status")]
pub enum Status {
    #[label(rename_all = "kebab-case")]
    Ok,
    #[label(value = "error")]
    Error,
}

fn main() {}
