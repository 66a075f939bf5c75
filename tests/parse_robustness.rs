//! Arbitrary input never panics a parser, and every error points inside its file.

use poolcheck::input::formats as parse;
use proptest::prelude::*;

fn in_bounds(span: poolcheck::core::source::Span, text: &str) -> bool {
    span.start <= span.end && span.end <= text.len()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn env_never_panics(text in "\\PC*") {
        let f = parse::env::parse(0, &text);
        for e in &f.errors {
            prop_assert!(in_bounds(e.span, &text));
        }
        for e in &f.entries {
            prop_assert!(in_bounds(e.key_span, &text) && in_bounds(e.value_span, &text));
        }
        let mut files = vec![f];
        let _ = parse::env::resolve(&mut files);
    }

    #[test]
    fn env_like_lines_never_panic(lines in proptest::collection::vec("(export )?[A-Z_]{1,6}=[\"'`$#{}\\\\ a-z0-9]{0,12}", 0..12)) {
        let text = lines.join("\n");
        let mut files = vec![parse::env::parse(0, &text)];
        let _ = parse::env::resolve(&mut files);
    }

    #[test]
    fn toml_never_panics(text in "\\PC*") {
        if let Err(e) = parse::toml::parse(0, &text) {
            prop_assert!(in_bounds(e.span, &text));
        }
    }

    #[test]
    fn yaml_never_panics(text in "[a-z:\\-\\[\\]{}&*<!|>'\"# \\n]{0,80}") {
        if let Err(e) = parse::yaml::parse(0, &text) {
            prop_assert!(in_bounds(e.span, &text));
        }
    }

    #[test]
    fn urls_never_panic(text in "(postgres(ql)?|mysql|jdbc:postgresql)://\\PC{0,60}") {
        let _ = parse::url::parse(&text);
        let _ = parse::url::find_urls(&text);
        let r = poolcheck::core::secrets::redact_url(&text);
        prop_assert!(r.len() <= text.len() + 3 * text.matches("://").count());
    }
}
