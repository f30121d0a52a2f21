use promstruct::prelude::*;

#[derive(Clone, Copy, LabelEnum)]
#[label(rename_all = "lowercase")]
pub enum Status {
    InProgress,
    #[label(rename = "inprogress")]
    Running,
}

fn main() {}
