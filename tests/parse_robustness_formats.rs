//! INI/conf, .properties, JSON/JSON5/HJSON and ADO.NET connection strings: arbitrary input
//! never panics or hangs a parser, every span points inside its file, and a broken line or
//! token is an error where it was broken. Hostile sizes run end to end in
//! tests/bad_input_formats.rs.

use poolcheck::input::formats::json::Flavor;
use poolcheck::input::formats::{self as parse, Node, NodeKind};
use proptest::prelude::*;

#[path = "common/props.rs"]
mod props;
use props::{bytes, in_bounds, line_of, mutate};

/// Every key and value span in a tree lies inside the text, on a char boundary.
fn spans_ok(node: &Node, text: &str) -> Result<(), TestCaseError> {
    prop_assert!(in_bounds(node.span, text), "{:?}", node.span);
    prop_assert!(text.is_char_boundary(node.span.start) && text.is_char_boundary(node.span.end));
    match &node.kind {
        NodeKind::Map(entries) => {
            for e in entries {
                prop_assert!(in_bounds(e.key_span, text), "{:?}", e.key_span);
                spans_ok(&e.value, text)?;
            }
        }
        NodeKind::Seq(items) => {
            for n in items {
                spans_ok(n, text)?;
            }
        }
        NodeKind::Scalar(_) => {}
    }
    Ok(())
}

fn ini_checks(text: &str) -> Result<(), TestCaseError> {
    let ini = parse::ini::parse(0, text);
    for e in &ini.errors {
        prop_assert!(in_bounds(e.span, text), "{e:?}");
        prop_assert!(!e.message.is_empty());
    }
    spans_ok(&ini.root, text)
}

fn properties_checks(text: &str) -> Result<(), TestCaseError> {
    let p = parse::properties::parse(0, text);
    for e in &p.errors {
        prop_assert!(in_bounds(e.span, text), "{e:?}");
    }
    for d in &p.docs {
        spans_ok(d, text)?;
    }
    Ok(())
}

fn json_checks(text: &str, flavor: Flavor) -> Result<(), TestCaseError> {
    match parse::json::parse(0, text, flavor) {
        Ok(root) => spans_ok(&root, text),
        Err(e) => {
            prop_assert!(in_bounds(e.span, text), "{e:?}");
            prop_assert!(!e.message.is_empty());
            Ok(())
        }
    }
}

fn ini_doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "\\[[a-z]{1,6}\\]",
            "[a-z_]{1,8} = [a-z0-9 ]{0,6}",
            "[A-Z_]{1,8}: [0-9]{1,3}",
            "[a-z]{1,4} = \"[a-z;#]{0,5}\"",
            "  [a-z]{1,5}",
            "; [ -~]{0,10}",
            "# [ -~]{0,10}",
            "[a-z]{1,4} = [a-z]{1,3} \\\\",
            "%include [a-z]{1,5}\\.ini",
        ],
        0..10,
    )
    .prop_map(|l| l.join("\n") + "\n")
}

fn properties_doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z]{1,4}(\\.[a-z-]{1,6}){0,3}=[a-z0-9${}:]{0,8}",
            "[a-z]{1,5}: [0-9]{1,4}",
            "[a-z]{1,5} [a-z ]{0,6}",
            "[a-z]{1,4}=[a-z]{0,3}\\\\",
            "   [a-z]{1,4}",
            "[a-z]=\\\\u[0-9A-Fa-z]{0,4}",
            "#---",
            "![ -~]{0,8}",
        ],
        0..10,
    )
    .prop_map(|l| l.join("\n") + "\n")
}

fn json_doc() -> impl Strategy<Value = String> {
    let member = prop_oneof![
        "\"[a-z]{1,6}\": [0-9]{1,4}",
        "\"[a-z]{1,6}\": \"[a-zA-Z=; ]{0,12}\"",
        "\"[a-z]{1,6}\": \\{ \"[a-z]{1,3}\": true \\}",
        "\"[a-z]{1,6}\": \\[1, 2\\.5, null\\]",
        "// [a-z ]{0,8}\n  \"[a-z]{1,4}\": false",
    ];
    proptest::collection::vec(member, 0..6).prop_map(|m| format!("{{\n  {}\n}}\n", m.join(",\n  ")))
}

fn hjson_doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z_]{1,6}: [a-z0-9][a-z0-9 .]{0,7}",
            "[a-z_]{1,6}: [0-9]{1,3} # [a-z]{0,4}",
            "[a-z]{1,5}: \\{\n  [a-z]{1,4}: [0-9]{1,2}\n\\}",
            "[a-z]{1,5}: '''\n  [a-z ]{0,6}\n  '''",
            "[a-z]{1,5}: \\[\n  [a-z]{1,3}\n  [0-9]{1,2}\n\\]",
            "# [ -~]{0,10}",
        ],
        0..8,
    )
    .prop_map(|l| l.join("\n") + "\n")
}

const META: &[char] = &[
    '[', ']', '{', '}', '=', ':', '"', '\'', ',', '\\', '\n', '#', ';', '/', '*',
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ini_arbitrary_text_never_panics(text in "\\PC*") {
        ini_checks(&text)?;
    }

    #[test]
    fn ini_arbitrary_bytes_never_panic(text in bytes()) {
        ini_checks(&text)?;
    }

    #[test]
    fn ini_mutations_parse_or_fail_located(
        doc in ini_doc(), at in any::<usize>(), op in any::<u8>(),
        ch in prop::sample::select(META.to_vec()),
    ) {
        ini_checks(&mutate(&doc, at, op, ch))?;
    }

    /// A line that is neither a setting, a section nor a comment is an error on that line,
    /// and the settings around it still read.
    #[test]
    fn ini_a_broken_line_is_located_on_its_line(
        values in proptest::collection::vec("[0-9]{1,3}", 0..8),
        at in any::<usize>(),
    ) {
        let mut lines: Vec<String> =
            values.iter().enumerate().map(|(i, v)| format!("k{i} = {v}")).collect();
        let at = at % (lines.len() + 1);
        lines.insert(at, "not a setting".into());
        let text = lines.join("\n") + "\n";
        let ini = parse::ini::parse(0, &text);
        prop_assert_eq!(ini.errors.len(), 1);
        prop_assert_eq!(line_of(&text, ini.errors[0].span.start), at + 1);
        let NodeKind::Map(entries) = &ini.root.kind else { unreachable!() };
        prop_assert_eq!(entries.len(), values.len());
    }

    #[test]
    fn properties_arbitrary_text_never_panics(text in "\\PC*") {
        properties_checks(&text)?;
    }

    #[test]
    fn properties_arbitrary_bytes_never_panic(text in bytes()) {
        properties_checks(&text)?;
    }

    #[test]
    fn properties_mutations_parse_or_fail_located(
        doc in properties_doc(), at in any::<usize>(), op in any::<u8>(),
        ch in prop::sample::select(META.to_vec()),
    ) {
        properties_checks(&mutate(&doc, at, op, ch))?;
    }

    /// A malformed `\u` escape is an error on its line; the other keys still read.
    #[test]
    fn properties_a_bad_escape_is_located_on_its_line(
        values in proptest::collection::vec("[0-9]{1,3}", 0..8),
        at in any::<usize>(),
    ) {
        let mut lines: Vec<String> =
            values.iter().enumerate().map(|(i, v)| format!("k{i}={v}")).collect();
        let at = at % (lines.len() + 1);
        lines.insert(at, "bad=\\uZZ".into());
        let text = lines.join("\n") + "\n";
        let p = parse::properties::parse(0, &text);
        prop_assert_eq!(p.errors.len(), 1);
        prop_assert_eq!(line_of(&text, p.errors[0].span.start), at + 1);
        let NodeKind::Map(entries) = &p.docs[0].kind else { unreachable!() };
        prop_assert_eq!(entries.len(), values.len());
    }

    #[test]
    fn json_arbitrary_text_never_panics(text in "\\PC*") {
        for flavor in [Flavor::Json, Flavor::Json5, Flavor::Hjson] {
            json_checks(&text, flavor)?;
        }
    }

    #[test]
    fn json_arbitrary_bytes_never_panic(text in bytes()) {
        for flavor in [Flavor::Json, Flavor::Json5, Flavor::Hjson] {
            json_checks(&text, flavor)?;
        }
    }

    #[test]
    fn json_mutations_parse_or_fail_located(
        doc in json_doc(), at in any::<usize>(), op in any::<u8>(),
        ch in prop::sample::select(META.to_vec()),
    ) {
        let text = mutate(&doc, at, op, ch);
        for flavor in [Flavor::Json, Flavor::Json5, Flavor::Hjson] {
            json_checks(&text, flavor)?;
        }
    }

    #[test]
    fn hjson_mutations_parse_or_fail_located(
        doc in hjson_doc(), at in any::<usize>(), op in any::<u8>(),
        ch in prop::sample::select(META.to_vec()),
    ) {
        json_checks(&mutate(&doc, at, op, ch), Flavor::Hjson)?;
    }

    /// Generated documents are valid; a stray token after a member is an error on its line.
    #[test]
    fn json_a_stray_token_is_located_on_its_line(
        n in 1usize..8, at in any::<usize>(),
    ) {
        let mut lines: Vec<String> = (0..n).map(|i| format!("  \"k{i}\": {i},")).collect();
        let at = at % n;
        lines[at] = format!("  \"k{at}\": {at} @,");
        let text = format!("{{\n{}\n}}\n", lines.join("\n"));
        let e = parse::json::parse(0, &text, Flavor::Json).unwrap_err();
        prop_assert_eq!(line_of(&text, e.span.start), at + 2);
        prop_assert!(json_doc_ok(n));
    }

    #[test]
    fn json_generated_documents_parse(doc in json_doc()) {
        prop_assert!(parse::json::parse(0, &doc, Flavor::Json).is_ok(), "{doc}");
        prop_assert!(parse::json::parse(0, &doc, Flavor::Json5).is_ok(), "{doc}");
    }

    #[test]
    fn hjson_generated_documents_parse(doc in hjson_doc()) {
        prop_assert!(parse::json::parse(0, &doc, Flavor::Hjson).is_ok(), "{doc}");
    }

    /// Arrays or objects nested `depth` deep: read up to the nesting limit, a located error
    /// past it, never a stack overflow.
    #[test]
    fn json_nesting_is_bounded(depth in 0usize..400, object in any::<bool>()) {
        let text = if object {
            format!("{}1{}", "{\"a\": ".repeat(depth), "}".repeat(depth))
        } else {
            format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
        };
        let r = parse::json::parse(0, &text, Flavor::Json);
        if depth < parse::MAX_NESTING {
            prop_assert!(r.is_ok(), "{depth}: {r:?}");
        } else {
            let e = r.unwrap_err();
            prop_assert!(e.message.contains("nest"), "{e:?}");
        }
    }

    /// Connection strings: any text parses or is "not a connection string"; every value span
    /// lies inside it and holds the value when it was not quoted.
    #[test]
    fn adonet_any_text_never_panics(text in "[ -~]{0,80}") {
        if let Some(c) = parse::adonet::parse(&text) {
            for p in &c.params {
                prop_assert!(in_bounds(p.span, &text));
            }
        }
    }

    #[test]
    fn adonet_values_keep_their_spans(
        pairs in proptest::collection::vec(("[A-Z][a-z]{0,5}( [A-Z][a-z]{1,4})?", "[a-z0-9.]{0,8}"), 0..6),
    ) {
        let mut text = String::from("Host=db");
        for (k, v) in &pairs {
            text.push_str(&format!(";{k}={v}"));
        }
        let c = parse::adonet::parse(&text).unwrap();
        prop_assert_eq!(c.params.len(), pairs.len() + 1);
        for p in &c.params {
            prop_assert_eq!(&text[p.span.start..p.span.end], p.value.as_str());
        }
    }
}

fn json_doc_ok(n: usize) -> bool {
    let lines: Vec<String> = (0..n).map(|i| format!("  \"k{i}\": {i},")).collect();
    parse::json::parse(0, &format!("{{\n{}\n}}\n", lines.join("\n")), Flavor::Json).is_ok()
}
