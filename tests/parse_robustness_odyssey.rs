//! odyssey.conf: arbitrary input never panics or hangs the reader, every span points inside
//! its file on a char boundary, nesting is bounded, and a broken token is an error where it
//! was broken while the statements before it still read.

use poolcheck::input::formats::odyssey::{self, Stmt};
use proptest::prelude::*;

#[path = "common/props.rs"]
mod props;
use props::{bytes, in_bounds, line_of, mutate};

fn spans_ok(stmts: &[Stmt], text: &str) -> Result<(), TestCaseError> {
    for s in stmts {
        prop_assert!(in_bounds(s.key_span, text), "{:?}", s.key_span);
        prop_assert_eq!(&text[s.key_span.start..s.key_span.end], s.key.as_str());
        for v in &s.args {
            prop_assert!(in_bounds(v.span, text), "{:?}", v.span);
            prop_assert!(text.is_char_boundary(v.span.start) && text.is_char_boundary(v.span.end));
        }
        spans_ok(s.children(), text)?;
    }
    Ok(())
}

fn checks(text: &str) -> Result<(), TestCaseError> {
    let c = odyssey::parse(0, text);
    prop_assert!(c.errors.len() <= 1);
    for e in &c.errors {
        prop_assert!(in_bounds(e.span, text), "{e:?}");
        prop_assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
        prop_assert!(!e.message.is_empty());
    }
    spans_ok(&c.stmts, text)
}

fn doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z_]{1,10} [0-9]{1,5}",
            "[a-z_]{1,10} \"[a-z0-9 .*#]{0,8}\"",
            "[a-z_]{1,8} (yes|no|default)",
            "storage \"[a-z]{1,6}\" \\{ type \"remote\" host \"[a-z.]{1,8}\" port [0-9]{4} \\}",
            "database (default|\"[a-z]{1,5}\") \\{\n user (default|\"[a-z]{1,5}\") \\{\n  pool \"transaction\"\n  pool_size [0-9]{1,3}\n \\}\n\\}",
            "listen\n\\{\n host \"\\*\"\n port 6432\n\\}",
            "# [ -~]{0,12}",
            "include \"[a-z]{1,5}\\.conf\"",
        ],
        0..10,
    )
    .prop_map(|l| l.join("\n") + "\n")
}

const META: &[char] = &['{', '}', '"', '\\', '\n', '#', '-', '=', ' ', 'é'];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC*") {
        checks(&text)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(text in bytes()) {
        checks(&text)?;
    }

    #[test]
    fn generated_documents_parse(d in doc()) {
        let c = odyssey::parse(0, &d);
        prop_assert!(c.errors.is_empty(), "{:?}\n{d}", c.errors);
        spans_ok(&c.stmts, &d)?;
    }

    #[test]
    fn mutations_parse_or_fail_located(
        d in doc(), at in any::<usize>(), op in any::<u8>(),
        ch in prop::sample::select(META.to_vec()),
    ) {
        checks(&mutate(&d, at, op, ch))?;
    }

    /// Braces nested to any depth are read up to the limit, then a located error.
    #[test]
    fn nesting_is_bounded(depth in 0usize..2_000, closed in any::<bool>()) {
        let text = format!(
            "{}{}",
            "a {\n".repeat(depth),
            if closed { "}\n".repeat(depth) } else { String::new() }
        );
        checks(&text)?;
        let c = odyssey::parse(0, &text);
        let fine = closed && depth <= poolcheck::input::formats::MAX_NESTING;
        prop_assert_eq!(c.errors.is_empty(), fine || depth == 0);
    }

    /// A stray `=` is an error on its own line; the statements before it still read.
    #[test]
    fn a_broken_line_is_located_on_its_line(
        values in proptest::collection::vec("[0-9]{1,3}", 0..8),
        at in any::<usize>(),
    ) {
        let mut lines: Vec<String> =
            values.iter().enumerate().map(|(i, v)| format!("k{i} {v}")).collect();
        let at = at % (lines.len() + 1);
        lines.insert(at, "pool_size = 20".into());
        let text = lines.join("\n") + "\n";
        let c = odyssey::parse(0, &text);
        prop_assert_eq!(c.errors.len(), 1);
        prop_assert_eq!(line_of(&text, c.errors[0].span.start), at + 1);
        prop_assert_eq!(c.stmts.len(), at);
    }
}
