//! Arbitrary bytes through `promstruct-testing`'s protobuf decoder: it never panics, and its outcome holds
//! together as the text parser's must (see `metrics_fuzz::check_protobuf`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    metrics_fuzz::check_protobuf(body);
});
