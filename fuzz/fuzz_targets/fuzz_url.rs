//! Database URL parser, keyword options and the URL finder: no panic on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::input::formats::url;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(u) = url::parse(text) {
            let _ = u.is_postgres();
            let _ = u.server_key();
        }
        let _ = url::options_gucs(text);
        for (at, _) in url::find_urls(text) {
            assert!(at <= text.len());
        }
    }
});
