//! Arbitrary input never panics or hangs a parser, every error points inside its file, and a
//! malformed line or document is a located error where it was broken. Inputs are small and the
//! case counts bounded, so the suite stays fast; hostile sizes are in the unit tests and in
//! tests/bad_input*.rs.

use poolcheck::input::formats as parse;
use proptest::prelude::*;

#[path = "common/props.rs"]
mod props;
use props::{bytes, in_bounds, line_of, mutate};

/// A line of an .env file, well formed or not.
fn env_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "(export )?[A-Z_]{1,6}=[\"'`$#{}\\\\ a-z0-9:-]{0,16}",
        "[A-C]=\\$\\{[A-C](:?-[a-z]{0,3})?\\}(\\$[A-C])?",
        "[A-C]=\"[a-z$\\\\{}]{0,6}\"",
        "#[ -~]{0,10}",
        "[ -~]{0,12}",
    ]
}

/// Valid pieces of YAML that mutations then break.
fn yaml_doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z]{1,5}: [a-z0-9]{0,5}",
            "[a-z]{1,5}:\n  - [a-z0-9]{1,4}\n  - \\{x: 1\\}",
            "[a-z]{1,5}: &[a-z] \\[1, 2\\]",
            "[a-z]{1,5}: \"[a-z ]{0,5}\"",
            "---",
        ],
        1..8,
    )
    .prop_map(|lines| lines.join("\n") + "\n")
}

fn toml_doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z]{1,5} = [0-9]{1,4}",
            "[a-z]{1,5} = \"[a-z ]{0,5}\"",
            "\\[[a-z]{1,5}\\]",
            "[a-z]{1,3}\\.[a-z]{1,3} = \\[1, 2\\.5, true\\]",
            "[a-z]{1,5} = \\{ x = 1 \\}",
        ],
        1..8,
    )
    .prop_map(|lines| lines.join("\n") + "\n")
}

fn env_checks(text: &str) -> Result<(), TestCaseError> {
    let f = parse::env::parse(0, text);
    for e in &f.errors {
        prop_assert!(in_bounds(e.span, text), "{e:?}");
    }
    for e in &f.entries {
        prop_assert!(in_bounds(e.key_span, text) && in_bounds(e.value_span, text));
        prop_assert_eq!(e.line, line_of(text, e.key_span.start));
    }
    let mut files = vec![f];
    for e in parse::env::resolve(&mut files) {
        prop_assert!(in_bounds(e.span, text), "{e:?}");
    }
    for e in &files[0].entries {
        let len = e.value.as_ref().map_or(0, String::len);
        prop_assert!(len <= parse::env::MAX_VALUE_BYTES.max(text.len()));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn env_arbitrary_text_never_panics(text in "\\PC*") {
        env_checks(&text)?;
    }

    #[test]
    fn env_arbitrary_bytes_never_panic(text in bytes()) {
        env_checks(&text)?;
    }

    #[test]
    fn env_like_lines_never_panic(lines in proptest::collection::vec(env_line(), 0..12)) {
        env_checks(&lines.join("\n"))?;
    }

    /// A line that is not KEY=VALUE, inserted anywhere, is an error on that very line and the
    /// entries around it still parse.
    #[test]
    fn env_a_broken_line_is_located_on_its_line(
        lines in proptest::collection::vec("[A-Z]{1,4}=[a-z0-9]{0,4}", 0..8),
        at in any::<usize>(),
    ) {
        let at = at % (lines.len() + 1);
        let mut all = lines.clone();
        all.insert(at, "!broken".to_string());
        let text = all.join("\n");
        let f = parse::env::parse(0, &text);
        prop_assert_eq!(f.errors.len(), 1);
        prop_assert_eq!(line_of(&text, f.errors[0].span.start), at + 1);
        prop_assert_eq!(f.entries.len(), lines.len());
    }

    /// Any graph of references among three names ends, and a value in a cycle is unknown.
    #[test]
    fn env_reference_graphs_end_and_cycles_are_unknown(
        edges in proptest::collection::vec((0..3usize, 0..3usize), 1..6),
    ) {
        let names = ["A", "B", "C"];
        let text: String = edges
            .iter()
            .map(|&(from, to)| format!("{}=x${{{}}}\n", names[from], names[to]))
            .collect();
        env_checks(&text)?;
        let mut files = vec![parse::env::parse(0, &text)];
        let errors = parse::env::resolve(&mut files);
        for e in &errors {
            prop_assert!(e.message.contains("refers to itself"), "{e:?}");
        }
        for e in &files[0].entries {
            let v = e.value.as_deref().unwrap_or("");
            prop_assert!(!e.unresolved.is_empty() || !v.contains("${"), "{e:?}");
        }
    }

    #[test]
    fn toml_arbitrary_text_never_panics(text in "\\PC*") {
        if let Err(e) = parse::toml::parse(0, &text) {
            prop_assert!(in_bounds(e.span, &text));
            prop_assert!(!e.message.is_empty());
        }
    }

    #[test]
    fn toml_mutations_parse_or_fail_located(
        doc in toml_doc(),
        at in any::<usize>(),
        op in any::<u8>(),
        ch in prop::sample::select(vec!['[', ']', '{', '}', '=', '"', '\'', '.', '\n', '#']),
    ) {
        let text = mutate(&doc, at, op, ch);
        if let Err(e) = parse::toml::parse(0, &text) {
            prop_assert!(in_bounds(e.span, &text), "{e:?}");
        }
    }

    /// A line `= =` in a valid document is an error on that line.
    #[test]
    fn toml_a_broken_line_is_located_on_its_line(
        values in proptest::collection::vec("[0-9]{1,3}", 0..8),
        at in any::<usize>(),
    ) {
        let lines: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("k{i} = {v}")).collect();
        let at = at % (lines.len() + 1);
        let mut all = lines;
        all.insert(at, "broken = = 1".to_string());
        let text = all.join("\n") + "\n";
        let e = parse::toml::parse(0, &text).unwrap_err();
        prop_assert_eq!(line_of(&text, e.span.start), at + 1);
    }

    /// Arrays or inline tables nested `depth` deep: read up to toml's limit of 80, a located
    /// error past it, never a stack overflow.
    #[test]
    fn toml_nesting_is_bounded(depth in 0usize..400, inline in any::<bool>()) {
        let text = if inline {
            format!("a = {}1{}\n", "{ b = ".repeat(depth), " }".repeat(depth))
        } else {
            format!("a = {}1{}\n", "[".repeat(depth), "]".repeat(depth))
        };
        match parse::toml::parse(0, &text) {
            Ok(_) => prop_assert!(depth <= 80, "{depth}"),
            Err(e) => {
                prop_assert!(depth > 80, "{depth}: {e:?}");
                prop_assert_eq!(e.message, "arrays, tables and dotted keys nest more than 80 deep");
            }
        }
    }

    #[test]
    fn yaml_arbitrary_text_never_panics(text in "[a-z:\\-\\[\\]{}&*<!|>'\"# \\n]{0,80}") {
        if let Err(e) = parse::yaml::parse(0, &text) {
            prop_assert!(in_bounds(e.span, &text));
        }
    }

    #[test]
    fn yaml_arbitrary_bytes_never_panic(text in bytes()) {
        for r in [
            parse::yaml::parse(0, &text).map(|_| ()),
            parse::yaml::parse_values(0, &text, "values.yaml").map(|_| ()),
            parse::yaml::parse_config(0, &text, "app.yaml").map(|_| ()),
        ] {
            if let Err(e) = r {
                prop_assert!(in_bounds(e.span, &text), "{e:?}");
                prop_assert!(!e.message.contains("Options"), "{e:?}");
            }
        }
    }

    #[test]
    fn yaml_mutations_parse_or_fail_located(
        doc in yaml_doc(),
        at in any::<usize>(),
        op in any::<u8>(),
        ch in prop::sample::select(vec!['[', ']', '{', '}', ':', '"', '*', '&', '\n', ' ', '\t', '-']),
    ) {
        let text = mutate(&doc, at, op, ch);
        if let Err(e) = parse::yaml::parse(0, &text) {
            prop_assert!(in_bounds(e.span, &text), "{e:?}");
            prop_assert!(!e.message.contains(" at line "), "{e:?}");
        }
        if let Err(e) = parse::yaml::parse_values(0, &text, "values.yaml") {
            prop_assert!(in_bounds(e.span, &text), "{e:?}");
        }
    }

    /// An unclosed quote on one line of a valid map is an error on that line.
    #[test]
    fn yaml_a_broken_line_is_located_on_its_line(
        values in proptest::collection::vec("[a-z0-9]{1,3}", 0..8),
        at in any::<usize>(),
    ) {
        // Distinct keys: a duplicate key would be an (earlier) error of its own.
        let lines: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("k{i}: {v}")).collect();
        let at = at % (lines.len() + 1);
        let mut all = lines;
        all.insert(at, "broken: \"never closed".to_string());
        let text = all.join("\n") + "\n";
        let e = parse::yaml::parse(0, &text).unwrap_err();
        prop_assert_eq!(line_of(&text, e.span.start), at + 1);
    }

    /// Flow sequences nested `depth` deep under a key: 128 levels in all are read, more are a
    /// located error, never a stack overflow.
    #[test]
    fn yaml_nesting_is_bounded(depth in 0usize..300, maps in any::<bool>()) {
        let text = if maps {
            format!("a: {}1{}\n", "{b: ".repeat(depth), "}".repeat(depth))
        } else {
            format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth))
        };
        match parse::yaml::parse(0, &text) {
            Ok(docs) => prop_assert!(depth < 128 && docs.len() == 1, "{depth}"),
            Err(e) => {
                prop_assert!(depth >= 128, "{depth}: {e:?}");
                prop_assert_eq!(e.message, "maps and lists nest more than 128 deep");
            }
        }
    }

    #[test]
    fn urls_never_panic(text in "(postgres(ql)?|mysql|jdbc:postgresql)://\\PC{0,60}") {
        let _ = parse::url::parse(&text);
        let _ = parse::url::find_urls(&text);
        let r = poolcheck::core::secrets::redact_url(&text);
        prop_assert!(r.len() <= text.len() + 3 * text.matches("://").count());
    }

    #[test]
    fn url_arbitrary_bytes_never_panic(text in bytes()) {
        let _ = parse::url::parse(&text);
        for (at, u) in parse::url::find_urls(&text) {
            prop_assert!(at <= text.len());
            for p in &u.params {
                prop_assert!(p.span.start <= p.span.end);
            }
        }
        let _ = parse::url::options_gucs(&text);
        let _ = parse::url::percent_decode(&text);
    }

    /// Mutated URLs: parameter spans still point at `key=value` in the string.
    #[test]
    fn url_param_spans_point_at_their_text(
        host in "[a-z]{1,8}(:[0-9]{1,5})?",
        params in proptest::collection::vec(("[a-z_]{1,8}", "[a-z0-9%]{0,6}"), 0..5),
    ) {
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let text = format!("postgres://u:p@{host}/db?{}", query.join("&"));
        let u = parse::url::parse(&text).unwrap();
        prop_assert_eq!(u.params.len(), params.len());
        for (p, q) in u.params.iter().zip(&query) {
            prop_assert_eq!(&text[p.span.start..p.span.end], q.as_str());
        }
    }
}
