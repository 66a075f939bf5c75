//! ERB in YAML (Rails database.yml): arbitrary text and mutations of real tag shapes never
//! panic or hang the masking or the evaluator; masking keeps every byte offset; an error is
//! located inside the file; an expression is a value or "unknown", never a crash.

use poolcheck::input::formats::erb;
use poolcheck::input::formats::yaml;
use proptest::prelude::*;
use std::collections::BTreeSet;

/// Tags as database.yml files write them, and their broken neighbours.
fn tag() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"<%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>"#.to_string()),
        Just(r#"<%= ENV.fetch('DB_POOL', 10).to_i %>"#.to_string()),
        Just(r#"<%= ENV["DB_POOL"] || 5 %>"#.to_string()),
        Just(r#"<%= Sidekiq.server? ? ENV.fetch("SIDEKIQ_CONCURRENCY", 10) : 5 %>"#.to_string()),
        Just("<% if Rails.env.production? %>".to_string()),
        Just("<% end %>".to_string()),
        Just("<%# comment %>".to_string()),
        Just("<%%".to_string()),
        "<%=[ -~]{0,30}%>",
        "<%[=#-]?[ -~]{0,20}",
    ]
}

fn doc() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            "[a-z]{1,6}:".prop_map(|k| k),
            tag().prop_map(|t| format!("  pool: {t}")),
            tag().prop_map(|t| format!("  url: \"postgres://{t}/db\"")),
            tag(),
            "  [a-z]{1,6}: [a-z0-9]{0,5}",
        ],
        1..10,
    )
    .prop_map(|lines| lines.join("\n") + "\n")
}

fn check(text: &str) -> Result<(), TestCaseError> {
    match erb::scan(0, text) {
        Ok(t) => {
            prop_assert_eq!(t.yaml.len(), text.len());
            prop_assert_eq!(t.yaml.matches('\n').count(), text.matches('\n').count());
            for tag in &t.tags {
                prop_assert!(tag.span.end <= text.len());
                prop_assert!(text[tag.span.start..].starts_with("<%"));
            }
            let env = |k: &str| (k == "DB_POOL").then(|| "12".to_string());
            let ctx = erb::Context {
                env: &env,
                rails_env: "production",
                component: "web",
            };
            if let Ok(mut docs) = yaml::parse(0, &t.yaml) {
                let out = erb::substitute(&mut docs, &t, &ctx);
                for n in &out.unknown {
                    prop_assert!(n.span.end <= text.len());
                    prop_assert!(n.message.contains("unknown"));
                }
            }
        }
        Err(e) => {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= text.len());
            prop_assert!(text[e.span.start..].starts_with("<%"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn erb_arbitrary_text_never_panics(text in "[<%=#>a-zA-Z(){}\\[\\]\"'.?:|! \\n-]{0,120}") {
        check(&text)?;
    }

    #[test]
    fn erb_database_yml_shapes_never_panic(text in doc()) {
        check(&text)?;
    }

    #[test]
    fn erb_expressions_are_a_value_or_unknown_and_quoted(code in "[ -~]{0,60}") {
        let env = |_: &str| None;
        let ctx = erb::Context { env: &env, rails_env: "production", component: "web" };
        if let Err(why) = erb::evaluate(&code, &ctx, &mut BTreeSet::new()) {
            // Every unknown says so and quotes the expression (its first word at least).
            prop_assert!(why.contains("unknown"), "{}", why);
            let first = code.split_whitespace().next().unwrap_or("");
            prop_assert!(why.contains(first), "{} does not quote {:?}", why, code);
        }
    }

    #[test]
    fn erb_nesting_is_bounded(depth in 0usize..2000) {
        let code = format!("{}ENV.fetch(\"X\") {{ 5 }}{}", "(".repeat(depth), ")".repeat(depth));
        let env = |_: &str| None;
        let ctx = erb::Context { env: &env, rails_env: "production", component: "web" };
        let v = erb::evaluate(&code, &ctx, &mut BTreeSet::new());
        // Real tags nest a few levels; past the evaluator's bound the value is unknown.
        if depth < 40 {
            prop_assert_eq!(v, Ok("5".to_string()));
        } else if depth > 60 {
            prop_assert!(v.is_err());
        }
    }
}

#[test]
fn many_tags_in_a_large_file_stay_linear() {
    // 50,000 tags, more than MAX_TAGS: masked (blanked beyond the cap) and parsed at once.
    let text: String = (0..50_000)
        .map(|i| format!("k{i}: <%= ENV.fetch(\"K{i}\", {i}) %>\n"))
        .collect();
    let t = erb::scan(0, &text).unwrap();
    assert_eq!(t.yaml.len(), text.len());
    assert_eq!(t.tags.len(), erb::MAX_TAGS);
}
