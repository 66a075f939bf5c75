//! JSON, JSON5 and HJSON reader, and ADO.NET connection strings: no panic on any text, every
//! error inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::input::formats::{adonet, json};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for flavor in [json::Flavor::Json, json::Flavor::Json5, json::Flavor::Hjson] {
            if let Err(e) = json::parse(0, text, flavor) {
                assert!(e.span.end <= text.len());
            }
        }
        let _ = adonet::parse(text);
    }
});
