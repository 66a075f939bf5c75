//! TOML parser (toml's DeTable → poolcheck's Node): no panic on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = poolcheck::input::formats::toml::parse(0, text);
    }
});
