//! YAML parsers (stream, Helm values, config): no panic, alias bombs stay within budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use poolcheck::input::formats::yaml;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = yaml::parse(0, text);
        let _ = yaml::parse_values(0, text, "values.yaml");
        let _ = yaml::parse_config(0, text, "application.yml");
    }
});
