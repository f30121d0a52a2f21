//! The strict parser in linear time: a short input repeated to 256 KiB, read as both formats.
//!
//! Repeating an input with newlines makes many lines (a cost per line that grows with the lines before it
//! shows), and one without makes one long line (a cost per token that grows with the tokens before it
//! shows). Linear, 256 KiB parses in milliseconds; quadratic, it takes far longer than the run's
//! `-timeout`, which libFuzzer reports as a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use metrics_fuzz::FORMATS;
use promstruct_testing::validate;

const SIZE: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() || data.len() > 4096 {
        return;
    }
    let text = String::from_utf8_lossy(data).repeat(SIZE / data.len());
    for format in FORMATS {
        validate(&text, format);
    }
});
