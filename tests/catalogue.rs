//! The rule catalogue, the code, the fixtures and the docs must not drift apart.

use poolcheck::core::code::Code;
use poolcheck::lint::catalog;
use poolcheck::rules::{CHECKS, INPUT_CODES, META_CODES, RAISED_BY};

#[test]
fn every_catalogued_rule_has_logic_and_every_check_is_catalogued() {
    for meta in catalog::all() {
        let code = meta.id();
        let has_logic = CHECKS.iter().any(|(c, _)| *c == code)
            || INPUT_CODES.contains(&code)
            || META_CODES.contains(&code)
            || RAISED_BY
                .iter()
                .any(|(c, by)| *c == code && CHECKS.iter().any(|(k, _)| k == by));
        assert!(has_logic, "{code} has no logic");
    }
    for (code, _) in CHECKS {
        assert!(
            catalog::find(code.as_str()).is_some(),
            "{code} has logic but no rules/ file"
        );
    }
    // The code type and the catalogue list the same codes.
    let files: Vec<Code> = catalog::all().iter().map(|m| m.id()).collect();
    assert_eq!(files, Code::ALL, "rules/ and core::code::Code differ");
}

#[test]
fn readme_documents_every_rule() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    for meta in catalog::all() {
        let row = format!(
            "| {} | `{}` | {} |",
            meta.code,
            meta.name,
            meta.severity.word()
        );
        assert!(readme.contains(&row), "README.md has no row `{row}`");
    }
}
