use promstruct::prelude::*;

#[metrics(namespace = "app")]
pub struct AppMetrics(#[counter] Counter);

fn main() {}
