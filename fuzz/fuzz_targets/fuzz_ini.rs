//! INI and flat conf reader: no panic on any text, every error inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let ini = poolcheck::input::formats::ini::parse(0, text);
        for e in &ini.errors {
            assert!(e.span.end <= text.len());
        }
    }
});
