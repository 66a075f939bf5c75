//! .env parser and `${VAR}` resolver: no panic, no hang (expansion budgets), spans inside the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::input::formats::env;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Two files, so cross-file references and later-file-wins are exercised too.
    let (a, b) = text.split_at(text.find("\n\n").unwrap_or(text.len()));
    let mut files = vec![env::parse(0, a), env::parse(1, b)];
    for (f, t) in files.iter().zip([a, b]) {
        for e in &f.entries {
            assert!(e.key_span.start <= e.key_span.end && e.key_span.end <= t.len());
            assert!(e.raw_span.start <= e.raw_span.end && e.raw_span.end <= t.len());
            assert!(e.value_span.start <= e.value_span.end && e.value_span.end <= t.len());
            assert!(t.is_char_boundary(e.key_span.start) && t.is_char_boundary(e.key_span.end));
        }
    }
    let _ = env::resolve(&mut files);
});
