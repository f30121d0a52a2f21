//! The compile-time checks of `#[metrics]` and `#[derive(LabelEnum)]`, tested like a compiler: each file in
//! `tests/ui/fail/` is a mistake, named after it, that must fail with the messages in its `.stderr`; each
//! file in `tests/ui/pass/` must compile and run.
//!
//! After changing a message, regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui`
//! and review each one: it must say what is wrong and how to fix it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
