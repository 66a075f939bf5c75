//! odyssey.conf reader: no panic or runaway recursion on any text, every span inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::input::formats::odyssey::{self, Stmt};

fn check(stmts: &[Stmt], len: usize) {
    for s in stmts {
        assert!(s.key_span.end <= len);
        for v in &s.args {
            assert!(v.span.end <= len);
        }
        check(s.children(), len);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let conf = odyssey::parse(0, text);
        for e in &conf.errors {
            assert!(e.span.end <= text.len());
        }
        check(&conf.stmts, text.len());
    }
});
