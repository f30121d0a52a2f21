//! The strict parser on arbitrary bytes, read as both formats: it never panics, and what it reports holds
//! together (see `check_parse`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use metrics_fuzz::{FORMATS, check_parse};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for format in FORMATS {
        check_parse(&text, format);
    }
});
